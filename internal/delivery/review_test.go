package delivery

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
)

// countingDirectory is a directory that also looks learners up in batches,
// and counts its calls.
type countingDirectory struct {
	*directory
	single, batch atomic.Int64
}

func (d *countingDirectory) Learner(ctx context.Context, id uuid.UUID) (Learner, error) {
	d.single.Add(1)
	return d.directory.Learner(ctx, id)
}

func (d *countingDirectory) Learners(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]Learner, error) {
	d.batch.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[uuid.UUID]Learner{}
	for _, id := range ids {
		if l, ok := d.learners[id]; ok {
			out[id] = l
		}
	}
	return out, nil
}

// countingCatalogue counts the versions asked of the catalogue.
type countingCatalogue struct {
	*catalogue
	versions atomic.Int64
}

func (c *countingCatalogue) PublishedVersion(ctx context.Context, id uuid.UUID) (CourseVersion, error) {
	c.versions.Add(1)
	return c.catalogue.PublishedVersion(ctx, id)
}

type statementCounterKey struct{}

// countStatements counts the statements that touch table and run with a
// context from counted.
func countStatements(t testing.TB, w *world, table string) (counted func(context.Context) context.Context, n *atomic.Int64) {
	t.Helper()
	n = &atomic.Int64{}
	count := func(db *gorm.DB) {
		if c, ok := db.Statement.Context.Value(statementCounterKey{}).(*atomic.Int64); ok &&
			strings.Contains(db.Statement.SQL.String(), table) {
			c.Add(1)
		}
	}
	cb := w.db.Conn(context.Background()).Callback()
	name := "test:count-" + uuid.NewString()
	for _, err := range []error{
		cb.Create().Register(name, count), cb.Query().Register(name, count), cb.Update().Register(name, count),
		cb.Delete().Register(name, count), cb.Raw().Register(name, count), cb.Row().Register(name, count),
	} {
		if err != nil {
			t.Fatalf("register statement counter: %v", err)
		}
	}
	return func(ctx context.Context) context.Context { return context.WithValue(ctx, statementCounterKey{}, n) }, n
}

func TestAssignmentDoesNotQueryPerLearner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := &countingDirectory{directory: w.dir}
	svc := NewService(Deps{DB: w.db, Outbox: w.svc.outbox, Catalogue: w.cat, Directory: dir, Auditor: w.svc.audit, Now: w.clock.Now})
	head := w.person(w.unitA, nil)
	w.grant(head, authz.RoleSupervisor, w.unitA)
	counted, statements := countStatements(t, w, "enrolments")

	assign := func(n int) (BulkEnrolResult, int64) {
		t.Helper()
		c := w.classOf(w.version(), withCapacity(n/2, true))
		ids := make([]uuid.UUID, n)
		for i := range ids {
			ids[i] = w.person(w.unitA, nil).UserID
		}
		before := statements.Load()
		res, err := svc.EnrolInBulk(counted(w.as(head)), c.ID, BulkEnrolInput{UserIDs: ids})
		if err != nil {
			t.Fatalf("Assign(%d learners) = %v", n, err)
		}
		return res, statements.Load() - before
	}
	small, smallStatements := assign(4)
	dir.single.Store(0)
	dir.batch.Store(0)
	large, largeStatements := assign(60)

	if len(small.Assigned) != 2 || len(small.Waitlisted) != 2 || len(large.Assigned) != 30 || len(large.Waitlisted) != 30 {
		t.Errorf("Assign = %d+%d and %d+%d assigned+waitlisted; want 2+2 and 30+30",
			len(small.Assigned), len(small.Waitlisted), len(large.Assigned), len(large.Waitlisted))
	}
	if got, want := largeStatements, smallStatements; got != want {
		t.Errorf("Assign(60 learners) ran %d statements on enrolments, want %d as for 4 learners", got, want)
	}
	if dir.single.Load() != 0 || dir.batch.Load() != 1 {
		t.Errorf("Assign(60 learners) asked the directory %d times one by one and %d in batches, want 0 and 1",
			dir.single.Load(), dir.batch.Load())
	}
	if got := w.count("enrolments", "status = 'active' AND class_id = ?", large.Assigned[0].Enrolment.ClassID); got != 30 {
		t.Errorf("active enrolments after Assign(60 learners, 30 seats) = %d, want 30", got)
	}
}

