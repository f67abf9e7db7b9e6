package identity

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/identity/password"
	"github.com/corpu/corpu/internal/platform/authz"
)

// DemoPassword is the password of every demo user (development only).
const DemoPassword = "Belajar-Terus-2026!"

// demoOrg is one organisation of the demo tree; parent is a code.
type demoOrg struct {
	code, parent, name, region string
	kind                       OrgKind
}

var demoOrgs = []demoOrg{
	{"KEMENDAGRI", "", "Kementerian Dalam Negeri", "", KindMinistry},
	{"BPSDM-KEMENDAGRI", "KEMENDAGRI", "BPSDM Kementerian Dalam Negeri", "", KindTrainingInstitute},
	{"PUSDATIN-KEMENDAGRI", "KEMENDAGRI", "Pusat Data dan Sistem Informasi", "", KindWorkUnit},
	{"PROV-JABAR", "KEMENDAGRI", "Pemerintah Provinsi Jawa Barat", "32", KindProvince},
	{"BPSDM-JABAR", "PROV-JABAR", "BPSDM Provinsi Jawa Barat", "32", KindTrainingInstitute},
	{"DISKOMINFO-JABAR", "PROV-JABAR", "Dinas Komunikasi dan Informatika Provinsi Jawa Barat", "32", KindWorkUnit},
	{"KOTA-BANDUNG", "PROV-JABAR", "Pemerintah Kota Bandung", "32.73", KindRegency},
	{"DISKOMINFO-BANDUNG", "KOTA-BANDUNG", "Dinas Komunikasi dan Informatika Kota Bandung", "32.73", KindWorkUnit},
	{"PROV-JATIM", "KEMENDAGRI", "Pemerintah Provinsi Jawa Timur", "35", KindProvince},
	{"BPSDM-JATIM", "PROV-JATIM", "BPSDM Provinsi Jawa Timur", "35", KindTrainingInstitute},
	{"KAB-SIDOARJO", "PROV-JATIM", "Pemerintah Kabupaten Sidoarjo", "35.15", KindRegency},
	{"BAPPEDA-SIDOARJO", "KAB-SIDOARJO", "Bappeda Kabupaten Sidoarjo", "35.15", KindWorkUnit},
	{"MITRA-ITB", "KEMENDAGRI", "Institut Teknologi Bandung (mitra)", "32.73", KindPartner},
}

// demoUser is one demo account with its role; org and grant are codes.
type demoUser struct {
	email, name, nip, org, position string
	positionType                    PositionType
	role                            authz.Role
	grantOrg                        string
	supervisor                      string // e-mail
}

var demoUsers = []demoUser{
	{"admin@corpu.go.id", "Admin Platform", "198001012005011001", "PUSDATIN-KEMENDAGRI", "Pranata Komputer Ahli Madya", PositionFunctional, authz.RolePlatformAdmin, "KEMENDAGRI", ""},
	{"admin.jabar@jabarprov.go.id", "Siti Rahmawati", "198203152008012002", "DISKOMINFO-JABAR", "Kepala Subbagian Kepegawaian", PositionStructural, authz.RoleOrgAdmin, "PROV-JABAR", ""},
	{"instruktur@bpsdm.kemendagri.go.id", "Agus Pratama", "197907202003121001", "BPSDM-KEMENDAGRI", "Widyaiswara Ahli Utama", PositionFunctional, authz.RoleInstructor, "BPSDM-KEMENDAGRI", ""},
	{"reviewer@bpsdm.kemendagri.go.id", "Dewi Lestari", "198111112006042002", "BPSDM-KEMENDAGRI", "Widyaiswara Ahli Madya", PositionFunctional, authz.RoleReviewer, "BPSDM-KEMENDAGRI", ""},
	{"instruktur@bpsdm.jabarprov.go.id", "Rudi Hartono", "198405052009011003", "BPSDM-JABAR", "Widyaiswara Ahli Muda", PositionFunctional, authz.RoleInstructor, "BPSDM-JABAR", ""},
	{"registrar@bpsdm.jabarprov.go.id", "Nina Kurniasih", "198702142010122001", "BPSDM-JABAR", "Analis Sertifikasi", PositionExecutor, authz.RoleRegistrar, "BPSDM-JABAR", ""},
	{"mentor@diskominfo.jabarprov.go.id", "Yoga Saputra", "199003032014021001", "DISKOMINFO-JABAR", "Pranata Komputer Ahli Muda", PositionFunctional, authz.RoleMentor, "PROV-JABAR", ""},
	{"kabid@diskominfo.bandung.go.id", "Hendra Wijaya", "197812122002121002", "DISKOMINFO-BANDUNG", "Kepala Bidang Aplikasi Informatika", PositionStructural, authz.RoleSupervisor, "DISKOMINFO-BANDUNG", ""},
	{"budi@diskominfo.bandung.go.id", "Budi Santoso", "199204172019031004", "DISKOMINFO-BANDUNG", "Pranata Komputer Ahli Pertama", PositionFunctional, authz.RoleLearner, "DISKOMINFO-BANDUNG", "kabid@diskominfo.bandung.go.id"},
	{"rina@diskominfo.bandung.go.id", "Rina Marlina", "199508222020122003", "DISKOMINFO-BANDUNG", "Pengelola Layanan Informasi", PositionExecutor, authz.RoleLearner, "DISKOMINFO-BANDUNG", "kabid@diskominfo.bandung.go.id"},
	{"fajar@bappeda.sidoarjokab.go.id", "Fajar Nugroho", "199101302015031002", "BAPPEDA-SIDOARJO", "Perencana Ahli Pertama", PositionFunctional, authz.RoleLearner, "BAPPEDA-SIDOARJO", ""},
}

