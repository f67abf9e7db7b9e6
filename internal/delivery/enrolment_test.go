package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
)

func TestConcurrentEnrolmentsNeverOverfillAClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		waitlist       bool
		wantActive     int
		wantWaitlisted int
		wantFull       int
	}{
		{"twenty learners race for five seats without a wait list", false, 5, 0, 15},
		{"twenty learners race for five seats with a wait list", true, 5, 15, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			c := w.classOf(w.version(), withCapacity(5, tt.waitlist))
			learners := make([]Learner, 20)
			for i := range learners {
				learners[i] = w.person(w.unitA, nil)
			}
			var wg sync.WaitGroup
			errs := make(chan error, len(learners))
			for _, l := range learners {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, err := w.svc.Enrol(w.as(l), c.ID)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			full := 0
			for err := range errs {
				switch {
				case errors.Is(err, ErrClassFull):
					full++
				case err != nil:
					t.Errorf("Enrol = %v", err)
				}
			}
			if got := w.count("enrolments", "class_id = ? AND status = 'active'", c.ID); got != tt.wantActive {
				t.Errorf("active enrolments = %d, want %d", got, tt.wantActive)
			}
			if got := w.count("enrolments", "class_id = ? AND status = 'waitlisted'", c.ID); got != tt.wantWaitlisted {
				t.Errorf("waitlisted enrolments = %d, want %d", got, tt.wantWaitlisted)
			}
			if full != tt.wantFull {
				t.Errorf("enrolments refused as full = %d, want %d", full, tt.wantFull)
			}
		})
	}
}

func TestEnrollingPastCapacityIsAConflictThatWritesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(), withCapacity(1, false))
	w.enrol(w.person(w.unitA, nil), c)
	late := w.person(w.unitA, nil)
	before := w.count("enrolments", "")
	auditBefore := w.count("audit_log", "")

	r := w.do(w.server(), late, http.MethodPost, "/api/v1/classes/"+c.ID.String()+"/enrolments", "", "")
	if r.status != http.StatusConflict {
		t.Fatalf("POST enrolments on a full class = %d %s, want 409", r.status, r.body)
	}
	if p := problem(t, r); p.Type != "urn:corpu:problem:delivery.class_full" {
		t.Errorf("problem type = %s, want urn:corpu:problem:delivery.class_full", p.Type)
	}
	if got := w.count("enrolments", ""); got != before {
		t.Errorf("enrolments after a refused enrolment = %d, want %d", got, before)
	}
	if got := w.count("audit_log", ""); got != auditBefore {
		t.Errorf("audit entries after a refused enrolment = %d, want %d", got, auditBefore)
	}
}

func TestEnrollingTwiceReturnsTheSameEnrolment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version())
	l := w.person(w.unitA, nil)
	srv := w.server()
	path := "/api/v1/classes/" + c.ID.String() + "/enrolments"

	first := w.do(srv, l, http.MethodPost, path, "", "")
	second := w.do(srv, l, http.MethodPost, path, "", "")
	if first.status != http.StatusCreated || second.status != http.StatusOK {
		t.Fatalf("POST enrolments twice = %d then %d, want 201 then 200", first.status, second.status)
	}
	var a, b enrolmentResponse
	first.decode(t, &a)
	second.decode(t, &b)
	if a.ID != b.ID || a.Status != EnrolmentActive {
		t.Errorf("enrolments = %s (%s) and %s, want one active enrolment", a.ID, a.Status, b.ID)
	}
	if got := w.count("enrolments", "class_id = ?", c.ID); got != 1 {
		t.Errorf("enrolment rows = %d, want 1", got)
	}
}

