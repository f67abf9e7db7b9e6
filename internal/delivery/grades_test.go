package delivery

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// The gradebook is the one authority on graded items: passing every quiz
// and grading every assignment completes nothing until the gradebook passes
// the learner, a failing result keeps the enrolment open, and a result
// older than the one kept changes nothing.
func TestAGradedClassCompletesOnlyWhenTheGradebookPassesTheLearner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemText, ItemQuiz, ItemAssignment)
	c := w.classOf(v)
	l := w.person(w.unitA, nil)
	e := w.enrol(l, c)
	ctx := context.Background()

	if _, err := w.svc.RecordProgress(w.as(l), e.ID, ProgressInput{ItemID: v.Items[0].ID, Event: EventViewed}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RecordOutcome(ctx, e.ID, v.Items[1].ID, EventQuizPassed); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RecordOutcome(ctx, e.ID, v.Items[2].ID, EventAssignmentGraded); err != nil {
		t.Fatal(err)
	}
	if got := w.enrolment(e.ID); got.Status != EnrolmentActive {
		t.Fatalf("status after every graded item passed on its own = %s, want active until the gradebook passes", got.Status)
	}

	steps := []struct {
		name   string
		result GradeResult
		want   EnrolmentStatus
	}{
		{"a failing final grade leaves it incomplete", GradeResult{Passed: false, Revision: 10}, EnrolmentActive},
		{"an older passing result arriving late changes nothing", GradeResult{Passed: true, Revision: 5}, EnrolmentActive},
		{"a newer passing result completes it", GradeResult{Passed: true, Revision: 20}, EnrolmentCompleted},
		{"a replay changes nothing", GradeResult{Passed: true, Revision: 20}, EnrolmentCompleted},
	}
	for _, s := range steps {
		if err := w.gradebookResult(e, s.result); err != nil {
			t.Fatalf("%s: gradebook result = %v", s.name, err)
		}
		if got := w.enrolment(e.ID); got.Status != s.want {
			t.Errorf("%s: status = %s, want %s", s.name, got.Status, s.want)
		}
	}
	ledger, err := w.svc.MyJP(w.as(l), 2026)
	if err != nil {
		t.Fatal(err)
	}
	if ledger.JP != 12.5 || len(ledger.Credits) != 1 {
		t.Errorf("MyJP(2026) = %+v, want 12.5 JP credited once", ledger)
	}
}

func TestAPassingGradebookDoesNotCompleteWhatTheOtherRulesHoldOpen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemText, ItemQuiz)
	c := w.classOf(v)
	l := w.person(w.unitA, nil)
	e := w.enrol(l, c)
	if err := w.gradebookResult(e, GradeResult{Passed: true, Revision: 1}); err != nil {
		t.Fatal(err)
	}
	got := w.enrolment(e.ID)
	if got.Status != EnrolmentActive || got.Progress != 0.5 {
		t.Errorf("enrolment with the text unread = %s progress %v, want active at 0.5", got.Status, got.Progress)
	}
	if _, err := w.svc.RecordProgress(w.as(l), e.ID, ProgressInput{ItemID: v.Items[0].ID, Event: EventViewed}); err != nil {
		t.Fatal(err)
	}
	if got := w.enrolment(e.ID); got.Status != EnrolmentCompleted {
		t.Errorf("status once the text is read = %s, want completed", got.Status)
	}
}