// Seed creates the demo organisations and users with their grants. It is
// idempotent: what exists (by code or e-mail) is left as it is.
func (s *Service) Seed(ctx context.Context) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		orgs := map[string]Organization{}
		for _, d := range demoOrgs {
			o, err := s.seedOrg(ctx, d, orgs[d.parent])
			if err != nil {
				return err
			}
			orgs[d.code] = o
		}
		hash, err := password.HashWith(DemoPassword, s.params)
		if err != nil {
			return fmt.Errorf("hash demo password: %w", err)
		}
		ids := map[string]uuid.UUID{}
		for _, d := range demoUsers {
			id, err := s.seedUser(ctx, d, orgs, ids, hash)
			if err != nil {
				return err
			}
			ids[d.email] = id
		}
		return nil
	})
}

func (s *Service) seedOrg(ctx context.Context, d demoOrg, parent Organization) (Organization, error) {
	if o, err := s.store.orgByCode(ctx, d.code); err == nil {
		return o, nil
	}
	now := s.now()
	o := Organization{ID: uuid.Must(uuid.NewV7()), Kind: d.kind, Code: d.code, Name: d.name, RegionCode: d.region,
		Active: true, CreatedAt: now, UpdatedAt: now}
	if d.parent != "" {
		o.ParentID = &parent.ID
	}
	o.Path = PathOf(parent.Path, o.ID)
	if err := s.store.createOrg(ctx, o); err != nil {
		return Organization{}, fmt.Errorf("seed organisation %s: %w", d.code, err)
	}
	return o, nil
}

func (s *Service) seedUser(ctx context.Context, d demoUser, orgs map[string]Organization, ids map[string]uuid.UUID, hash string) (uuid.UUID, error) {
	if u, err := s.store.userByLogin(ctx, d.email); err == nil {
		return u.ID, nil
	}
	now := s.now()
	verified := now
	u := User{ID: uuid.Must(uuid.NewV7()), NIP: d.nip, Name: d.name, Email: d.email, EmailVerifiedAt: &verified,
		PositionTitle: d.position, PositionType: d.positionType, OrgID: orgs[d.org].ID, Status: StatusActive,
		CreatedAt: now, UpdatedAt: now}
	if sup, ok := ids[d.supervisor]; ok {
		u.SupervisorID = &sup
	}
	row := toUserRow(u)
	row.PasswordHash = &hash
	if err := s.store.createUser(ctx, row); err != nil {
		return uuid.Nil, fmt.Errorf("seed user %s: %w", d.email, err)
	}
	grants := []RoleGrant{{ID: uuid.Must(uuid.NewV7()), UserID: u.ID, Role: d.role, OrgID: orgs[d.grantOrg].ID, CreatedAt: now}}
	if d.role != authz.RoleLearner {
		// Staff are civil servants too: they learn in their own unit.
		grants = append(grants, RoleGrant{ID: uuid.Must(uuid.NewV7()), UserID: u.ID, Role: authz.RoleLearner, OrgID: u.OrgID, CreatedAt: now})
	}
	for _, g := range grants {
		if err := s.store.ensureGrant(ctx, g); err != nil {
			return uuid.Nil, err
		}
	}
	return u.ID, nil
}