func TestWithdrawingGivesTheSeatToTheFirstOnTheWaitList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(), withCapacity(2, true))
	var learners []Learner
	var enrolments []Enrolment
	for range 4 {
		l := w.person(w.unitA, nil)
		learners = append(learners, l)
		enrolments = append(enrolments, w.enrol(l, c))
	}
	wantBefore := []EnrolmentStatus{EnrolmentActive, EnrolmentActive, EnrolmentWaitlisted, EnrolmentWaitlisted}
	for i, e := range enrolments {
		if e.Status != wantBefore[i] {
			t.Fatalf("enrolment %d = %s, want %s", i, e.Status, wantBefore[i])
		}
	}

	// Withdrawing from the wait list frees no seat.
	if _, err := w.svc.Withdraw(w.as(learners[3]), enrolments[3].ID); err != nil {
		t.Fatalf("Withdraw(waitlisted) = %v", err)
	}
	if got := w.enrolment(enrolments[2].ID).Status; got != EnrolmentWaitlisted {
		t.Errorf("first waitlisted after a waitlisted learner withdrew = %s, want waitlisted", got)
	}
	// Withdrawing an active learner promotes the first waitlisted one.
	if _, err := w.svc.Withdraw(w.as(learners[0]), enrolments[0].ID); err != nil {
		t.Fatalf("Withdraw(active) = %v", err)
	}
	if got := w.enrolment(enrolments[2].ID); got.Status != EnrolmentActive || got.ActivatedAt == nil {
		t.Errorf("first waitlisted after an active learner withdrew = %s (activated %v), want active", got.Status, got.ActivatedAt)
	}
	if got := w.count("enrolments", "class_id = ? AND status = 'active'", c.ID); got != 2 {
		t.Errorf("active enrolments = %d, want 2", got)
	}
	// A withdrawn enrolment cannot be withdrawn again; the learner may enrol anew.
	if _, err := w.svc.Withdraw(w.as(learners[0]), enrolments[0].ID); !errors.Is(err, ErrCannotWithdraw) {
		t.Errorf("Withdraw(withdrawn) = %v, want %v", err, ErrCannotWithdraw)
	}
	if again := w.enrol(learners[0], c); again.ID == enrolments[0].ID || again.Status != EnrolmentWaitlisted {
		t.Errorf("re-enrolment = %s %s, want a new waitlisted enrolment", again.ID, again.Status)
	}
}

func TestApprovalIsForTheLearnersSupervisor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(), withPolicy(PolicyApproval), withCapacity(5, false))
	boss := w.person(w.unitA, nil)
	w.grant(boss, authz.RoleSupervisor, w.unitA)
	// named supervisor of the learner (as anyone may be), with no grant that carries a supervisor's powers
	pointerBoss := w.person(w.unitB, nil)
	assigner := w.person(w.unitA, nil)
	w.grant(assigner, authz.RoleSupervisor, w.unitA)
	otherAssigner := w.person(w.unitB, nil)
	w.grant(otherAssigner, authz.RoleSupervisor, w.unitB)
	stranger := w.person(w.unitB, nil)

	tests := []struct {
		name       string
		by         func(learner Learner) Learner
		approve    bool
		wantStatus int
		wantState  EnrolmentStatus
	}{
		{"the supervisor approves", func(Learner) Learner { return boss }, true, http.StatusOK, EnrolmentActive},
		{"the supervisor rejects", func(Learner) Learner { return boss }, false, http.StatusOK, EnrolmentRejected},
		{"an assigner of the learner's unit approves", func(Learner) Learner { return assigner }, true, http.StatusOK, EnrolmentActive},
		{"a stranger cannot see the request", func(Learner) Learner { return stranger }, true, http.StatusNotFound, EnrolmentPending},
		{"an assigner of another unit cannot see the request", func(Learner) Learner { return otherAssigner }, true, http.StatusNotFound, EnrolmentPending},
		{"the learner cannot approve themselves", func(l Learner) Learner { return l }, true, http.StatusForbidden, EnrolmentPending},
		{"a supervisor by name alone cannot see the request", func(Learner) Learner { return pointerBoss }, true, http.StatusNotFound, EnrolmentPending},
	}
	srv := w.server()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sup := &boss
			if tt.by(Learner{}).UserID == pointerBoss.UserID {
				sup = &pointerBoss
			}
			learner := w.person(w.unitA, sup)
			e := w.enrol(learner, c)
			if e.Status != EnrolmentPending {
				t.Fatalf("Enrol in an approval class = %s, want pending_approval", e.Status)
			}
			action := "approve"
			if !tt.approve {
				action = "reject"
			}
			r := w.do(srv, tt.by(learner), http.MethodPost, "/api/v1/enrolments/"+e.ID.String()+"/"+action, "", "")
			if r.status != tt.wantStatus {
				t.Fatalf("POST %s = %d %s, want %d", action, r.status, r.body, tt.wantStatus)
			}
			if got := w.enrolment(e.ID); got.Status != tt.wantState {
				t.Errorf("enrolment after %s = %s, want %s", action, got.Status, tt.wantState)
			}
		})
	}

	t.Run("a decided request cannot be decided again", func(t *testing.T) {
		learner := w.person(w.unitA, &boss)
		e := w.enrol(learner, c)
		if _, err := w.svc.Approve(w.as(boss), e.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Reject(w.as(boss), e.ID); !errors.Is(err, ErrNotPending) {
			t.Errorf("Reject(approved) = %v, want %v", err, ErrNotPending)
		}
	})
}

