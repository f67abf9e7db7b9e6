package quiz

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

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
	return nil, nil
}

// fakeCourses stands in for the course service: the items the test made.
type fakeCourses struct {
	mu    sync.Mutex
	items map[uuid.UUID]CourseItem
}

func (c *fakeCourses) CourseItem(_ context.Context, id uuid.UUID) (CourseItem, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[id]
	if !ok {
		return CourseItem{}, apperr.New(apperr.KindNotFound, "test.item_not_found", "x", "item not found")
	}
	return it, nil
}

// fakeClasses stands in for the delivery service: classes with their staff
// and learners.
type fakeClasses struct {
	mu      sync.Mutex
	classes map[uuid.UUID]*fakeClass
}

type fakeClass struct {
	versionID, orgID uuid.UUID
	staff, learners  map[uuid.UUID]bool
}

var errClassNotFound = apperr.New(apperr.KindNotFound, "test.class_not_found", "x", "class not found")

func (c *fakeClasses) ClassAccess(ctx context.Context, id uuid.UUID) (ClassAccess, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return ClassAccess{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.classes[id]
	if !ok || !cl.staff[actor.UserID] && !cl.learners[actor.UserID] {
		return ClassAccess{}, errClassNotFound
	}
	return ClassAccess{ClassID: id, VersionID: cl.versionID, OrgID: cl.orgID, Staff: cl.staff[actor.UserID], Learner: cl.learners[actor.UserID]}, nil
}

// fixture: a ministry R with institute A (and its unit A1) and agency B;
// authors, a reviewer, learners; a course of A with a draft quiz item, and
// a class of it.
type fixture struct {
	t       testing.TB
	db      *database.DB
	svc     *Service
	clock   *clock
	org     map[string]uuid.UUID
	path    map[string]string
	actor   map[string]*authz.Actor
	courses *fakeCourses
	classes *fakeClasses
	quizID  uuid.UUID
	version uuid.UUID
	classID uuid.UUID
}

type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = t
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := database.NewTestDB(t)
	orgs := tableOrgPaths{db: db}
	f := &fixture{t: t, db: db, clock: &clock{}, org: map[string]uuid.UUID{}, path: map[string]string{}, actor: map[string]*authz.Actor{},
		courses: &fakeCourses{items: map[uuid.UUID]CourseItem{}}, classes: &fakeClasses{classes: map[uuid.UUID]*fakeClass{}}}
	f.svc = NewService(Deps{DB: db, Outbox: queue.NewOutbox(db), Auditor: audit.NewService(db, orgs), Orgs: orgs,
		Courses: f.courses, Classes: f.classes, Now: f.clock.now, SaveGrace: 5 * time.Second})
	for _, o := range []struct{ name, parent, kind string }{
		{"R", "", "ministry"}, {"A", "R", "training_institute"}, {"A1", "A", "work_unit"}, {"B", "R", "agency"}, {"B1", "B", "work_unit"},
	} {
		f.addOrg(o.name, o.parent, o.kind)
	}
	for _, a := range []struct {
		name, home string
		role       authz.Role
		on         string
	}{
		{"authorA", "A", authz.RoleInstructor, "A"},
		{"reviewerA", "A", authz.RoleReviewer, "A"},
		{"authorB", "B", authz.RoleInstructor, "B"},
		{"learnerA1", "A1", authz.RoleLearner, "A1"},
		{"learner2", "A1", authz.RoleLearner, "A1"},
		{"learnerB1", "B1", authz.RoleLearner, "B1"},
	} {
		f.actor[a.name] = &authz.Actor{UserID: uuid.Must(uuid.NewV7()), HomeOrgID: f.org[a.home], HomeOrgPath: f.path[a.home],
			Grants: []authz.Grant{{ID: uuid.Must(uuid.NewV7()), Role: a.role, OrgID: f.org[a.on], OrgPath: f.path[a.on]}}}
	}
	f.quizID, f.version = f.addQuizItem("A")
	f.classID = uuid.Must(uuid.NewV7())
	f.classes.classes[f.classID] = &fakeClass{versionID: f.version, orgID: f.org["A"],
		staff:    map[uuid.UUID]bool{f.actor["authorA"].UserID: true},
		learners: map[uuid.UUID]bool{f.actor["learnerA1"].UserID: true, f.actor["learner2"].UserID: true}}
	return f
}