func TestRollCallReadsTheCourseOnceForEveryLearner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cat := &countingCatalogue{catalogue: w.cat}
	svc := NewService(Deps{DB: w.db, Outbox: w.svc.outbox, Catalogue: cat, Directory: w.dir, Auditor: w.svc.audit, Now: w.clock.Now})
	v := w.version(ItemText)
	c := w.classOf(v)
	sess := w.session(c, time.Hour, 2*time.Hour)
	var records []RollCallRecord
	var learners []Learner
	for range 12 {
		l := w.person(w.unitA, nil)
		e := w.enrol(l, c)
		if _, err := w.svc.RecordProgress(w.as(l), e.ID, ProgressInput{ItemID: v.Items[0].ID, Event: EventViewed}); err != nil {
			t.Fatalf("RecordProgress = %v", err)
		}
		learners = append(learners, l)
		records = append(records, RollCallRecord{UserID: l.UserID, Status: AttendancePresent})
	}
	cat.versions.Store(0)
	if _, err := svc.RollCall(w.as(w.manager), sess.ID, records); err != nil {
		t.Fatalf("RollCall = %v", err)
	}
	if got := cat.versions.Load(); got != 1 {
		t.Errorf("RollCall(12 learners) asked the catalogue %d times, want 1", got)
	}
	// Every learner had read the one item and now attended the one session.
	if got := w.count("enrolments", "class_id = ? AND status = 'completed'", c.ID); got != len(learners) {
		t.Errorf("completed enrolments after the roll call = %d, want %d", got, len(learners))
	}
	if got := w.count("jp_credits", "class_id = ?", c.ID); got != len(learners) {
		t.Errorf("JP credits after the roll call = %d, want %d", got, len(learners))
	}
}

func TestConcurrentStaffChangesTakeTurns(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version())
	a, b := w.person(w.institute, nil), w.person(w.institute, nil)
	staff := []Staff{{UserID: a.UserID, Role: StaffInstructor}, {UserID: b.UserID, Role: StaffMentor}}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.SetStaff(w.as(w.manager), c.ID, staff, true)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("SetStaff(concurrently) = %v, want nil", err)
		}
	}
	if got := w.count("class_staff", "class_id = ?", c.ID); got != 2 {
		t.Errorf("class staff after concurrent changes = %d, want 2", got)
	}
}

