package identity

import (
	"context"
	"encoding/json"
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

func TestSupervisorMustBeInThePersonsLine(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	ctx := d.as(t, jabarAdmin)
	budiID := d.userID(t, budi)
	above, err := d.svc.CreateUser(ctx, UserInput{Name: "Kepala Dinas", Email: "kadis@jabarprov.go.id", OrgID: d.orgs["KOTA-BANDUNG"].ID})
	if err != nil {
		t.Fatal(err)
	}
	budiRow, _ := d.svc.store.user(context.Background(), budiID)
	update := func(sup uuid.UUID) error {
		in := UserInput{NIP: database.EmptyIfNull(budiRow.NIP), Name: budiRow.Name, Email: budiRow.Email, OrgID: budiRow.OrgID, SupervisorID: &sup}
		_, err := d.svc.UpdateUser(ctx, budiID, in)
		return err
	}
	tests := []struct {
		name string
		sup  uuid.UUID
		ok   bool
	}{
		{"someone in the person's own unit", d.userID(t, bandungBoss), true},
		{"someone in an organisation above the person's", above.ID, true},
		{"someone the caller sees in a sibling unit", d.userID(t, "mentor@diskominfo.jabarprov.go.id"), false},
		{"the caller, outside the person's line", d.userID(t, jabarAdmin), false},
		{"someone of another province the caller may not see", d.userID(t, fajar), false},
		{"an id that names no one", uuid.Must(uuid.NewV7()), false},
	}
	var messages []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := update(tt.sup)
			if tt.ok {
				if err != nil {
					t.Fatalf("UpdateUser(supervisor %s) = %v, want nil", tt.name, err)
				}
				return
			}
			e := apperr.As(err)
			if e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "supervisor_id" {
				t.Fatalf("UpdateUser(supervisor %s) = %v, want 422 on supervisor_id", tt.name, err)
			}
			messages = append(messages, e.Fields[0].Message.EN)
		})
	}
	for _, m := range messages {
		if m != messages[0] {
			t.Errorf("supervisor refusals differ (%q vs %q): the answer tells which users exist", m, messages[0])
		}
	}
	// CreateUser follows the same rule.
	fajarID := d.userID(t, fajar)
	_, err = d.svc.CreateUser(ctx, UserInput{Name: "Baru", Email: "baru@diskominfo.bandung.go.id", OrgID: d.orgs["DISKOMINFO-BANDUNG"].ID, SupervisorID: &fajarID})
	if e := apperr.As(err); e.Kind != apperr.KindInvalid {
		t.Errorf("CreateUser(supervisor of another province) = %v, want 422", err)
	}
}

func TestNoOneGrantsARoleToThemselves(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	tests := []struct {
		name, who, org string
		role           authz.Role
	}{
		{"an org admin makes themselves instructor", jabarAdmin, "BPSDM-JABAR", authz.RoleInstructor},
		{"an org admin makes themselves reviewer", jabarAdmin, "PROV-JABAR", authz.RoleReviewer},
		{"a platform admin grants themselves anything", platformAdmin, "KEMENDAGRI", authz.RoleRegistrar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := d.count(t, "role_grants")
			_, err := d.svc.Grant(d.as(t, tt.who), d.userID(t, tt.who), tt.role, d.orgs[tt.org].ID)
			if !errors.Is(err, ErrSelfGrant) || apperr.KindOf(err) != apperr.KindForbidden {
				t.Errorf("Grant(self) = %v, want ErrSelfGrant (403)", err)
			}
			if got := d.count(t, "role_grants"); got != before {
				t.Errorf("role_grants = %d after a refused self-grant, want %d", got, before)
			}
		})
	}
	// Someone else may grant the role; revoking keeps the grant as history.
	g, err := d.svc.Grant(d.as(t, platformAdmin), d.userID(t, jabarAdmin), authz.RoleInstructor, d.orgs["BPSDM-JABAR"].ID)
	if err != nil {
		t.Fatalf("Grant(by another) = %v", err)
	}
	rows := d.count(t, "role_grants")
	if err := d.svc.Revoke(d.as(t, jabarAdmin), g.ID); err != nil {
		t.Fatalf("Revoke(own grant) = %v, want nil: stepping down needs no one else", err)
	}
	if got := d.count(t, "role_grants"); got != rows {
		t.Errorf("role_grants after a revocation = %d, want %d (kept as history)", got, rows)
	}
	grants, _ := d.svc.Grants(d.as(t, jabarAdmin), d.userID(t, jabarAdmin))
	for _, x := range grants {
		if x.ID == g.ID {
			t.Errorf("Grants() still lists the revoked grant")
		}
	}
	// The same role may be granted again once the old grant has ended.
	if _, err := d.svc.Grant(d.as(t, platformAdmin), d.userID(t, jabarAdmin), authz.RoleInstructor, d.orgs["BPSDM-JABAR"].ID); err != nil {
		t.Errorf("Grant(again after revocation) = %v, want nil", err)
	}
}

