package identity

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// demo is the seeded demo tree on a database of the test's own.
type demo struct {
	db   *database.DB
	svc  *Service
	orgs map[string]Organization
}

func newDemo(t *testing.T) *demo {
	t.Helper()
	db := database.NewTestDB(t)
	svc := NewService(db, nil)
	svc.audit = audit.NewService(db, svc)
	ctx := context.Background()
	if err := svc.Seed(ctx); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	d := &demo{db: db, svc: svc, orgs: map[string]Organization{}}
	for _, o := range demoOrgs {
		org, err := svc.store.orgByCode(ctx, o.code)
		if err != nil {
			t.Fatalf("seeded org %s: %v", o.code, err)
		}
		d.orgs[o.code] = org
	}
	return d
}

// as returns a context acting as the seeded user with that e-mail.
func (d *demo) as(t *testing.T, email string) context.Context {
	t.Helper()
	u, err := d.svc.store.userByLogin(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	a, err := d.svc.Actor(context.Background(), u.ID)
	if err != nil {
		t.Fatalf("actor %s: %v", email, err)
	}
	return authz.WithActor(context.Background(), a)
}

func (d *demo) userID(t *testing.T, email string) uuid.UUID {
	t.Helper()
	u, err := d.svc.store.userByLogin(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.ID
}

func (d *demo) count(t *testing.T, table string) int64 {
	t.Helper()
	var n int64
	if err := d.db.Conn(context.Background()).Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

const (
	platformAdmin = "admin@corpu.go.id"
	jabarAdmin    = "admin.jabar@jabarprov.go.id"
	bandungBoss   = "kabid@diskominfo.bandung.go.id"
	budi          = "budi@diskominfo.bandung.go.id"
	fajar         = "fajar@bappeda.sidoarjokab.go.id"
)

func wantKind(t *testing.T, err error, kind apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); err == nil || got != kind {
		t.Fatalf("error = %v (kind %d), want kind %d", err, got, kind)
	}
}

func TestSeedIsIdempotent(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	users, orgs := d.count(t, "users"), d.count(t, "organizations")
	if err := d.svc.Seed(context.Background()); err != nil {
		t.Fatalf("Seed again: %v", err)
	}
	if d.count(t, "users") != users || d.count(t, "organizations") != orgs {
		t.Errorf("a second Seed changed the counts")
	}
}

func TestCreateUserValidatesAndRefusesDuplicatesWritingNothing(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	ctx := d.as(t, jabarAdmin)
	unit := d.orgs["DISKOMINFO-BANDUNG"].ID
	valid := UserInput{NIP: "199306142018011001", Name: "Andi Firmansyah", Email: "andi@diskominfo.bandung.go.id", OrgID: unit}
	if _, err := d.svc.CreateUser(ctx, valid); err != nil {
		t.Fatalf("CreateUser(valid) = %v", err)
	}
	before := d.count(t, "users")
	tests := []struct {
		name      string
		mutate    func(*UserInput)
		wantKind  apperr.Kind
		wantField string
	}{
		{"invalid NIP birth date", func(in *UserInput) { in.NIP = "199313142018011001" }, apperr.KindInvalid, "nip"},
		{"NIP of the wrong length", func(in *UserInput) { in.NIP = "12345" }, apperr.KindInvalid, "nip"},
		{"bad e-mail", func(in *UserInput) { in.Email = "not-an-email" }, apperr.KindInvalid, "email"},
		{"missing name", func(in *UserInput) { in.Name = " " }, apperr.KindInvalid, "name"},
		{"weak password", func(in *UserInput) { in.Password = "password1" }, apperr.KindInvalid, "password"},
		{"duplicate e-mail in another case", func(in *UserInput) {
			in.NIP = "199306142018011002"
			in.Email = "ANDI@diskominfo.bandung.go.id"
		}, apperr.KindConflict, ""},
		{"duplicate NIP", func(in *UserInput) { in.Email = "other@diskominfo.bandung.go.id" }, apperr.KindConflict, ""},
		{"work unit outside the home organisation", func(in *UserInput) {
			in.NIP, in.Email = "199306142018011003", "x@bandung.go.id"
			w := d.orgs["BAPPEDA-SIDOARJO"].ID
			in.WorkUnitID = &w
		}, apperr.KindInvalid, "work_unit_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid
			tt.mutate(&in)
			_, err := d.svc.CreateUser(ctx, in)
			wantKind(t, err, tt.wantKind)
			if tt.wantField != "" {
				e := apperr.As(err)
				if len(e.Fields) == 0 || e.Fields[0].Field != tt.wantField {
					t.Errorf("fields = %+v, want one for %s", e.Fields, tt.wantField)
				}
			}
		})
	}
	if got := d.count(t, "users"); got != before {
		t.Errorf("users after refused creates = %d, want %d", got, before)
	}
}

func TestMoveOrgRewritesTheSubtreeAndKeepsItsPeople(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	ctx := d.as(t, platformAdmin)
	bandung, jatim := d.orgs["KOTA-BANDUNG"], d.orgs["PROV-JATIM"]
	moved, err := d.svc.MoveOrg(ctx, bandung.ID, jatim.ID)
	if err != nil {
		t.Fatalf("MoveOrg: %v", err)
	}
	if moved.Path != jatim.Path+bandung.ID.String()+"/" {
		t.Errorf("moved path = %s, want under %s", moved.Path, jatim.Path)
	}
	unit, err := d.svc.store.org(context.Background(), d.orgs["DISKOMINFO-BANDUNG"].ID)
	if err != nil || !authz.Inside(unit.Path, moved.Path) {
		t.Errorf("child unit path = %s, want inside %s", unit.Path, moved.Path)
	}
	u, err := d.svc.store.userByLogin(context.Background(), budi)
	if err != nil || u.OrgPath != unit.Path {
		t.Errorf("budi's org path = %s, want %s (people move with their unit)", u.OrgPath, unit.Path)
	}
	// The Jawa Barat admin no longer manages Bandung; the Jawa Timur subtree now holds it.
	if _, err := d.svc.User(d.as(t, jabarAdmin), u.ID); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("User as the Jabar admin after the move = %v, want ErrUserNotFound", err)
	}
}

