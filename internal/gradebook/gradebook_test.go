package gradebook

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/queue"
)

var t0 = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

func task(t *testing.T, typ string, payload any) *asynq.Task {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return asynq.NewTask(typ, b)
}

// quizEvent is a quiz:attempt-graded event as the bus hands it over, its id
// (and so its release time) taken now.
func quizEvent(t *testing.T, quizID, classID, userID uuid.UUID, percent float64) queue.BatchedJob {
	t.Helper()
	b, err := json.Marshal(map[string]any{"attempt_id": uuid.New(), "quiz_id": quizID, "class_id": classID, "user_id": userID,
		"quiz_percent": percent, "quiz_passed": percent >= 50})
	if err != nil {
		t.Fatal(err)
	}
	return queue.BatchedJob{ID: uuid.Must(uuid.NewV7()), Payload: b}
}

func TestTheGradedAttemptsOfABatchAreRecordedTogetherAndTheLaterGradeOfALearnerWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 1)
	quizID := uuid.MustParse(f.items[0].Key)
	learner, learner2 := f.actor["learner"].UserID, f.actor["learner2"].UserID
	earlier := quizEvent(t, quizID, f.classID, learner, 40)
	time.Sleep(2 * time.Millisecond) // an event id's time counts milliseconds
	later := quizEvent(t, quizID, f.classID, learner, 85)
	events := []queue.BatchedJob{later, quizEvent(t, quizID, f.classID, learner2, 60), earlier}
	if err := f.svc.HandleQuizAttemptsGraded(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if a, b := f.row("learner").Items[0].Percent, f.row("learner2").Items[0].Percent; fmtPercent(a) != "85" || fmtPercent(b) != "60" {
		t.Errorf("quiz grades = %s and %s, want 85 (the later of the learner's two) and 60", fmtPercent(a), fmtPercent(b))
	}
	bad := []queue.BatchedJob{quizEvent(t, quizID, uuid.New(), learner, 70)}
	if err := f.svc.HandleQuizAttemptsGraded(context.Background(), bad); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("a batch naming an unknown class = %v, want it not retried", err)
	}
}

func TestTheLatestReleasedGradeWinsAndOnlyAChangedResultIsAnnounced(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 1)
	f.grade("learner", 0, 90, true, t0.Add(time.Hour))
	if got := f.resultEvents(); got != 1 {
		t.Fatalf("result events after the first grade = %d, want 1", got)
	}
	f.grade("learner", 0, 10, false, t0) // released earlier, arriving late
	f.grade("learner", 0, 90, true, t0.Add(time.Hour))
	r := f.row("learner")
	if r.Items[0].Percent == nil || *r.Items[0].Percent != 90 {
		t.Errorf("quiz grade = %s, want 90 (the later release)", fmtPercent(r.Items[0].Percent))
	}
	if got := f.resultEvents(); got != 1 {
		t.Errorf("result events after a stale and a repeated grade = %d, want still 1", got)
	}
	f.grade("learner", 1, 50, true, t0)
	r = f.row("learner")
	if !r.Passed || fmtPercent(r.FinalPercent) != "70" {
		t.Errorf("row with both items graded = passed %v final %s, want passed at 70", r.Passed, fmtPercent(r.FinalPercent))
	}
	if got := f.resultEvents(); got != 2 {
		t.Errorf("result events after the result changed = %d, want 2", got)
	}
	var p ResultChangedPayload
	var last struct{ Payload []byte }
	if err := f.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ? ORDER BY id DESC LIMIT 1", TypeResultChanged).Scan(&last).Error; err != nil {
		t.Fatal(err)
	}
	body := last.Payload
	if err := json.Unmarshal(body, &p); err != nil || p.ClassID != f.classID || p.UserID != f.actor["learner"].UserID || !p.Passed || p.Revision != 2 {
		t.Errorf("result payload = %s (%v), want the class, learner, passed and revision 2 (the row's second computation)", body, err)
	}
}

