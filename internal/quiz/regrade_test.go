package quiz

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/queue"
)

// takeQuiz has a new learner answer the slots by type, submit, and the
// given service grade the attempt; it returns the attempt's id.
func (f *fixture) takeQuiz(grader *Service, answers map[Type]string) uuid.UUID {
	f.t.Helper()
	ctx := f.newLearner()
	a, err := f.svc.Start(ctx, f.quizID, f.classID)
	if err != nil {
		f.t.Fatalf("Start: %v", err)
	}
	for _, sl := range a.Slots {
		if answer, ok := answers[sl.Type]; ok {
			if _, err := f.svc.SaveAnswer(ctx, a.ID, sl.Slot, 1, raw(answer)); err != nil {
				f.t.Fatalf("SaveAnswer: %v", err)
			}
		}
	}
	if _, err := f.svc.Submit(ctx, a.ID); err != nil {
		f.t.Fatalf("Submit: %v", err)
	}
	if err := grader.GradeAttempt(context.Background(), a.ID); err != nil {
		f.t.Fatalf("GradeAttempt: %v", err)
	}
	return a.ID
}

func (f *fixture) attemptScore(id uuid.UUID) (float64, bool) {
	f.t.Helper()
	a, err := f.svc.store.attempt(context.Background(), id, false)
	if err != nil || a.Score == nil || a.Passed == nil {
		f.t.Fatalf("attempt %s: %+v, %v", id, a, err)
	}
	return *a.Score, *a.Passed
}

// singleChoiceKey is the fixture's single-choice question with option b,
// not a, as the right answer.
func singleChoiceKey(rightIsB bool) Body {
	b := fixtures()[TypeSingleChoice].Body
	if rightIsB {
		b.Options[0].Weight, b.Options[1].Weight = 0, 1
	}
	return b
}