func TestMoveOrgRefusesCyclesAndForeignParents(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	tests := []struct {
		name   string
		actor  string
		org    string
		parent string
		want   apperr.Kind
	}{
		{"under its own child", platformAdmin, "PROV-JABAR", "KOTA-BANDUNG", apperr.KindInvalid},
		{"under itself", platformAdmin, "PROV-JABAR", "PROV-JABAR", apperr.KindInvalid},
		{"the root anywhere", platformAdmin, "KEMENDAGRI", "PROV-JATIM", apperr.KindInvalid},
		{"into a subtree the admin does not manage", jabarAdmin, "KOTA-BANDUNG", "PROV-JATIM", apperr.KindInvalid},
		{"an org the admin cannot see", jabarAdmin, "KAB-SIDOARJO", "PROV-JABAR", apperr.KindNotFound},
	}
	paths := map[string]string{}
	for code := range d.orgs {
		paths[code] = d.orgs[code].Path
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.svc.MoveOrg(d.as(t, tt.actor), d.orgs[tt.org].ID, d.orgs[tt.parent].ID)
			wantKind(t, err, tt.want)
		})
	}
	for code, path := range paths {
		o, _ := d.svc.store.orgByCode(context.Background(), code)
		if o.Path != path {
			t.Errorf("org %s path = %s after refused moves, want %s", code, o.Path, path)
		}
	}
}

func TestGrantOutsideOwnSubtreeIsRefused(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	ctx := d.as(t, jabarAdmin)
	budiID := d.userID(t, budi)
	before := d.count(t, "role_grants")
	tests := []struct {
		name string
		role authz.Role
		org  string
		want apperr.Kind
	}{
		{"a role in another province", authz.RoleInstructor, "BPSDM-JATIM", apperr.KindInvalid},
		{"platform admin", authz.RolePlatformAdmin, "PROV-JABAR", apperr.KindInvalid},
		{"an unknown role", authz.Role("dean"), "PROV-JABAR", apperr.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.svc.Grant(ctx, budiID, tt.role, d.orgs[tt.org].ID)
			wantKind(t, err, tt.want)
		})
	}
	if _, err := d.svc.Grant(ctx, d.userID(t, fajar), authz.RoleMentor, d.orgs["BPSDM-JABAR"].ID); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("Grant to a user in another province = %v, want ErrUserNotFound", err)
	}
	if got := d.count(t, "role_grants"); got != before {
		t.Errorf("grants after refusals = %d, want %d", got, before)
	}
	g, err := d.svc.Grant(ctx, budiID, authz.RoleMentor, d.orgs["BPSDM-JABAR"].ID)
	if err != nil {
		t.Fatalf("Grant within subtree = %v", err)
	}
	if _, err := d.svc.Grant(ctx, budiID, authz.RoleMentor, d.orgs["BPSDM-JABAR"].ID); !errors.Is(err, ErrGrantExists) {
		t.Errorf("Grant twice = %v, want ErrGrantExists", err)
	}
	if err := d.svc.Revoke(ctx, g.ID); err != nil {
		t.Errorf("Revoke = %v", err)
	}
}