func TestEventsFromQuizzesAssignmentsAndAttendanceBecomeGrades(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 1)
	learner := f.actor["learner"].UserID
	ctx := context.Background()
	quizID, assignmentID := uuid.MustParse(f.items[0].Key), uuid.MustParse(f.items[1].Key)
	if err := f.svc.HandleQuizAttemptsGraded(ctx, []queue.BatchedJob{quizEvent(t, quizID, f.classID, learner, 75.5)}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.HandleAssignmentGraded(ctx, task(t, EventAssignmentGraded, map[string]any{
		"submission_id": uuid.New(), "assignment_id": assignmentID, "class_id": f.classID, "user_id": learner,
		"points": 18, "max_points": 20, "released_at": t0})); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.HandleAttendanceChanged(ctx, task(t, EventAttendanceChanged, AttendanceChangedPayload{ClassID: f.classID, At: t0,
		Learners: []AttendanceTally{{UserID: learner, Attended: 3, Total: 4}}})); err != nil {
		t.Fatal(err)
	}
	r := f.row("learner")
	got := []string{fmtPercent(r.Items[0].Percent), fmtPercent(r.Items[1].Percent), fmtPercent(r.Items[2].Percent)}
	if got[0] != "75.5" || got[1] != "90" || got[2] != "75" || !r.Passed {
		t.Errorf("grades = %v passed %v, want [75.5 90 75] and passed", got, r.Passed)
	}

	// A roll call's attendance for two learners at once; an older tally
	// arriving late changes nothing.
	learner2 := f.actor["learner2"].UserID
	for _, ev := range []AttendanceChangedPayload{
		{ClassID: f.classID, At: t0.Add(time.Hour), Learners: []AttendanceTally{{UserID: learner, Attended: 4, Total: 4}, {UserID: learner2, Attended: 1, Total: 4}}},
		{ClassID: f.classID, At: t0.Add(time.Minute), Learners: []AttendanceTally{{UserID: learner, Attended: 0, Total: 4}}},
	} {
		if err := f.svc.HandleAttendanceChanged(ctx, task(t, EventAttendanceChanged, ev)); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := f.row("learner").Items[2].Percent, f.row("learner2").Items[2].Percent; fmtPercent(a) != "100" || fmtPercent(b) != "25" {
		t.Errorf("attendance after the roll call = %s and %s, want 100 and 25", fmtPercent(a), fmtPercent(b))
	}

	bad := []struct {
		name    string
		payload map[string]any
	}{
		{"points over the maximum", map[string]any{"assignment_id": assignmentID, "class_id": f.classID, "user_id": learner, "points": 30, "max_points": 20, "released_at": t0}},
		{"no maximum", map[string]any{"assignment_id": assignmentID, "class_id": f.classID, "user_id": learner, "points": 0, "max_points": 0, "released_at": t0}},
		{"an unknown class", map[string]any{"assignment_id": assignmentID, "class_id": uuid.New(), "user_id": learner, "points": 1, "max_points": 2, "released_at": t0}},
	}
	for _, b := range bad {
		if err := f.svc.HandleAssignmentGraded(ctx, task(t, EventAssignmentGraded, b.payload)); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: HandleAssignmentGraded = %v, want a task not to retry", b.name, err)
		}
	}
	if n := f.count("gradebook_grades", "user_id = ?", learner); n != 3 {
		t.Errorf("grades kept = %d, want the 3 good ones", n)
	}
}

func TestBadSettingsAreRefusedWithNothingWritten(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2, 1)
	q1, q2, a1 := f.items[0].Key, f.items[1].Key, f.items[2].Key
	tests := []struct {
		name  string
		in    SettingsInput
		field string
	}{
		{"weights that do not add up to 100", SettingsInput{PassMark: 60, Categories: []Category{{Key: "k", Weight: 60, Items: []string{q1}}, {Key: "p", Weight: 30, Items: []string{a1}}}}, "categories"},
		{"a negative weight", SettingsInput{PassMark: 60, Categories: []Category{{Key: "k", Weight: -10, Items: []string{q1}}, {Key: "p", Weight: 110, Items: []string{a1}}}}, "categories[0].weight"},
		{"an unknown item", SettingsInput{PassMark: 60, Categories: []Category{{Key: "k", Weight: 100, Items: []string{q1, uuid.NewString()}}}}, "categories[0].items[1]"},
		{"an item in two categories", SettingsInput{PassMark: 60, Categories: []Category{{Key: "k", Weight: 50, Items: []string{q1, q2}}, {Key: "p", Weight: 50, Items: []string{q2}}}}, "categories[1].items[0]"},
		{"dropping every grade", SettingsInput{PassMark: 60, Categories: []Category{{Key: "k", Weight: 100, DropLowest: 2, Items: []string{q1, q2}}}}, "categories[0].drop_lowest"},
		{"a pass mark over 100", SettingsInput{PassMark: 101, Categories: []Category{{Key: "k", Weight: 100, Items: []string{q1}}}}, "pass_mark"},
		{"two categories of one key", SettingsInput{PassMark: 60, Categories: []Category{{Key: "k", Weight: 50, Items: []string{q1}}, {Key: "k", Weight: 50, Items: []string{a1}}}}, "categories[1].key"},
		{"no category", SettingsInput{PassMark: 60}, "categories"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.SetSettings(f.as("instructor"), f.classID, tt.in)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.KindInvalid || !hasField(ae, tt.field) {
				t.Errorf("SetSettings = %v, want 422 naming %s", err, tt.field)
			}
		})
	}
	if n := f.count("gradebook_settings", "class_id = ?", f.classID) + f.count("audit_log", "action = 'gradebook.settings'"); n != 0 {
		t.Errorf("rows written by refused settings = %d, want 0", n)
	}
}