func TestAKeyFixRegradesEveryGradedAttemptOnceAndAnnouncesOnlyTheChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	jobs := job.NewService(f.db, nil)
	f.svc.SetJobs(jobs)
	b, qs := f.bank()
	sc, tf := qs[TypeSingleChoice], qs[TypeTrueFalse]
	f.setQuiz(QuizInput{AttemptsAllowed: ptr(0), PassMark: ptr(60.0)}, sc.ID, tf.ID)
	// A second process (the worker) grades with the contents it cached
	// before the fix.
	worker := NewService(Deps{DB: f.db, Outbox: queue.NewOutbox(f.db), Auditor: audit.NewService(f.db, tableOrgPaths{f.db}),
		Orgs: tableOrgPaths{f.db}, Courses: f.courses, Classes: f.classes})
	worker.SetJobs(jobs)
	choseA := f.takeQuiz(worker, map[Type]string{TypeSingleChoice: `{"choice":"a"}`, TypeTrueFalse: `{"value":true}`})
	choseB := f.takeQuiz(worker, map[Type]string{TypeSingleChoice: `{"choice":"b"}`, TypeTrueFalse: `{"value":true}`})
	choseC := f.takeQuiz(worker, map[Type]string{TypeSingleChoice: `{"choice":"c"}`, TypeTrueFalse: `{"value":false}`})
	for id, want := range map[uuid.UUID]float64{choseA: 3, choseB: 1, choseC: 1} {
		if got, _ := f.attemptScore(id); got != want {
			t.Fatalf("before the fix attempt score = %v, want %v", got, want)
		}
	}
	graded := f.countOutbox(TypeAttemptGraded)

	fix, err := f.svc.FixKey(f.as("authorA"), b.ID, sc.ID, 1, singleChoiceKey(true))
	if err != nil {
		t.Fatalf("FixKey: %v", err)
	}
	if fix.KeyRevision != 2 || fix.VersionID != sc.VersionID {
		t.Errorf("FixKey = version %s revision %d, want the same version %s at revision 2", fix.VersionID, fix.KeyRevision, sc.VersionID)
	}
	// An attempt graded after the fix by the worker uses the corrected key
	// even though its cache held the old one.
	later := f.takeQuiz(worker, map[Type]string{TypeSingleChoice: `{"choice":"b"}`, TypeTrueFalse: `{"value":true}`})
	if got, _ := f.attemptScore(later); got != 3 {
		t.Errorf("an attempt graded after the fix = %v, want 3 (b is right now)", got)
	}
	graded++

	j, err := f.svc.StartRegrade(f.as("authorA"), f.quizID, []uuid.UUID{sc.ID})
	if err != nil {
		t.Fatalf("StartRegrade: %v", err)
	}
	var p RegradePayload
	f.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ?", TypeRegrade).Row().Scan(&rawBytes{&p})
	if p.JobID != j.ID {
		t.Fatalf("the outbox job names %s, want %s", p.JobID, j.ID)
	}
	body, _ := json.Marshal(p)
	if err := worker.HandleRegrade(context.Background(), asynqTask(TypeRegrade, body)); err != nil {
		t.Fatalf("HandleRegrade: %v", err)
	}
	done, err := jobs.Get(f.as("authorA"), j.ID)
	var res RegradeResult
	if err == nil {
		err = json.Unmarshal(done.Result, &res)
	}
	if err != nil || done.Status != job.StatusSucceeded || res != (RegradeResult{Regraded: 4, Changed: 2}) || done.Done != 4 {
		t.Fatalf("job = %s %s progress %d, %v; want succeeded with 4 regraded, 2 changed", done.Status, done.Result, done.Done, err)
	}
	for _, c := range []struct {
		name   string
		id     uuid.UUID
		score  float64
		passed bool
	}{
		{"the learner who chose a loses the question", choseA, 1, false},
		{"the learner who chose b gains it", choseB, 3, true},
		{"the learner who chose c keeps the half credit", choseC, 1, false},
		{"the attempt graded after the fix stays", later, 3, true},
	} {
		if score, passed := f.attemptScore(c.id); math.Abs(score-c.score) > 1e-9 || passed != c.passed {
			t.Errorf("%s: score %v passed %v, want %v %v", c.name, score, passed, c.score, c.passed)
		}
	}
	if got := f.countOutbox(TypeAttemptGraded); got != graded+2 {
		t.Errorf("graded events = %d, want %d: one more for each changed attempt", got, graded+2)
	}
	// The regrade's events say they revise a grade, so a completion the old
	// grade gave can be taken back; the first grades' events do not.
	var revised []bool
	if err := f.db.Conn(context.Background()).Raw(`SELECT (convert_from(payload, 'UTF8')::jsonb->>'revised')::bool
		FROM outbox WHERE task_type = ? ORDER BY id`, TypeAttemptGraded).Scan(&revised).Error; err != nil {
		t.Fatal(err)
	}
	for i, r := range revised {
		if want := i >= graded; r != want {
			t.Errorf("graded event %d of %d: revised = %v, want %v", i+1, len(revised), r, want)
		}
	}

	// The same task again finds its job over; a rerun after a crash finds
	// nothing different: nothing changes twice, nothing is announced twice.
	if err := worker.HandleRegrade(context.Background(), asynqTask(TypeRegrade, body)); err != nil {
		t.Fatalf("a duplicate task: %v", err)
	}
	again, err := f.svc.Regrade(context.Background(), uuid.Nil, f.quizID, nil)
	if err != nil || again != (RegradeResult{Regraded: 4, Changed: 0}) {
		t.Errorf("a rerun = %+v, %v; want 4 regraded, none changed", again, err)
	}
	if got := f.countOutbox(TypeAttemptGraded); got != graded+2 {
		t.Errorf("after the rerun graded events = %d, want still %d", got, graded+2)
	}
}

func TestAKeyFixMayChangeOnlyTheKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, qs := f.bank()
	key := func(typ Type, change func(*Body)) Body {
		body := fixtures()[typ].Body
		change(&body)
		return body
	}
	for _, c := range []struct {
		name string
		typ  Type
		body Body
		want *apperr.Kind // nil: accepted
	}{
		{"a new right option of a single choice is a key fix", TypeSingleChoice, singleChoiceKey(true), nil},
		{"another order of an ordering question is a key fix", TypeOrdering, key(TypeOrdering, func(b *Body) {
			b.Options[0], b.Options[1] = b.Options[1], b.Options[0]
		}), nil},
		{"another tolerance of a numeric question is a key fix", TypeNumeric, key(TypeNumeric, func(b *Body) { b.Numeric[0].Tolerance = 0.05 }), nil},
		{"another pair of a matching question is a key fix", TypeMatching, key(TypeMatching, func(b *Body) { b.Prompts[2].Answer = "d" }), nil},
		{"true becoming false is a key fix", TypeTrueFalse, Body{Correct: boolPtr(false)}, nil},
		{"an option's new text is refused", TypeSingleChoice, key(TypeSingleChoice, func(b *Body) { b.Options[0].Text = "Lain" }), ptr(apperr.KindInvalid)},
		{"a new option is refused", TypeMultipleChoice, key(TypeMultipleChoice, func(b *Body) {
			b.Options = append(b.Options, Option{ID: "z", Text: "Baru"})
		}), ptr(apperr.KindInvalid)},
		{"a renamed unit is refused", TypeNumeric, key(TypeNumeric, func(b *Body) { b.Units[1].Name = "‰" }), ptr(apperr.KindInvalid)},
		{"a key that is no valid key is refused", TypeSingleChoice, key(TypeSingleChoice, func(b *Body) { b.Options[0].Weight = 0 }), ptr(apperr.KindInvalid)},
		{"an essay has no key to fix", TypeEssay, Body{}, ptr(apperr.KindInvalid)},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := qs[c.typ]
			revision := func() (rev int) {
				f.db.Conn(context.Background()).Raw("SELECT key_revision FROM question_versions WHERE id = ?", q.VersionID).Scan(&rev)
				return rev
			}
			before := revision()
			fix, err := f.svc.FixKey(f.as("authorA"), b.ID, q.ID, 1, c.body)
			after := revision()
			if c.want != nil {
				wantKind(t, "FixKey", err, *c.want)
				if after != before {
					t.Errorf("key revision %d → %d after a refused fix, want it unchanged (nothing written)", before, after)
				}
				return
			}
			if err != nil || fix.KeyRevision != before+1 || after != before+1 {
				t.Errorf("FixKey = revision %d (stored %d), %v; want %d", fix.KeyRevision, after, err, before+1)
			}
		})
	}
}

func TestOnlyTheCoursesAuthorsRegradeAndOnlyTheBanksFixAKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.svc.SetJobs(job.NewService(f.db, nil))
	b, qs := f.bank()
	sc := qs[TypeSingleChoice]
	f.setQuiz(QuizInput{}, sc.ID)
	for _, c := range []struct {
		actor string
		want  apperr.Kind
	}{
		{"learnerA1", apperr.KindNotFound}, // a learner of the class
		{"authorB", apperr.KindNotFound},   // an author of another agency
		{"learnerB1", apperr.KindNotFound},
		{"reviewerA", apperr.KindForbidden}, // reads the course, does not author it
	} {
		_, err := f.svc.StartRegrade(f.as(c.actor), f.quizID, nil)
		wantKind(t, "StartRegrade as "+c.actor, err, c.want)
		_, err = f.svc.FixKey(f.as(c.actor), b.ID, sc.ID, 1, singleChoiceKey(true))
		wantKind(t, "FixKey as "+c.actor, err, map[bool]apperr.Kind{true: apperr.KindForbidden, false: apperr.KindNotFound}[c.actor == "reviewerA"])
	}
	_, err := f.svc.StartRegrade(f.as("authorA"), f.quizID, []uuid.UUID{sc.ID, sc.ID})
	wantKind(t, "StartRegrade naming a question twice", err, apperr.KindInvalid)
	_, err = f.svc.FixKey(f.as("authorA"), b.ID, sc.ID, 7, singleChoiceKey(true))
	wantKind(t, "FixKey of a version that does not exist", err, apperr.KindNotFound)
	var jobs, outbox, revised int64
	f.db.Conn(context.Background()).Raw("SELECT count(*) FROM jobs").Scan(&jobs)
	f.db.Conn(context.Background()).Raw("SELECT count(*) FROM outbox WHERE task_type = ?", TypeRegrade).Scan(&outbox)
	f.db.Conn(context.Background()).Raw("SELECT count(*) FROM question_versions WHERE key_revision > 1").Scan(&revised)
	if jobs != 0 || outbox != 0 || revised != 0 {
		t.Errorf("after refused calls: %d jobs, %d regrade tasks, %d fixed keys; want nothing written", jobs, outbox, revised)
	}
}