func TestTransferKeepsHistoryAndMovesVisibility(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	ctx := d.as(t, platformAdmin)
	budiID := d.userID(t, budi)
	dest := d.orgs["BAPPEDA-SIDOARJO"]
	u, err := d.svc.TransferUser(ctx, budiID, TransferInput{ToOrgID: dest.ID, Reason: "mutasi"})
	if err != nil {
		t.Fatalf("TransferUser: %v", err)
	}
	if u.OrgID != dest.ID {
		t.Errorf("org after transfer = %s, want %s", u.OrgID, dest.ID)
	}
	history, err := d.svc.Transfers(ctx, budiID)
	if err != nil || len(history) != 1 || history[0].FromOrgID != d.orgs["DISKOMINFO-BANDUNG"].ID {
		t.Errorf("Transfers = %+v, %v; want one from DISKOMINFO-BANDUNG", history, err)
	}
	if _, err := d.svc.TransferUser(d.as(t, jabarAdmin), d.userID(t, "rina@diskominfo.bandung.go.id"),
		TransferInput{ToOrgID: dest.ID}); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("Transfer by the Jabar admin into Jatim = %v, want invalid destination", err)
	}
}

func TestSuspendingAUserRevokesSessionsAndStopsTheActor(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	budiID := d.userID(t, budi)
	ctx := context.Background()
	if err := d.db.Conn(ctx).Exec(`INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
		VALUES (gen_random_uuid(), gen_random_uuid(), ?, '\x01', now() + interval '1 day')`, budiID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.SetStatus(d.as(t, jabarAdmin), budiID, StatusSuspended); err != nil {
		t.Fatalf("SetStatus: %v", err)
	}
	var live int64
	d.db.Conn(ctx).Table("refresh_tokens").Where("user_id = ? AND revoked_at IS NULL", budiID).Count(&live)
	if live != 0 {
		t.Errorf("live refresh tokens after suspension = %d, want 0", live)
	}
	if _, err := d.svc.Actor(ctx, budiID); !errors.Is(err, authz.ErrUnauthenticated) {
		t.Errorf("Actor(suspended) = %v, want ErrUnauthenticated", err)
	}
}

func TestSearchUsersSeesOnlyTheCallersSubtree(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	tests := []struct {
		actor string
		query string
		want  int
	}{
		{platformAdmin, "", len(demoUsers)},
		{jabarAdmin, "", 7}, // everyone in PROV-JABAR and below
		{jabarAdmin, "fajar", 0},
		{bandungBoss, "", 3},
		{budi, "", 0},
		{jabarAdmin, "199204172019031004", 1}, // by NIP
	}
	for _, tt := range tests {
		t.Run(tt.actor+" "+tt.query, func(t *testing.T) {
			req, _ := page.NewRequest(200, "", "", "name")
			res, err := d.svc.SearchUsers(d.as(t, tt.actor), UserFilter{Query: tt.query}, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Items) != tt.want {
				t.Errorf("SearchUsers(%q) as %s = %d users, want %d", tt.query, tt.actor, len(res.Items), tt.want)
			}
		})
	}
}

func TestSearchUsersPagesWithAStableCursor(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	ctx := d.as(t, platformAdmin)
	seen := map[uuid.UUID]bool{}
	req, _ := page.NewRequest(4, "", "", "name")
	for pages := 0; ; pages++ {
		res, err := d.svc.SearchUsers(ctx, UserFilter{}, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Items {
			if seen[u.ID] {
				t.Fatalf("user %s appeared on two pages", u.Email)
			}
			seen[u.ID] = true
		}
		if res.NextCursor == "" {
			break
		}
		req.Cursor = res.NextCursor
	}
	if len(seen) != len(demoUsers) {
		t.Errorf("paged through %d users, want %d", len(seen), len(demoUsers))
	}
}

func TestChangesAreAuditedWithActorAndGrant(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	ctx := d.as(t, jabarAdmin)
	parent := d.orgs["KOTA-BANDUNG"].ID
	o, err := d.svc.CreateOrg(ctx, OrgInput{ParentID: &parent, Kind: KindWorkUnit, Code: "BAPPELITBANG-BDG", Name: "Bappelitbang Kota Bandung"})
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	auditSvc := audit.NewService(d.db, d.svc)
	req, _ := page.NewRequest(10, "", "")
	res, err := auditSvc.List(ctx, audit.Filter{EntityID: o.ID.String()}, req)
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("audit entries = %d, %v; want 1", len(res.Items), err)
	}
	e := res.Items[0]
	if e.Action != "organization.create" || e.ActorID == nil || *e.ActorID != d.userID(t, jabarAdmin) || e.GrantID == nil {
		t.Errorf("audit entry = %+v, want organization.create by the Jabar admin on behalf of a grant", e)
	}
	// Another province's admin cannot read it.
	other, err := auditSvc.List(d.as(t, bandungBoss), audit.Filter{EntityID: o.ID.String()}, req)
	if err == nil && len(other.Items) != 0 {
		t.Errorf("a supervisor read %d audit entries, want none", len(other.Items))
	}
	if err := d.db.Conn(context.Background()).Exec("UPDATE audit_log SET action = 'x'").Error; err == nil {
		t.Error("UPDATE audit_log succeeded, want the append-only trigger to refuse it")
	}
}