func hasField(e *apperr.Error, field string) bool {
	for _, fe := range e.Fields {
		if fe.Field == field {
			return true
		}
	}
	return false
}

func TestASettingsChangeRecomputesTheClassInlineOrByAJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2, 0)
	f.grade("learner", 0, 40, false, t0)
	f.grade("learner", 1, 100, true, t0)
	f.grade("learner2", 0, 90, true, t0)
	f.grade("learner2", 1, 90, true, t0)
	if f.row("learner").Passed || !f.row("learner2").Passed {
		t.Fatalf("without settings: learner passed %v, learner2 %v; want false, true", f.row("learner").Passed, f.row("learner2").Passed)
	}
	in := SettingsInput{PassMark: 60, Categories: []Category{{Key: "kuis", Name: "Kuis", Weight: 100, DropLowest: 1, Items: []string{f.items[0].Key, f.items[1].Key}}}}
	v, err := f.svc.SetSettings(f.as("instructor"), f.classID, in)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Configured || v.Revision != 1 || len(v.Items) != 3 {
		t.Errorf("settings = %+v, want configured at revision 1 with the class's 3 items", v.Settings)
	}
	if r := f.row("learner"); !r.Passed || fmtPercent(r.FinalPercent) != "100" || r.Revision != 1 {
		t.Errorf("learner after the settings = passed %v final %s revision %d, want passed at 100 (the 40 dropped), revision 1", r.Passed, fmtPercent(r.FinalPercent), r.Revision)
	}
	if n := f.count("audit_log", "action = 'gradebook.settings'"); n != 1 {
		t.Errorf("settings audit entries = %d, want 1", n)
	}

	// A class larger than the inline bound is recomputed by a job.
	f.svc.inline = 1
	in.Categories[0].DropLowest = 0
	if _, err := f.svc.SetSettings(f.as("instructor"), f.classID, in); err != nil {
		t.Fatal(err)
	}
	if n := f.count("outbox", "task_type = ?", TypeRecomputeClass); n != 1 {
		t.Fatalf("recompute jobs = %d, want 1", n)
	}
	if r := f.row("learner"); r.Revision != 1 {
		t.Errorf("learner's row before the job = revision %d, want still 1", r.Revision)
	}
	if err := f.svc.HandleRecomputeClass(context.Background(), task(t, TypeRecomputeClass, RecomputeClassPayload{ClassID: f.classID})); err != nil {
		t.Fatal(err)
	}
	if r := f.row("learner"); r.Revision != 2 || fmtPercent(r.FinalPercent) != "70" || !r.Passed {
		t.Errorf("learner after the job = revision %d final %s passed %v, want revision 2 at 70, passed", r.Revision, fmtPercent(r.FinalPercent), r.Passed)
	}
}