func TestAssignedOnlyClassRefusesSelfEnrolment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(), withPolicy(PolicyAssigned))
	assigner := w.person(w.unitA, nil)
	w.grant(assigner, authz.RoleSupervisor, w.unitA)
	former := w.person(w.unitA, nil)
	res, err := w.svc.EnrolInBulk(w.as(assigner), c.ID, BulkEnrolInput{UserIDs: []uuid.UUID{former.UserID}})
	if err != nil || len(res.Assigned) != 1 {
		t.Fatalf("Assign = %+v, %v; want one assigned", res, err)
	}
	if _, err := w.svc.Withdraw(w.as(former), res.Assigned[0].Enrolment.ID); err != nil {
		t.Fatalf("Withdraw = %v", err)
	}

	tests := []struct {
		name string
		who  Learner
		want *apperr.Error
	}{
		{"a learner who was assigned and withdrew is told it is assignment only", former, ErrAssignmentOnly},
		{"a stranger cannot see the class at all", w.person(w.unitB, nil), ErrClassNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.count("enrolments", "class_id = ?", c.ID)
			_, _, err := w.svc.Enrol(w.as(tt.who), c.ID)
			if !errors.Is(err, tt.want) {
				t.Errorf("Enrol = %v, want %v", err, tt.want)
			}
			if got := w.count("enrolments", "class_id = ?", c.ID); got != before {
				t.Errorf("enrolments = %d, want %d: a refused enrolment writes nothing", got, before)
			}
		})
	}
}