func TestForgedListCursorsAreInvalidNotServerErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version())
	e := w.server()
	cursor := func(key, id string) string {
		return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"k":%q,"i":%q}`, key, id))
	}
	tests := []struct {
		name, path string
	}{
		{"a class list cursor with a key that is not a date", "/api/v1/classes?cursor=" + cursor("yesterday", uuid.NewString())},
		{"a class list cursor with an id that is not a uuid", "/api/v1/classes?cursor=" + cursor("2026-03-01", "42")},
		{"a session list cursor with a key that is not a time", "/api/v1/classes/" + c.ID.String() + "/sessions?cursor=" + cursor("soon", uuid.NewString())},
		{"a class enrolment list cursor with an id that is not a uuid", "/api/v1/classes/" + c.ID.String() + "/enrolments?cursor=" + cursor("", "x")},
		{"my enrolment list cursor with an id that is not a uuid", "/api/v1/me/enrolments?cursor=" + cursor("", "x")},
		{"the team enrolment list cursor with an id that is not a uuid", "/api/v1/team/enrolments?cursor=" + cursor("", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.do(e, w.manager, http.MethodGet, tt.path, "", "")
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("GET %s = %d %s, want 422", tt.path, r.status, r.body)
			}
			if p := problem(t, r); len(p.Errors) == 0 || p.Errors[0].Field != "cursor" {
				t.Errorf("GET %s problem = %+v, want an error on cursor", tt.path, p)
			}
		})
	}
}

func TestTextThePostgresColumnsCannotHoldIsInvalid(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	c := w.classOf(v)
	kind, title, venue := SessionInPerson, "Tatap muka", "Aula\x00BPSDM"
	starts, ends := start.Add(time.Hour), start.Add(2*time.Hour)
	tests := []struct {
		name string
		do   func() error
	}{
		{"a class title with a NUL character", func() error {
			_, err := w.svc.CreateClass(w.as(w.manager), ClassInput{VersionID: v.VersionID, OrgID: w.institute, Code: "NUL-1",
				Title: "Kelas\x00A", StartsOn: c.StartsOn, EndsOn: c.EndsOn, Capacity: 10, Policy: PolicyOpen})
			return err
		}},
		{"a class title that is not UTF-8", func() error {
			bad := "Kelas \xff"
			_, err := w.svc.UpdateClass(w.as(w.manager), c.ID, ClassPatch{Title: &bad})
			return err
		}},
		{"a session venue with a NUL character", func() error {
			_, err := w.svc.CreateSession(w.as(w.manager), c.ID, SessionInput{Kind: &kind, Title: &title, Venue: &venue,
				StartsAt: &starts, EndsAt: &ends}, true)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); apperr.KindOf(err) != apperr.KindInvalid {
				t.Errorf("err = %v, want a validation error", err)
			}
		})
	}
}

func TestEnrolmentListsSurviveALearnerTheDirectoryForgot(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version())
	kept, gone := w.person(w.unitA, nil), w.person(w.unitA, nil)
	w.enrol(kept, c)
	w.enrol(gone, c)
	w.dir.mu.Lock()
	delete(w.dir.learners, gone.UserID)
	w.dir.mu.Unlock()
	res, err := w.svc.ClassEnrolments(w.as(w.manager), c.ID, EnrolmentFilter{}, page.Request{Limit: 10, Sort: "enrolled_at"})
	if err != nil {
		t.Fatalf("ClassEnrolments = %v, want the list", err)
	}
	if len(res.Items) != 2 {
		t.Fatalf("ClassEnrolments = %d items, want 2", len(res.Items))
	}
	for _, e := range res.Items {
		if known := e.UserID == kept.UserID; (e.Learner != nil) != known {
			t.Errorf("ClassEnrolments learner of %s = %v, want one only for the learner the directory knows", e.UserID, e.Learner)
		}
	}
}

func TestANarrowedTokenDoesNotActOnARelationship(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(), withPolicy(PolicyApproval))
	boss := w.person(w.unitA, nil)
	w.grant(boss, authz.RoleSupervisor, w.unitA)
	teacher := w.person(w.institute, nil)
	if _, err := w.svc.SetStaff(w.as(w.manager), c.ID, []Staff{{UserID: teacher.UserID, Role: StaffInstructor}}, true); err != nil {
		t.Fatalf("SetStaff = %v", err)
	}
	report := w.person(w.unitA, &boss)
	e := w.enrol(report, c)
	scoped := func(l Learner, scopes ...authz.Permission) context.Context {
		a := w.actor(l.UserID)
		a.Scopes = scopes
		return authz.WithActor(context.Background(), a)
	}
	tests := []struct {
		name string
		do   func() error
		want apperr.Kind // when not ok
		ok   bool
	}{
		{"a supervisor's token without enrolment.oversee sees no team", func() error {
			res, err := w.svc.TeamEnrolments(scoped(boss, authz.CourseRead), EnrolmentFilter{}, page.Request{Limit: 10, Sort: "enrolled_at"})
			if err == nil && len(res.Items) > 0 {
				return fmt.Errorf("%d team enrolments", len(res.Items))
			}
			return err
		}, 0, true},
		{"a supervisor's token without enrolment.oversee cannot see a report's enrolment", func() error {
			_, err := w.svc.Enrolment(scoped(boss, authz.CourseRead), e.ID)
			return err
		}, apperr.KindNotFound, false},
		{"a supervisor's token with enrolment.oversee alone may see but not approve", func() error {
			_, err := w.svc.Approve(scoped(boss, authz.EnrolmentOversee), e.ID)
			return err
		}, apperr.KindForbidden, false},
		{"a staff member's token without class.teach cannot read the roll", func() error {
			_, err := w.svc.Attendance(scoped(teacher, authz.CourseRead), w.session(c, time.Hour, time.Hour).ID, page.Request{Limit: 50})
			return err
		}, apperr.KindForbidden, false},
		{"a supervisor's token with enrolment.assign approves", func() error {
			_, err := w.svc.Approve(scoped(boss, authz.EnrolmentAssign), e.ID)
			return err
		}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if tt.ok {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			if apperr.KindOf(err) != tt.want {
				t.Errorf("err = %v, want kind %v", err, tt.want)
			}
		})
	}
}

func TestAssignmentFillsEachLearnersWaitingPathStepWithTheirOwnEnrolment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemText)
	path := uuid.Must(uuid.NewV7())
	steps := []PathStep{{CourseID: v.CourseID, Position: 1}}
	w.cat.mu.Lock()
	w.cat.paths[path] = steps
	w.cat.mu.Unlock()
	head := w.person(w.unitA, nil)
	w.grant(head, authz.RoleSupervisor, w.unitA)
	var ids []uuid.UUID
	for range 3 {
		l := w.person(w.unitA, nil)
		if _, _, err := w.svc.EnrolInPath(w.as(l), path); err != nil { // no class yet: the step waits
			t.Fatalf("EnrolInPath = %v", err)
		}
		ids = append(ids, l.UserID)
	}
	c := w.classOf(v, withPolicy(PolicyAssigned))
	res, err := w.svc.EnrolInBulk(w.as(head), c.ID, BulkEnrolInput{UserIDs: ids})
	if err != nil || len(res.Assigned) != len(ids) {
		t.Fatalf("Assign = %+v, %v; want %d assigned", res, err, len(ids))
	}
	for _, a := range res.Assigned {
		pe, err := w.svc.pathState(context.Background(), path, a.UserID, steps)
		if err != nil {
			t.Fatal(err)
		}
		if st := pe.Steps[0]; st.Status != StepEnrolled || st.EnrolmentID == nil || *st.EnrolmentID != a.Enrolment.ID {
			t.Errorf("path step of %s = %s with %v, want enrolled with %s", a.UserID, st.Status, st.EnrolmentID, a.Enrolment.ID)
		}
	}
}