// outboxEvents returns the payloads of the outbox rows of type typ.
func (d *demo) outboxEvents(t *testing.T, typ string) [][]byte {
	t.Helper()
	var payloads [][]byte
	if err := d.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ? ORDER BY id", typ).Scan(&payloads).Error; err != nil {
		t.Fatal(err)
	}
	return payloads
}

func TestTransferEndsTheOldUnitsGrantsAndSupervisorAndIsAnnounced(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	admin := d.as(t, platformAdmin)
	budiID := d.userID(t, budi)
	grant := func(role authz.Role, org string) RoleGrant {
		g, err := d.svc.Grant(admin, budiID, role, d.orgs[org].ID)
		if err != nil {
			t.Fatalf("Grant(%s at %s) = %v", role, org, err)
		}
		return g
	}
	aboveOld := grant(authz.RoleMentor, "KOTA-BANDUNG")
	elsewhere := grant(authz.RoleReviewer, "BPSDM-KEMENDAGRI")
	coversBoth := grant(authz.RoleInstructor, "KEMENDAGRI")
	before, _ := d.svc.Grants(admin, budiID)
	var learner RoleGrant
	for _, g := range before {
		if g.Role == authz.RoleLearner {
			learner = g
		}
	}
	rows := d.count(t, "role_grants")

	after, err := d.svc.TransferUser(admin, budiID, TransferInput{ToOrgID: d.orgs["BAPPEDA-SIDOARJO"].ID, Reason: "mutasi"})
	if err != nil {
		t.Fatalf("TransferUser = %v", err)
	}
	if after.SupervisorID != nil {
		t.Errorf("supervisor after the transfer = %v, want none (the old unit's head)", after.SupervisorID)
	}
	kept := map[uuid.UUID]bool{}
	grants, _ := d.svc.Grants(admin, budiID)
	for _, g := range grants {
		kept[g.ID] = true
	}
	for _, tt := range []struct {
		name string
		g    RoleGrant
		kept bool
	}{
		{"learner in the old unit", learner, false},
		{"mentor above the old unit", aboveOld, false},
		{"reviewer in another line", elsewhere, true},
		{"instructor over both units", coversBoth, true},
	} {
		if kept[tt.g.ID] != tt.kept {
			t.Errorf("%s: in force after the transfer = %v, want %v", tt.name, kept[tt.g.ID], tt.kept)
		}
	}
	if got := d.count(t, "role_grants"); got != rows {
		t.Errorf("role_grants = %d, want %d: ended grants stay as history", got, rows)
	}
	var ended int64
	d.db.Conn(context.Background()).Raw("SELECT count(*) FROM role_grants WHERE user_id = ? AND ended_at IS NOT NULL AND end_reason = 'transfer'", budiID).Scan(&ended)
	if ended != 2 {
		t.Errorf("grants ended by the transfer = %d, want 2", ended)
	}
	events := d.outboxEvents(t, EventUserTransferred)
	if len(events) != 1 {
		t.Fatalf("%s events = %d, want 1", EventUserTransferred, len(events))
	}
	var p UserTransferredPayload
	if err := json.Unmarshal(events[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.UserID != budiID || p.FromOrgID != d.orgs["DISKOMINFO-BANDUNG"].ID || p.ToOrgPath != d.orgs["BAPPEDA-SIDOARJO"].Path ||
		p.FromOrgPath != d.orgs["DISKOMINFO-BANDUNG"].Path || len(p.EndedGrantIDs) != 2 || !p.SupervisorCleared {
		t.Errorf("event payload = %+v", p)
	}
}

func TestOrganizationMoveIsAnnounced(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	org, parent := d.orgs["KOTA-BANDUNG"], d.orgs["PROV-JATIM"]
	moved, err := d.svc.MoveOrg(d.as(t, platformAdmin), org.ID, parent.ID)
	if err != nil {
		t.Fatalf("MoveOrg = %v", err)
	}
	events := d.outboxEvents(t, EventOrganizationMoved)
	if len(events) != 1 {
		t.Fatalf("%s events = %d, want 1", EventOrganizationMoved, len(events))
	}
	var p OrganizationMovedPayload
	if err := json.Unmarshal(events[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.OrgID != org.ID || p.OldPath != org.Path || p.NewPath != moved.Path || p.NewParentID != parent.ID ||
		p.OldParentID == nil || *p.OldParentID != d.orgs["PROV-JABAR"].ID {
		t.Errorf("event payload = %+v", p)
	}
}

func TestOrganizationsArePaginated(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	admin := d.as(t, platformAdmin)
	var all []Organization
	req := page.Request{Limit: 5}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("too many pages")
		}
		res, err := d.svc.Orgs(admin, OrgFilter{}, req)
		if err != nil {
			t.Fatalf("Orgs = %v", err)
		}
		all = append(all, res.Items...)
		if res.NextCursor == "" {
			break
		}
		if len(res.Items) != 5 {
			t.Errorf("a page before the last has %d items, want 5", len(res.Items))
		}
		req.Cursor = res.NextCursor
	}
	if len(all) != len(demoOrgs) {
		t.Fatalf("organisations over every page = %d, want %d", len(all), len(demoOrgs))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Path >= all[i].Path {
			t.Errorf("organisations not in path order at %d", i)
		}
	}
	res, err := d.svc.Orgs(admin, OrgFilter{ParentID: d.orgs["PROV-JABAR"].ID}, page.Request{Limit: 50})
	if err != nil || len(res.Items) != 3 {
		t.Errorf("children of PROV-JABAR = %d, %v; want 3", len(res.Items), err)
	}
	_, err = d.svc.Orgs(d.as(t, jabarAdmin), OrgFilter{ParentID: d.orgs["PROV-JATIM"].ID}, page.Request{Limit: 50})
	wantKind(t, err, apperr.KindNotFound)
	for _, key := range []string{"not a path", "/x\x00/", "'; DROP TABLE x; --"} {
		_, err := d.svc.Orgs(admin, OrgFilter{}, page.Request{Limit: 5, Cursor: page.EncodeCursor(page.Position{Key: key, ID: "x"})})
		wantKind(t, err, apperr.KindInvalid)
	}
}

func TestUserSearchRefusesWhatTheDatabaseCannotRead(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	admin := d.as(t, platformAdmin)
	cursor := func(key, id string) page.Request {
		return page.Request{Limit: 5, Cursor: page.EncodeCursor(page.Position{Key: key, ID: id})}
	}
	id := uuid.Must(uuid.NewV7()).String()
	tests := []struct {
		name string
		f    UserFilter
		req  page.Request
	}{
		{"a status that does not exist", UserFilter{Status: "x"}, page.Request{Limit: 5}},
		{"a NUL status", UserFilter{Status: "\x00"}, page.Request{Limit: 5}},
		{"a NUL in the query", UserFilter{Query: "bu\x00di"}, page.Request{Limit: 5}},
		{"invalid UTF-8 in the query", UserFilter{Query: "\xff"}, page.Request{Limit: 5}},
		{"a cursor whose id is not an id", UserFilter{}, cursor("budi", "x")},
		{"a cursor whose key holds a NUL", UserFilter{}, cursor("bu\x00", id)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.svc.SearchUsers(admin, tt.f, tt.req)
			wantKind(t, err, apperr.KindInvalid)
		})
	}
}