func TestCSVAssignmentReportsEveryRowItDidNotEnrol(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(), withPolicy(PolicyAssigned), withCapacity(2, false))
	assigner := w.person(w.unitA, nil)
	w.grant(assigner, authz.RoleSupervisor, w.unitA)
	mine1, mine2, mine3 := w.person(w.unitA, nil), w.person(w.unitA, nil), w.person(w.unitA, nil)
	outside := w.person(w.unitB, nil)
	// a direct report working in another unit: being their supervisor is no
	// grant there, so the caller may not assign them
	report := w.person(w.unitB, &assigner)

	csv := "nama;nip\n" +
		"Satu;" + mine1.NIP + "\n" +
		"Tak dikenal;199001012015031999\n" +
		"Luar;" + outside.NIP + "\n" +
		"Salah;12345\n" +
		"Satu lagi;" + mine1.NIP + "\n" +
		"Bawahan;" + report.NIP[:8] + " " + report.NIP[8:14] + " " + report.NIP[14:] + "\n" +
		"Dua;" + mine2.NIP + "\n" +
		"Tiga;" + mine3.NIP + "\n" +
		"Saya sendiri;" + assigner.NIP + "\n" +
		"Bulan ke-13;198513122010011001\n" +
		"Bertitik;" + mine3.NIP[:8] + "." + mine3.NIP[8:14] + "-" + mine3.NIP[14:] + "\n"
	r := w.do(w.server(), assigner, http.MethodPost, "/api/v1/classes/"+c.ID.String()+"/enrolments/bulk", "text/csv", csv)
	if r.status != http.StatusOK {
		t.Fatalf("POST enrolments/bulk (CSV) = %d %s, want 200", r.status, r.body)
	}
	var res bulkEnrolResponse
	r.decode(t, &res)

	assigned := map[string]bool{}
	for _, a := range res.Assigned {
		assigned[a.NIP] = true
	}
	if len(res.Assigned) != 2 || !assigned[mine1.NIP] || !assigned[mine2.NIP] {
		t.Errorf("assigned = %+v, want the two first learners in the caller's unit", res.Assigned)
	}
	wantSkipped := map[int]SkipReason{
		3: SkipUnknownNIP, 4: SkipUnknownNIP, 5: SkipInvalidNIP, 6: SkipDuplicate, 7: SkipUnknownNIP, 9: SkipClassFull, 10: SkipSelf,
		// 18 digits, but no person is born in month 13: identity would refuse it, so it is invalid, not unknown
		11: SkipInvalidNIP,
		// dots and dashes are dropped as identity drops them: the same person as line 9
		12: SkipDuplicate,
	}
	// rows count from 1 without the header: shift by one
	got := map[int]SkipReason{}
	for _, s := range res.Skipped {
		got[s.Row+1] = s.Reason
		if s.Message == "" {
			t.Errorf("skipped row %d has no message", s.Row)
		}
	}
	if len(got) != len(wantSkipped) {
		t.Errorf("skipped = %+v, want %v", res.Skipped, wantSkipped)
	}
	for line, reason := range wantSkipped {
		if got[line] != reason {
			t.Errorf("line %d skipped as %q, want %q (all: %+v)", line, got[line], reason, res.Skipped)
		}
	}
	if n := w.count("enrolments", "class_id = ?", c.ID); n != 2 {
		t.Errorf("enrolments = %d, want 2", n)
	}

	t.Run("assigning the same learners again skips them as enrolled", func(t *testing.T) {
		body := `{"user_ids":["` + mine1.UserID.String() + `"]}`
		r := w.do(w.server(), assigner, http.MethodPost, "/api/v1/classes/"+c.ID.String()+"/enrolments/bulk", "application/json", body)
		var res bulkEnrolResponse
		r.decode(t, &res)
		if len(res.Skipped) != 1 || res.Skipped[0].Reason != SkipAlreadyEnrolled || res.Skipped[0].Status != EnrolmentActive {
			t.Errorf("second assignment = %+v, want one skipped as already enrolled (active)", res)
		}
	})
}

func TestAssigningAUnitEnrolsItsWholeSubtree(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(), withPolicy(PolicyAssigned), withCapacity(3, true))
	head := w.person(w.unitA, nil)
	w.grant(head, authz.RoleOrgAdmin, w.unitA)
	sub := w.org(w.unitA)
	for range 2 {
		w.person(w.unitA, nil)
		w.person(sub, nil)
	}
	res, err := w.svc.EnrolInBulk(w.as(head), c.ID, BulkEnrolInput{OrgID: w.unitA})
	if err != nil {
		t.Fatalf("Assign(unit) = %v", err)
	}
	// 5 people in the subtree: the head does not assign themselves; 3 seats, 1 on the wait list.
	if len(res.Assigned) != 3 || len(res.Waitlisted) != 1 || len(res.Skipped) != 1 || res.Skipped[0].Reason != SkipSelf {
		t.Errorf("Assign(unit) = %d assigned, %d waitlisted, %+v skipped; want 3, 1, the head as self", len(res.Assigned), len(res.Waitlisted), res.Skipped)
	}
	if _, err := w.svc.EnrolInBulk(w.as(head), c.ID, BulkEnrolInput{OrgID: w.unitB}); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("Assign(another unit) = %v, want a validation error", err)
	}
}