func (f *fixture) addOrg(name, parent, kind string) {
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
	f.exec(`INSERT INTO organizations (id, parent_id, path, kind, code, name) VALUES (?, ?, ?, ?, ?, ?)`,
		id, parentID, path, kind, "ORG-"+name+"-"+id.String()[:8], "Organisasi "+name)
	f.org[name], f.path[name] = id, path
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if err := f.db.Conn(context.Background()).Exec(sql, args...).Error; err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// addQuizItem makes a course of org with a draft version holding one quiz item.
func (f *fixture) addQuizItem(org string) (itemID, versionID uuid.UUID) {
	course, version, module, lesson, item := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	by := uuid.Must(uuid.NewV7())
	f.exec(`INSERT INTO courses (id, org_id, code, created_by) VALUES (?, ?, ?, ?)`, course, f.org[org], "K-"+course.String()[:8], by)
	f.exec(`INSERT INTO course_versions (id, course_id, number, status, title, language, delivery_mode, level, created_by)
		VALUES (?, ?, 1, 'draft', 'Kursus', 'id', 'online', 'basic', ?)`, version, course, by)
	f.exec(`INSERT INTO course_modules (id, version_id, position, title) VALUES (?, ?, 1, 'M')`, module, version)
	f.exec(`INSERT INTO course_lessons (id, module_id, version_id, position, title) VALUES (?, ?, ?, 1, 'L')`, lesson, module, version)
	f.exec(`INSERT INTO course_items (id, lesson_id, version_id, position, kind, title) VALUES (?, ?, ?, 1, 'quiz', 'Kuis')`, item, lesson, version)
	f.courses.mu.Lock()
	f.courses.items[item] = CourseItem{ItemID: item, VersionID: version, CourseID: course, OrgID: f.org[org], IsQuiz: true, Editable: true}
	f.courses.mu.Unlock()
	return item, version
}

func (f *fixture) as(name string) context.Context {
	a, ok := f.actor[name]
	if !ok {
		f.t.Fatalf("no actor %q", name)
	}
	return authz.WithActor(context.Background(), a)
}

// newLearner makes a learner of A1 enrolled in the fixture's class and
// returns a context acting as them.
func (f *fixture) newLearner() context.Context {
	a := &authz.Actor{UserID: uuid.Must(uuid.NewV7()), HomeOrgID: f.org["A1"], HomeOrgPath: f.path["A1"],
		Grants: []authz.Grant{{ID: uuid.Must(uuid.NewV7()), Role: authz.RoleLearner, OrgID: f.org["A1"], OrgPath: f.path["A1"]}}}
	f.classes.mu.Lock()
	f.classes.classes[f.classID].learners[a.UserID] = true
	f.classes.mu.Unlock()
	return authz.WithActor(context.Background(), a)
}

func ptr[T any](v T) *T { return &v }

// bank makes a bank of A with a question of every type and returns it with
// the questions by type.
func (f *fixture) bank() (Bank, map[Type]Question) {
	f.t.Helper()
	ctx := f.as("authorA")
	b, err := f.svc.CreateBank(ctx, BankInput{OrgID: f.org["A"], Name: ptr("Bank Pelayanan")})
	if err != nil {
		f.t.Fatalf("CreateBank: %v", err)
	}
	qs := map[Type]Question{}
	for _, typ := range Types {
		c := fixtures()[typ]
		q, err := f.svc.CreateQuestion(ctx, b.ID, QuestionInput{Content: &c, CompetencyTags: &[]string{"pelayanan"}})
		if err != nil {
			f.t.Fatalf("CreateQuestion(%s): %v", typ, err)
		}
		qs[typ] = q
	}
	return b, qs
}

// setQuiz gives the fixture's quiz fixed questions.
func (f *fixture) setQuiz(in QuizInput, ids ...uuid.UUID) Quiz {
	f.t.Helper()
	var sq []SectionQuestion
	for _, id := range ids {
		sq = append(sq, SectionQuestion{QuestionID: id})
	}
	in.Sections = &[]Section{{Title: "Bagian 1", Questions: sq}}
	q, _, err := f.svc.SetQuiz(f.as("authorA"), f.quizID, in)
	if err != nil {
		f.t.Fatalf("SetQuiz: %v", err)
	}
	return q
}

// setQuizOfEveryType gives the fixture's quiz one question of every type,
// any number of attempts allowed, and returns the questions' ids.
func (f *fixture) setQuizOfEveryType() []uuid.UUID {
	f.t.Helper()
	_, qs := f.bank()
	var ids []uuid.UUID
	for _, typ := range Types {
		ids = append(ids, qs[typ].ID)
	}
	f.setQuiz(QuizInput{AttemptsAllowed: ptr(0)}, ids...)
	return ids
}

// startQuizOf gives the fixture's quiz the question of one type of a new
// bank and starts learnerA1's attempt of it, returning their context.
func (f *fixture) startQuizOf(typ Type) (context.Context, AttemptView) {
	f.t.Helper()
	_, qs := f.bank()
	f.setQuiz(QuizInput{}, qs[typ].ID)
	ctx := f.as("learnerA1")
	a, err := f.svc.Start(ctx, f.quizID, f.classID)
	if err != nil {
		f.t.Fatalf("Start: %v", err)
	}
	return ctx, a
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// countOutbox counts the outbox rows of a type.
func (f *fixture) countOutbox(typ string) int {
	var n int64
	if err := f.db.Conn(context.Background()).Table("outbox").Where("task_type = ?", typ).Count(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

// rawBytes scans a bytea JSON column into v.
type rawBytes struct{ v any }

func (r *rawBytes) Scan(src any) error {
	b, _ := src.([]byte)
	return json.Unmarshal(b, r.v)
}

func asynqTask(typ string, payload []byte) *asynq.Task { return asynq.NewTask(typ, payload) }
