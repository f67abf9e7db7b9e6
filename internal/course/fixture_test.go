package course

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
)

// tableOrgPaths reads organisation paths from the organizations table, as
// the identity service does.
type tableOrgPaths struct{ db *database.DB }

var errOrgNotFound = apperr.New(apperr.KindNotFound, "test.org_not_found", "Organisasi tidak ditemukan.", "Organisation not found.")

func (o tableOrgPaths) OrgPath(ctx context.Context, id uuid.UUID) (string, error) {
	var paths []string
	if err := o.db.Conn(ctx).Raw("SELECT path FROM organizations WHERE id = ?", id).Scan(&paths).Error; err != nil {
		return "", err
	}
	if len(paths) == 0 {
		return "", errOrgNotFound
	}
	return paths[0], nil
}

func (o tableOrgPaths) OrgsUnder(ctx context.Context, paths []string) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := o.db.Conn(ctx).Model(&struct{ ID uuid.UUID }{}).Table("organizations").
		Where(database.UnderAnyPath(o.db.Conn(ctx), "path", paths)).Pluck("id", &ids).Error
	return ids, err
}

// fakeAccess stands in for the delivery package's enrolments.
type fakeAccess struct {
	mu       sync.Mutex
	learning map[[2]uuid.UUID]bool
}

func (a *fakeAccess) enrol(userID, versionID uuid.UUID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.learning[[2]uuid.UUID{userID, versionID}] = true
}

func (a *fakeAccess) CanLearn(_ context.Context, userID, versionID uuid.UUID) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.learning[[2]uuid.UUID{userID, versionID}], nil
}

// fixture is a government in miniature: a ministry R with two agencies (A, a
// training institute, and B), a province P, a work unit under each, and
// people with their roles.
//
//	R ministry
//	├── A training institute ── A1 work unit
//	├── B agency ────────────── B1 work unit
//	└── P province ──────────── P1 regency
type fixture struct {
	t      testing.TB
	db     *database.DB
	svc    *Service
	access *fakeAccess
	org    map[string]uuid.UUID
	path   map[string]string
	actor  map[string]*authz.Actor
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := database.NewTestDB(t)
	orgs := tableOrgPaths{db: db}
	f := &fixture{t: t, db: db, access: &fakeAccess{learning: map[[2]uuid.UUID]bool{}},
		org: map[string]uuid.UUID{}, path: map[string]string{}, actor: map[string]*authz.Actor{}}
	f.svc = NewService(db, orgs, audit.NewService(db, orgs), nil)
	f.svc.SetAccess(f.access)
	for _, o := range []struct{ name, parent, kind string }{
		{"R", "", "ministry"}, {"A", "R", "training_institute"}, {"A1", "A", "work_unit"},
		{"B", "R", "agency"}, {"B1", "B", "work_unit"}, {"P", "R", "province"}, {"P1", "P", "regency"},
	} {
		f.addOrg(o.name, o.parent, o.kind)
	}
	for _, a := range []struct {
		name string
		home string
		role authz.Role
		on   string
	}{
		{"authorA", "A", authz.RoleInstructor, "A"},
		{"reviewerA", "A", authz.RoleReviewer, "A"},
		{"authorB", "B", authz.RoleInstructor, "B"},
		{"reviewerB", "B", authz.RoleReviewer, "B"},
		{"learnerA1", "A1", authz.RoleLearner, "A1"},
		{"learnerB1", "B1", authz.RoleLearner, "B1"},
		{"learnerP1", "P1", authz.RoleLearner, "P1"},
		{"admin", "R", authz.RolePlatformAdmin, "R"},
	} {
		f.actor[a.name] = &authz.Actor{UserID: uuid.Must(uuid.NewV7()), HomeOrgID: f.org[a.home], HomeOrgPath: f.path[a.home],
			Grants: []authz.Grant{{ID: uuid.Must(uuid.NewV7()), Role: a.role, OrgID: f.org[a.on], OrgPath: f.path[a.on]}}}
	}
	return f
}

func (f *fixture) addOrg(name, parent, kind string) {
	f.t.Helper()
	id := uuid.Must(uuid.NewV7())
	path := f.path[parent]
	if path == "" {
		path = "/"
	}
	path += id.String() + "/"
	var parentID *uuid.UUID
	if parent != "" {
		p := f.org[parent]
		parentID = &p
	}
	err := f.db.Conn(context.Background()).Exec(`INSERT INTO organizations (id, parent_id, path, kind, code, name)
		VALUES (?, ?, ?, ?, ?, ?)`, id, parentID, path, kind, "ORG-"+name+"-"+id.String()[:8], "Organisasi "+name).Error
	if err != nil {
		f.t.Fatalf("insert organisation %s: %v", name, err)
	}
	f.org[name], f.path[name] = id, path
}