func TestOverridesNeedAReasonAreAuditedAndNobodyOverridesTheirOwnGrade(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 0)
	f.enrolStaff()
	f.grade("learner", 0, 40, false, t0)
	learner := f.actor["learner"].UserID
	refused := []struct {
		name string
		as   string
		in   OverrideInput
		kind apperr.Kind
	}{
		{"without a reason", "instructor", OverrideInput{UserID: learner, Item: FinalItem, Percent: 80, Reason: "  "}, apperr.KindInvalid},
		{"of an unknown item", "instructor", OverrideInput{UserID: learner, Item: "quiz-x", Percent: 80, Reason: "Remedial"}, apperr.KindInvalid},
		{"over 100", "instructor", OverrideInput{UserID: learner, Item: FinalItem, Percent: 120, Reason: "Remedial"}, apperr.KindInvalid},
		{"of someone not in the class", "instructor", OverrideInput{UserID: f.actor["outsider"].UserID, Item: FinalItem, Percent: 80, Reason: "Remedial"}, apperr.KindInvalid},
		{"of one's own grade", "instructor", OverrideInput{UserID: f.actor["instructor"].UserID, Item: FinalItem, Percent: 100, Reason: "Saya layak"}, apperr.KindForbidden},
		{"by a learner", "learner2", OverrideInput{UserID: learner, Item: FinalItem, Percent: 80, Reason: "Teman"}, apperr.KindForbidden},
		{"by a learner of their own grade", "learner", OverrideInput{UserID: learner, Item: FinalItem, Percent: 80, Reason: "Saya"}, apperr.KindForbidden},
		{"by someone who sees the class and is no staff", "viewer", OverrideInput{UserID: learner, Item: FinalItem, Percent: 80, Reason: "x"}, apperr.KindForbidden},
		{"by an outsider", "outsider", OverrideInput{UserID: learner, Item: FinalItem, Percent: 80, Reason: "x"}, apperr.KindNotFound},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.svc.SetOverride(f.as(tt.as), f.classID, tt.in); apperr.KindOf(err) != tt.kind {
				t.Errorf("SetOverride = %v, want kind %v", err, tt.kind)
			}
		})
	}
	if n := f.count("gradebook_overrides", "class_id = ?", f.classID) + f.count("audit_log", "action = 'gradebook.override'"); n != 0 {
		t.Fatalf("rows written by refused overrides = %d, want 0", n)
	}
	r, err := f.svc.SetOverride(f.as("instructor"), f.classID, OverrideInput{UserID: learner, Item: FinalItem, Percent: 75, Reason: "Ujian susulan"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || !r.FinalOverridden || fmtPercent(r.FinalPercent) != "75" {
		t.Errorf("row after the override = passed %v overridden %v final %s, want passed, overridden, 75", r.Passed, r.FinalOverridden, fmtPercent(r.FinalPercent))
	}
	if n := f.count("audit_log", "action = 'gradebook.override' AND actor_id = ?", f.actor["instructor"].UserID); n != 1 {
		t.Errorf("override audit entries = %d, want 1", n)
	}
}

func TestALearnerSeesOnlyTheirOwnRowAndStaffTheWholeGradebook(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 0)
	f.grade("learner", 0, 80, true, t0)
	f.grade("learner2", 0, 30, false, t0)
	mine, err := f.svc.MyGrades(f.as("learner"), f.classID)
	if err != nil || mine.UserID != f.actor["learner"].UserID || !mine.Passed {
		t.Errorf("MyGrades(learner) = %+v, %v; want their own passed row", mine, err)
	}
	for who, kind := range map[string]apperr.Kind{"instructor": apperr.KindNotFound, "viewer": apperr.KindNotFound, "outsider": apperr.KindNotFound} {
		if _, err := f.svc.MyGrades(f.as(who), f.classID); apperr.KindOf(err) != kind {
			t.Errorf("MyGrades(%s) = %v, want kind %v", who, err, kind)
		}
	}
	narrowed := *f.actor["learner"]
	narrowed.Scopes = []authz.Permission{authz.ClassRead}
	if _, err := f.svc.MyGrades(authz.WithActor(context.Background(), &narrowed), f.classID); apperr.KindOf(err) != apperr.KindForbidden {
		t.Errorf("MyGrades(learner's token without learning.self) = %v, want forbidden", err)
	}

	req := page.Request{Limit: 1}
	first, err := f.svc.Gradebook(f.as("instructor"), f.classID, RowFilter{}, req)
	if err != nil || len(first.Items) != 1 || first.NextCursor == "" {
		t.Fatalf("Gradebook page 1 = %+v, %v; want one row and a cursor", first, err)
	}
	req.Cursor = first.NextCursor
	second, err := f.svc.Gradebook(f.as("instructor"), f.classID, RowFilter{}, req)
	if err != nil || len(second.Items) != 1 || second.NextCursor != "" || second.Items[0].UserID == first.Items[0].UserID {
		t.Errorf("Gradebook page 2 = %+v, %v; want the other row and no cursor", second, err)
	}
	failed := false
	failing, err := f.svc.Gradebook(f.as("instructor"), f.classID, RowFilter{Passed: &failed}, page.Request{Limit: 50})
	if err != nil || len(failing.Items) != 1 || failing.Items[0].UserID != f.actor["learner2"].UserID {
		t.Errorf("Gradebook(passed=false) = %+v, %v; want learner2 alone", failing, err)
	}
	for who, kind := range map[string]apperr.Kind{"learner": apperr.KindForbidden, "viewer": apperr.KindForbidden, "outsider": apperr.KindNotFound} {
		if _, err := f.svc.Gradebook(f.as(who), f.classID, RowFilter{}, page.Request{Limit: 50}); apperr.KindOf(err) != kind {
			t.Errorf("Gradebook(%s) = %v, want kind %v", who, err, kind)
		}
	}
}