// reportsDirectory is a directory that also lists a supervisor's direct reports.
type reportsDirectory struct{ *directory }

func (d reportsDirectory) DirectReports(_ context.Context, supervisorID uuid.UUID) ([]Learner, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Learner
	for _, l := range d.learners {
		if l.SupervisorID != nil && *l.SupervisorID == supervisorID {
			out = append(out, l)
		}
	}
	return out, nil
}

func TestTeamViewShowsOnlyTheCallersTeam(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	withReports := NewService(Deps{DB: w.db, Outbox: w.svc.outbox, Catalogue: w.cat, Directory: reportsDirectory{w.dir},
		Auditor: w.svc.audit, Now: w.clock.Now})
	c := w.classOf(w.version())
	boss := w.person(w.unitA, nil)
	w.grant(boss, authz.RoleSupervisor, w.unitA)
	near := w.person(w.unitA, &boss)
	far := w.person(w.unitB, &boss)
	// a learner of another unit named supervisor, with no grant
	named := w.person(w.unitB, nil)
	namedReport := w.person(w.unitA, &named)
	overseer := w.person(w.unitB, nil)
	w.grant(overseer, authz.RoleMentor, w.unitB)
	peer := w.person(w.unitA, nil)
	for _, l := range []Learner{near, far, peer, namedReport} {
		w.enrol(l, c)
	}
	tests := []struct {
		name string
		svc  *Service
		who  Learner
		want []uuid.UUID
	}{
		// the supervisor grant on the unit carries the team view: the whole unit
		{"a supervisor sees the people of the unit of their grant", w.svc, boss, []uuid.UUID{near.UserID, peer.UserID, namedReport.UserID}},
		{"a report in a unit where the supervisor holds no grant stays out", withReports, boss, []uuid.UUID{near.UserID, peer.UserID, namedReport.UserID}},
		{"a supervisor by name alone sees nothing", withReports, named, nil},
		{"an overseer sees everyone in their unit", w.svc, overseer, []uuid.UUID{far.UserID}},
		{"a learner without a team sees nothing", w.svc, peer, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.svc.TeamEnrolments(w.as(tt.who), EnrolmentFilter{}, page.Request{Limit: 50, Sort: "enrolled_at"})
			if err != nil {
				t.Fatal(err)
			}
			var got []uuid.UUID
			for _, e := range res.Items {
				got = append(got, e.UserID)
				if e.Learner == nil || e.Learner.Name == "" {
					t.Errorf("team enrolment %s has no learner", e.ID)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("TeamEnrolments = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCanLearnOnlyWhileActiveOrCompleted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	c := w.classOf(v, withCapacity(1, true))
	in, waiting, outsider := w.person(w.unitA, nil), w.person(w.unitA, nil), w.person(w.unitA, nil)
	w.enrol(in, c)
	w.enrol(waiting, c)
	for _, tt := range []struct {
		who  Learner
		want bool
	}{{in, true}, {waiting, false}, {outsider, false}} {
		got, err := w.svc.CanLearn(context.Background(), tt.who.UserID, v.VersionID)
		if err != nil || got != tt.want {
			t.Errorf("CanLearn(%s) = %v, %v; want %v", tt.who.Name, got, err, tt.want)
		}
	}
}

func TestClassesListHidesAssignedClassesFromStrangers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	open := w.classOf(v)
	assigned := w.classOf(v, withPolicy(PolicyAssigned))
	stranger := w.person(w.unitA, nil)
	for _, tt := range []struct {
		name string
		who  Learner
		f    ClassFilter
		want int
	}{
		{"a stranger sees the open class", stranger, ClassFilter{VersionID: v.VersionID}, 1},
		{"the institute's instructor sees both in their institute", w.manager, ClassFilter{OrgID: w.institute}, 2},
	} {
		res, err := w.svc.Classes(w.as(tt.who), tt.f, page.Request{Limit: 50, Sort: "starts_on"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != tt.want {
			t.Errorf("%s: Classes = %d, want %d", tt.name, len(res.Items), tt.want)
		}
	}
	if _, err := w.svc.Class(w.as(stranger), assigned.ID); !errors.Is(err, ErrClassNotFound) {
		t.Errorf("Class(assigned) by a stranger = %v, want not found", err)
	}
	if _, err := w.svc.Class(w.as(stranger), open.ID); err != nil {
		t.Errorf("Class(open) by a stranger = %v", err)
	}
	if !strings.HasPrefix(open.Code, "K-") {
		t.Errorf("class code = %q", open.Code)
	}
}

func TestReadNIPsTakesOneColumnFromWhateverCSVASpreadsheetSaves(t *testing.T) {
	t.Parallel()
	const a, b = "198503122010011001", "198503122010011002"
	tests := []struct {
		name   string
		body   string
		want   []string
		status int // the answer when the file is refused; 0 when it is read
	}{
		{"one NIP a line, no header", a + "\n" + b + "\n", []string{a, b}, 0},
		{"a nip column among others", "nama,NIP,unit\nSatu," + a + ",X\nDua," + b + ",Y\n", []string{a, b}, 0},
		{"semicolons with a byte-order mark", "\xef\xbb\xbfnama;nip\nSatu;" + a + "\n", []string{a}, 0},
		{"tabs", "nama\tnip\nSatu\t" + a + "\n", []string{a}, 0},
		{"blank lines and short rows are passed over", "nama,nip\n\nSatu\nDua," + b + "\n", []string{b}, 0},
		{"an empty file holds no NIPs", "", nil, 0},
		{"a broken quote is a malformed file", "nip\n\"" + a + "\n", nil, http.StatusBadRequest},
		{"more than the limit is refused", "nip\n" + strings.Repeat(a+"\n", MaxBulkEnrolment+1), nil, http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readNIPs(strings.NewReader(tt.body))
			if tt.status != 0 {
				if e := apperr.As(err); e == nil || e.Kind.Status() != tt.status {
					t.Fatalf("readNIPs = %q, %v; want a %d answer", got, err, tt.status)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("readNIPs = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// SeenClassFacts decides who sees a class exactly as Class does; it only
// leaves the seats uncounted.
func TestSeenClassFactsShowsAClassToWhoeverClassShowsItTo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	open := w.classOf(v)
	assigned := w.classOf(v, withPolicy(PolicyAssigned))
	learner, stranger := w.person(w.unitA, nil), w.person(w.unitA, nil)
	w.enrol(learner, open)
	for _, tt := range []struct {
		name  string
		who   Learner
		class Class
	}{
		{"a stranger, the open class", stranger, open},
		{"a stranger, the assigned class", stranger, assigned},
		{"its learner, the open class", learner, open},
		{"the institute's instructor, the assigned class", w.manager, assigned},
	} {
		want, wantErr := w.svc.Class(w.as(tt.who), tt.class.ID)
		got, err := w.svc.SeenClassFacts(w.as(tt.who), tt.class.ID)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%s: SeenClassFacts = %v, Class = %v; want the same answer", tt.name, err, wantErr)
			continue
		}
		if wantErr != nil {
			continue
		}
		if got.SeatsTaken != 0 || got.ID != want.ID || got.VersionID != want.VersionID || len(got.Staff) != len(want.Staff) {
			t.Errorf("%s: SeenClassFacts = %+v, want Class's %+v without its seats", tt.name, got, want)
		}
	}
	if _, err := w.svc.SeenClassFacts(w.as(stranger), assigned.ID); !errors.Is(err, ErrClassNotFound) {
		t.Errorf("SeenClassFacts(assigned) by a stranger = %v, want not found", err)
	}
}