// as returns a context signed in as the named person.
func (f *fixture) as(name string) context.Context {
	a, ok := f.actor[name]
	if !ok {
		f.t.Fatalf("no actor %q", name)
	}
	return authz.WithActor(context.Background(), a)
}

func ptr[T any](v T) *T { return &v }

// courseSpec describes a course to build.
type courseSpec struct {
	owner      string // "A" or "B"
	code       string
	title      string
	sharing    Sharing
	sharedWith []string
	objectives []string
	tags       []string
	competency []string
	mode       DeliveryMode
}

func (f *fixture) specDefaults(s courseSpec) courseSpec {
	if s.owner == "" {
		s.owner = "A"
	}
	if s.sharing == "" {
		s.sharing = SharingNational
	}
	if s.objectives == nil {
		s.objectives = []string{"Peserta mampu menjelaskan " + s.title}
	}
	if s.mode == "" {
		s.mode = ModeOnline
	}
	return s
}

// draftCourse creates a course with a complete first draft: one module,
// lesson and required text item.
func (f *fixture) draftCourse(s courseSpec) (Course, Version) {
	f.t.Helper()
	s = f.specDefaults(s)
	ctx := f.as("author" + s.owner)
	var shared []uuid.UUID
	for _, o := range s.sharedWith {
		shared = append(shared, f.org[o])
	}
	c, err := f.svc.CreateCourse(ctx, NewCourse{OrgID: f.org[s.owner], Code: s.code, Sharing: s.sharing, SharedOrgIDs: shared,
		Version: VersionPatch{Title: &s.title, Summary: ptr("Ringkasan " + s.title), Objectives: &s.objectives,
			Tags: &s.tags, CompetencyTags: &s.competency, DeliveryMode: &s.mode, JPCredit: Some(12.0)}})
	if err != nil {
		f.t.Fatalf("CreateCourse(%s) = %v", s.code, err)
	}
	m, err := f.svc.AddModule(ctx, c.Open.ID, ModuleInput{Title: ptr("Modul 1")})
	if err != nil {
		f.t.Fatalf("AddModule = %v", err)
	}
	l, err := f.svc.AddLesson(ctx, m.ID, ModuleInput{Title: ptr("Pelajaran 1")})
	if err != nil {
		f.t.Fatalf("AddLesson = %v", err)
	}
	if _, err := f.svc.AddItem(ctx, l.ID, ItemInput{Kind: KindText, Title: ptr("Bacaan"), Body: ptr("<p>Materi</p>"), EstimatedMinutes: ptr(30)}); err != nil {
		f.t.Fatalf("AddItem = %v", err)
	}
	return c, *c.Open
}

// publishedCourse builds a course and has its institute's reviewer approve it.
func (f *fixture) publishedCourse(s courseSpec) (Course, Version) {
	f.t.Helper()
	s = f.specDefaults(s)
	c, v := f.draftCourse(s)
	f.submitAndApprove(s.owner, v.ID)
	c, err := f.svc.Course(f.as("author"+s.owner), c.ID)
	if err != nil {
		f.t.Fatalf("Course = %v", err)
	}
	return c, *c.Published
}

var allChecked = Checklist{Objectives: true, Assessment: true, JP: true, Accessibility: true}

func (f *fixture) submitAndApprove(owner string, versionID uuid.UUID) {
	f.t.Helper()
	if _, _, err := f.svc.Submit(f.as("author"+owner), versionID); err != nil {
		f.t.Fatalf("Submit = %v", err)
	}
	if _, _, err := f.svc.Review(f.as("reviewer"+owner), versionID, ReviewInput{Decision: DecisionApprove, Checklist: allChecked}); err != nil {
		f.t.Fatalf("Review(approve) = %v", err)
	}
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Conn(context.Background()).Raw(query, args...).Scan(&n).Error; err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) auditActions(entityID uuid.UUID) []string {
	f.t.Helper()
	var actions []string
	if err := f.db.Conn(context.Background()).Raw("SELECT action FROM audit_log WHERE entity_id = ? ORDER BY id", entityID.String()).
		Scan(&actions).Error; err != nil {
		f.t.Fatal(err)
	}
	return actions
}

// wantErr fails unless err is want (by code) or, for a validation error,
// names every field of fields.
func wantErr(t testing.TB, what string, err, want error, fields ...string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v, want %v", what, err, want)
	}
	got := apperr.As(err)
	for _, field := range fields {
		if !slices.ContainsFunc(got.Fields, func(fe apperr.FieldError) bool { return fe.Field == field }) {
			t.Errorf("%s fields = %+v, want one for %s", what, got.Fields, field)
		}
	}
}

// errValidation matches any validation failure.
var errValidation = &apperr.Error{Code: "validation"}
