package gradebook

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
)

var errClassNotFound = apperr.New(apperr.KindNotFound, "test.class_not_found", "x", "class not found")

// fakeClasses stands in for delivery and the catalogue: classes with their
// graded items, staff, learners and people who see them and are neither.
type fakeClasses struct {
	mu      sync.Mutex
	classes map[uuid.UUID]*fakeClass
}

type fakeClass struct {
	class                   Class
	staff, learners, others map[uuid.UUID]bool
}

func (f *fakeClasses) ClassAccess(ctx context.Context, id uuid.UUID) (Class, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Class{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.classes[id]
	u := actor.UserID
	if !ok || !c.staff[u] && !c.learners[u] && !c.others[u] {
		return Class{}, errClassNotFound
	}
	out := c.class
	out.Staff, out.Learner = c.staff[u], c.learners[u]
	return out, nil
}

func (f *fakeClasses) GradedClass(_ context.Context, id uuid.UUID) (Class, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.classes[id]
	if !ok {
		return Class{}, errClassNotFound
	}
	return c.class, nil
}

func (f *fakeClasses) Enrolled(_ context.Context, classID, userID uuid.UUID) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.classes[classID]
	return ok && c.learners[userID], nil
}

func (f *fakeClasses) Learners(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]Learner, error) {
	out := make(map[uuid.UUID]Learner, len(ids))
	for _, id := range ids {
		out[id] = Learner{Name: "Peserta " + id.String()[:8], NIP: "1990" + id.String()[:4]}
	}
	return out, nil
}

// fixture: an institute with a class of a version with quizzes and
// assignments (and attendance), its instructor, two learners, and an
// outsider.
type fixture struct {
	t       testing.TB
	db      *database.DB
	svc     *Service
	classes *fakeClasses
	objects *objectstore.Store
	orgID   uuid.UUID
	classID uuid.UUID
	items   []Item
	actor   map[string]*authz.Actor
}

func newFixture(t testing.TB, quizzes, assignments int) *fixture {
	t.Helper()
	db := database.NewTestDB(t)
	f := &fixture{t: t, db: db, classes: &fakeClasses{classes: map[uuid.UUID]*fakeClass{}}, actor: map[string]*authz.Actor{},
		orgID: uuid.Must(uuid.NewV7()), classID: uuid.Must(uuid.NewV7())}
	f.objects = objectstore.NewTestStore(t)
	path := "/" + f.orgID.String() + "/"
	f.exec(`INSERT INTO organizations (id, path, kind, code, name) VALUES (?, ?, 'training_institute', ?, 'BPSDM')`, f.orgID, path, "ORG-"+f.orgID.String()[:8])
	f.exec(`INSERT INTO classes (id, version_id, course_id, org_id, code, title, starts_on, ends_on, capacity, policy)
		VALUES (?, ?, ?, ?, ?, 'Kelas', '2026-01-01', '2026-12-31', 30, 'open')`,
		f.classID, uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), f.orgID, "K-"+f.classID.String()[:8])
	for i := range quizzes + assignments {
		kind := KindQuiz
		if i >= quizzes {
			kind = KindAssignment
		}
		f.items = append(f.items, Item{Key: uuid.Must(uuid.NewV7()).String(), Kind: kind})
	}
	f.items = append(f.items, Item{Key: AttendanceItem, Kind: KindAttendance})
	fc := &fakeClass{class: Class{ClassID: f.classID, OrgID: f.orgID, OrgPath: path, Items: f.items},
		staff: map[uuid.UUID]bool{}, learners: map[uuid.UUID]bool{}, others: map[uuid.UUID]bool{}}
	for name, role := range map[string]string{"instructor": "staff", "learner": "learner", "learner2": "learner", "viewer": "other", "outsider": ""} {
		a := &authz.Actor{UserID: uuid.Must(uuid.NewV7()), HomeOrgID: f.orgID, HomeOrgPath: path}
		f.actor[name] = a
		switch role {
		case "staff":
			fc.staff[a.UserID] = true
		case "learner":
			fc.learners[a.UserID] = true
		case "other":
			fc.others[a.UserID] = true
		}
	}
	f.classes.classes[f.classID] = fc
	f.svc = NewService(Deps{DB: db, Outbox: queue.NewOutbox(db), Auditor: audit.NewService(db, nil), Classes: f.classes,
		Jobs: job.NewService(db, f.objects), Objects: f.objects})
	return f
}

// enrolStaff makes the instructor a learner of their own class too.
func (f *fixture) enrolStaff() {
	f.classes.classes[f.classID].learners[f.actor["instructor"].UserID] = true
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if err := f.db.Conn(context.Background()).Exec(sql, args...).Error; err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func (f *fixture) count(table, where string, args ...any) int {
	f.t.Helper()
	var n int64
	if err := f.db.Conn(context.Background()).Table(table).Where(where, args...).Count(&n).Error; err != nil {
		f.t.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

func (f *fixture) as(name string) context.Context {
	a, ok := f.actor[name]
	if !ok {
		f.t.Fatalf("no actor %q", name)
	}
	return authz.WithActor(context.Background(), a)
}

// grade records a grade of a learner for item i at a time.
func (f *fixture) grade(learner string, i int, percent float64, passed bool, at time.Time) {
	f.t.Helper()
	it := f.items[i]
	if err := f.svc.RecordGrade(context.Background(), f.classID, f.actor[learner].UserID,
		Grade{Item: it.Key, Kind: it.Kind, Percent: percent, Passed: passed, ReleasedAt: at}); err != nil {
		f.t.Fatalf("RecordGrade(%s, item %d) = %v", learner, i, err)
	}
}

// row is a learner's stored row.
func (f *fixture) row(learner string) Row {
	f.t.Helper()
	rows, err := f.svc.store.results(context.Background(), f.classID, []uuid.UUID{f.actor[learner].UserID})
	if err != nil {
		f.t.Fatal(err)
	}
	r, ok := rows[f.actor[learner].UserID]
	if !ok {
		f.t.Fatalf("%s has no row", learner)
	}
	return r
}

func (f *fixture) resultEvents() int {
	return f.count("outbox", "task_type = ?", TypeResultChanged)
}

func pct(f float64) *float64 { return &f }

func fmtPercent(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