// The gradebook keeps attendance as a grade: every change of a learner's
// sessions attended, or of the sessions counted, is announced with the
// tallies.
func TestAttendanceChangesAreAnnouncedWithTheLearnersTallies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemText, ItemLiveSession)
	c := w.classOf(v)
	l := w.person(w.unitA, nil)
	w.enrol(l, c)
	last := func() AttendanceChangedPayload {
		t.Helper()
		var row struct{ Payload []byte }
		if err := w.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ? ORDER BY id DESC LIMIT 1", TypeAttendanceChanged).Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		var p AttendanceChangedPayload
		if err := json.Unmarshal(row.Payload, &p); err != nil {
			t.Fatalf("payload %s: %v", row.Payload, err)
		}
		return p
	}
	steps := []struct {
		name   string
		act    func() Session
		events int
		want   AttendanceTally
	}{
		{"a new session counts for every learner", func() Session { return w.session(c, 0, time.Hour) }, 1, AttendanceTally{UserID: l.UserID, Attended: 0, Total: 1}},
		{"a roll call counts the learner present", nil, 2, AttendanceTally{UserID: l.UserID, Attended: 1, Total: 1}},
		{"a second session lowers the share", func() Session { return w.session(c, 48*time.Hour, time.Hour) }, 3, AttendanceTally{UserID: l.UserID, Attended: 1, Total: 2}},
	}
	var first Session
	for i, s := range steps {
		if s.act != nil {
			sess := s.act()
			if i == 0 {
				first = sess
			}
		} else if _, err := w.svc.RollCall(w.as(w.manager), first.ID, []RollCallRecord{{UserID: l.UserID, Status: AttendancePresent}}); err != nil {
			t.Fatal(err)
		}
		if n := w.count("outbox", "task_type = ?", TypeAttendanceChanged); n != s.events {
			t.Fatalf("%s: attendance events = %d, want %d", s.name, n, s.events)
		}
		if p := last(); p.ClassID != c.ID || len(p.Learners) != 1 || p.Learners[0] != s.want {
			t.Errorf("%s: event = %+v, want %+v for the class", s.name, p, s.want)
		}
	}
}

// A quiz's completion follows the learner's grade of it: a new attempt that
// fails leaves a passed quiz done, a regrade or a grader's new score that
// takes the grade below the pass mark takes the completion back while the
// class is in progress, and a completed class keeps what it earned.
func TestARevisedGradeBelowThePassMarkTakesBackTheQuizCompletionOfAClassInProgress(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemText, ItemQuiz)
	c := w.classOf(v)
	l := w.person(w.unitA, nil)
	e := w.enrol(l, c)
	quiz := v.Items[1].ID
	graded := func(passed, revised bool) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"quiz_id": quiz, "class_id": c.ID, "user_id": l.UserID, "quiz_passed": passed, "revised": revised})
		if err := w.svc.HandleQuizAttemptGraded(context.Background(), asynq.NewTask(EventQuizAttemptGraded, body)); err != nil {
			t.Fatalf("HandleQuizAttemptGraded(passed %v, revised %v) = %v", passed, revised, err)
		}
	}
	done := func() bool { return w.count("item_progress", "enrolment_id = ? AND item_id = ?", e.ID, quiz) == 1 }

	steps := []struct {
		name            string
		passed, revised bool
		wantDone        bool
	}{
		{"a passing grade completes the quiz", true, false, true},
		{"a later attempt that fails leaves it done", false, false, true},
		{"a regrade below the pass mark takes it back", false, true, false},
		{"the same revision again changes nothing", false, true, false},
		{"a passing grade completes it again", true, true, true},
	}
	for _, s := range steps {
		graded(s.passed, s.revised)
		if got := done(); got != s.wantDone {
			t.Errorf("%s: quiz done = %v, want %v", s.name, got, s.wantDone)
		}
	}
	if n := w.count("progress_events", "enrolment_id = ? AND item_id = ? AND kind = ?", e.ID, quiz, EventQuizPassedRevoked); n != 1 {
		t.Errorf("revocations in the progress log = %d, want 1", n)
	}

	if _, err := w.svc.RecordProgress(w.as(l), e.ID, ProgressInput{ItemID: v.Items[0].ID, Event: EventViewed}); err != nil {
		t.Fatal(err)
	}
	if err := w.gradebookResult(e, GradeResult{Passed: true, Revision: 1}); err != nil {
		t.Fatal(err)
	}
	if got := w.enrolment(e.ID); got.Status != EnrolmentCompleted {
		t.Fatalf("status = %s, want completed", got.Status)
	}
	graded(false, true)
	if !done() || w.enrolment(e.ID).Status != EnrolmentCompleted {
		t.Errorf("a completed class lost its quiz (done %v) or its completion (%s) to a regrade", done(), w.enrolment(e.ID).Status)
	}
}
