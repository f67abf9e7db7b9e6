package quiz

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/queue"
)

// submittedAttempts sets the fixture's quiz to a single-choice question (2
// points) and a true/false one (1 point) and has n new learners each submit
// an attempt: the even ones earn 3, the odd ones 2.
func submittedAttempts(t *testing.T, f *fixture, n int) (ids []uuid.UUID, scores map[uuid.UUID]float64) {
	t.Helper()
	_, qs := f.bank()
	f.setQuiz(QuizInput{AttemptsAllowed: ptr(0), ShuffleOptions: ptr(false)}, qs[TypeSingleChoice].ID, qs[TypeTrueFalse].ID)
	scores = map[uuid.UUID]float64{}
	for i := 0; i < n; i++ {
		learner := f.newLearner()
		a, err := f.svc.Start(learner, f.quizID, f.classID)
		if err != nil {
			t.Fatal(err)
		}
		choice, score := `{"choice":"a"}`, 3.0
		if i%2 == 1 {
			choice, score = `{"choice":"c"}`, 2.0
		}
		for slot, answer := range []string{choice, `{"value":true}`} {
			if _, err := f.svc.SaveAnswer(learner, a.ID, slot+1, 1, raw(answer)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Submit(learner, a.ID); err != nil {
			t.Fatal(err)
		}
		ids, scores[a.ID] = append(ids, a.ID), score
	}
	return ids, scores
}

// gradingJobs returns the grading jobs submit recorded, oldest first, as a
// task of the worker's carries them.
func gradingJobs(t testing.TB, f *fixture) []queue.BatchedJob {
	t.Helper()
	var rows []struct {
		ID      uuid.UUID
		Payload []byte
	}
	if err := f.db.Conn(context.Background()).Raw("SELECT id, payload FROM outbox WHERE task_type = ? ORDER BY created_at", TypeGradeAttempt).
		Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	jobs := make([]queue.BatchedJob, len(rows))
	for i, r := range rows {
		jobs[i] = queue.BatchedJob{ID: r.ID, Payload: r.Payload}
	}
	return jobs
}

// jobsDone counts the grading jobs recorded done.
func jobsDone(t *testing.T, f *fixture) int {
	t.Helper()
	var n int
	if err := f.db.Conn(context.Background()).Raw(`SELECT count(*) FROM outbox_deliveries d JOIN outbox o ON o.id = d.event_id
		WHERE o.task_type = ? AND d.done_at IS NOT NULL`, TypeGradeAttempt).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// holdAttempt locks the attempt's row in a transaction of its own, as
// another grader would, until the returned function is called.
func holdAttempt(t *testing.T, f *fixture, id uuid.UUID) (release func()) {
	t.Helper()
	locked, released, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- f.db.WithTx(context.Background(), func(ctx context.Context) error {
			if err := f.db.Conn(ctx).Exec("SELECT 1 FROM quiz_attempts WHERE id = ? FOR UPDATE", id).Error; err != nil {
				return err
			}
			close(locked)
			<-released
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-done:
		t.Fatalf("lock attempt %s: %v", id, err)
	}
	return func() {
		close(released)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// gradeInOneBatch grades the distinct attempts ids in one batch, as a task
// of the worker's does, and returns each one's outcome in the order of ids.
func gradeInOneBatch(f *fixture, ids []uuid.UUID) []error {
	outcomes := f.svc.gradeAttempts(context.Background(), ids, nil)
	errs := make([]error, len(ids))
	for i, id := range ids {
		errs[i] = outcomes[id]
	}
	return errs
}

// gradedEvents returns the payloads of the graded events by attempt.
func gradedEvents(t *testing.T, f *fixture) map[uuid.UUID][]AttemptGradedPayload {
	t.Helper()
	var payloads []string
	err := f.db.Conn(context.Background()).Raw("SELECT convert_from(payload, 'UTF8') FROM outbox WHERE task_type = ?", TypeAttemptGraded).
		Scan(&payloads).Error
	if err != nil {
		t.Fatal(err)
	}
	out := map[uuid.UUID][]AttemptGradedPayload{}
	for _, raw := range payloads {
		var p AttemptGradedPayload
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
		out[p.AttemptID] = append(out[p.AttemptID], p)
	}
	return out
}

// wantGradedOnce checks that each attempt is graded with its score and
// announced by exactly one event carrying it.
func wantGradedOnce(t *testing.T, f *fixture, scores map[uuid.UUID]float64) {
	t.Helper()
	events := gradedEvents(t, f)
	for id, want := range scores {
		got, err := f.svc.store.attempt(context.Background(), id, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != StateGraded || got.Score == nil || *got.Score != want {
			t.Errorf("attempt %s: %s with score %v, want graded with %g", id, got.State, got.Score, want)
		}
		if len(events[id]) != 1 || events[id][0].Score != want || events[id][0].QuizPercent != round3(want/3*100) {
			t.Errorf("attempt %s: graded events %+v, want one with score %g", id, events[id], want)
		}
	}
	if len(events) != len(scores) {
		t.Errorf("graded events name %d attempts, want %d", len(events), len(scores))
	}
}

func TestAttemptsGradedInOneTaskGetOneGradeAndOneEventEachAndTheirJobsAreDone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, scores := submittedAttempts(t, f, 4)
	jobs := gradingJobs(t, f)
	// The first job twice in the task: a duplicate.
	if err := f.svc.HandleGradeAttempts(context.Background(), append(jobs, jobs[0])); err != nil {
		t.Fatal(err)
	}
	wantGradedOnce(t, f, scores)
	if got := jobsDone(t, f); got != 4 {
		t.Errorf("%d grading jobs done, want 4", got)
	}

	// Graded again, in a task or alone: nothing changes.
	if err := f.svc.HandleGradeAttempts(context.Background(), jobs[:2]); err != nil {
		t.Errorf("a second grading: %v", err)
	}
	var p GradeAttemptPayload
	if err := json.Unmarshal(jobs[3].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.GradeAttempt(context.Background(), p.AttemptID); err != nil {
		t.Fatal(err)
	}
	wantGradedOnce(t, f, scores)
}

// A task's failures are retried unless every one of them is for good: an
// attempt that does not exist, or a job that does not decode, fails alone
// and for good; an attempt another grader holds is retried, with the task.
func TestATaskIsRetriedUnlessEveryFailureIsForGood(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids, scores := submittedAttempts(t, f, 2)
	jobs := gradingJobs(t, f)
	missing := queue.BatchedJob{ID: uuid.Must(uuid.NewV7()), Payload: json.RawMessage(`{"attempt_id":"` + uuid.NewString() + `"}`)}
	garbled := queue.BatchedJob{ID: uuid.Must(uuid.NewV7()), Payload: json.RawMessage(`"no attempt"`)}

	err := f.svc.HandleGradeAttempts(context.Background(), []queue.BatchedJob{jobs[0], missing, garbled})
	if !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("a task whose only failures are for good: %v, want it not retried", err)
	}

	release := holdAttempt(t, f, ids[1])
	err = f.svc.HandleGradeAttempts(context.Background(), []queue.BatchedJob{missing, jobs[1]})
	release()
	if err == nil || errors.Is(err, asynq.SkipRetry) || !errors.Is(err, errAttemptBusy) {
		t.Errorf("a task with an attempt another grader holds: %v, want it retried", err)
	}
	// The retry grades it.
	if err := f.svc.HandleGradeAttempts(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	wantGradedOnce(t, f, scores)
}

// In an exam some slot is always left blank; the batch grades such an
// attempt itself (the blank earns nothing) instead of failing and sending
// every attempt of the batch to be graded alone.
func TestABatchGradesAttemptsWithSlotsLeftBlank(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, qs := f.bank()
	f.setQuiz(QuizInput{AttemptsAllowed: ptr(0), ShuffleOptions: ptr(false)}, qs[TypeSingleChoice].ID, qs[TypeTrueFalse].ID)
	scores := map[uuid.UUID]float64{}
	var ids []uuid.UUID
	for i, answers := range [][]string{{`{"choice":"a"}`}, {}, {`{"choice":"a"}`, `{"value":true}`}} {
		learner := f.newLearner()
		a, err := f.svc.Start(learner, f.quizID, f.classID)
		if err != nil {
			t.Fatal(err)
		}
		for slot, answer := range answers {
			if _, err := f.svc.SaveAnswer(learner, a.ID, slot+1, 1, raw(answer)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Submit(learner, a.ID); err != nil {
			t.Fatal(err)
		}
		ids, scores[a.ID] = append(ids, a.ID), []float64{2, 0, 3}[i]
	}
	for id, err := range f.svc.gradeBatch(context.Background(), ids, nil) {
		if err != nil {
			t.Errorf("the batch's outcome for %s: %v, want graded in the batch", id, err)
		}
	}
	wantGradedOnce(t, f, scores)
}

func TestABadAttemptFailsOnlyItsOwnCallInABatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		spoil func(f *fixture, bad uuid.UUID)
	}{
		{"its question version no longer decodes", func(f *fixture, bad uuid.UUID) {
			broken := uuid.Must(uuid.NewV7())
			f.exec(`INSERT INTO question_versions (id, question_id, number, type, stem, points, body, created_by)
				SELECT ?, question_id, number + 100, type, stem, points, '"broken"', created_by FROM question_versions v
				WHERE v.id = (SELECT question_version_id FROM quiz_attempt_slots WHERE attempt_id = ? AND slot = 1)`, broken, bad)
			f.exec(`UPDATE quiz_attempt_slots SET question_version_id = ? WHERE attempt_id = ? AND slot = 1`, broken, bad)
		}},
		{"the database refuses its grade", func(f *fixture, bad uuid.UUID) {
			f.exec(`CREATE FUNCTION refuse_grade() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN IF NEW.id = '` + bad.String() + `' AND NEW.state <> 'submitted' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`)
			f.exec(`CREATE TRIGGER refuse_grade BEFORE UPDATE ON quiz_attempts FOR EACH ROW EXECUTE FUNCTION refuse_grade()`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ids, scores := submittedAttempts(t, f, 3)
			bad := ids[1]
			tc.spoil(f, bad)
			errs := gradeInOneBatch(f, ids)
			for i, err := range errs {
				if (err != nil) != (ids[i] == bad) {
					t.Errorf("call %d: %v, want an error only for the bad attempt", i+1, err)
				}
			}
			got, err := f.svc.store.attempt(context.Background(), bad, false)
			if err != nil || got.State != StateSubmitted {
				t.Errorf("the bad attempt: %s, %v, want it still submitted", got.State, err)
			}
			delete(scores, bad)
			wantGradedOnce(t, f, scores)
		})
	}
}

func TestAWorkerKilledMidBatchLeavesItsAttemptsSubmitted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids, scores := submittedAttempts(t, f, 3)
	f.svc.failAfterSlots = 1
	for i, err := range gradeInOneBatch(f, ids) {
		if !errors.Is(err, errWorkerDies) {
			t.Errorf("call %d: %v, want the worker's death", i+1, err)
		}
	}
	var scored int64
	f.db.Conn(context.Background()).Table("quiz_attempt_slots").Where("score IS NOT NULL").Count(&scored)
	var submitted int64
	f.db.Conn(context.Background()).Table("quiz_attempts").Where("state = 'submitted'").Count(&submitted)
	if scored != 0 || submitted != 3 || f.countOutbox(TypeAttemptGraded) != 0 {
		t.Fatalf("after the death: %d slots scored, %d attempts submitted, %d events; want 0, 3, 0",
			scored, submitted, f.countOutbox(TypeAttemptGraded))
	}
	f.svc.failAfterSlots = 0
	for i, err := range gradeInOneBatch(f, ids) {
		if err != nil {
			t.Errorf("the rerun, call %d: %v", i+1, err)
		}
	}
	wantGradedOnce(t, f, scores)
}

func TestAnAttemptAnotherGraderHoldsIsSkippedNotWaitedFor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids, scores := submittedAttempts(t, f, 2)
	held := ids[0]
	release := holdAttempt(t, f, held)
	errs := gradeInOneBatch(f, ids)
	release()
	if !errors.Is(errs[0], errAttemptBusy) || errs[1] != nil {
		t.Fatalf("calls = %v, want the held attempt busy and the other graded", errs)
	}
	// Its task runs again later and grades it.
	if err := f.svc.GradeAttempt(context.Background(), held); err != nil {
		t.Fatal(err)
	}
	wantGradedOnce(t, f, scores)
}

// The sweep grades again what was submitted and never graded (its task lost
// with Redis, its worker dead): each attempt whose grading job is older than
// the sweep's age gets one more job, once, and grading them all still gives
// one grade and one event per attempt.
func TestSubmittedAttemptsNobodyGradedAreQueuedAgainOnceAndGradedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ids, scores := submittedAttempts(t, f, 3)
	// The first two were submitted eleven minutes ago; the third just now.
	f.exec(`UPDATE quiz_attempts SET grade_requested_at = now() - interval '11 minutes' WHERE id IN ?`, ids[:2])

	n, err := f.svc.RequeueUngraded(ctx, 10*time.Minute)
	if err != nil || n != 2 {
		t.Fatalf("RequeueUngraded() = %d, %v; want the 2 attempts submitted 11 minutes ago", n, err)
	}
	jobs := gradingJobs(t, f)
	requeued := map[uuid.UUID]int{}
	for _, job := range jobs[3:] {
		var p GradeAttemptPayload
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			t.Fatal(err)
		}
		requeued[p.AttemptID]++
	}
	if len(jobs) != 5 || requeued[ids[0]] != 1 || requeued[ids[1]] != 1 {
		t.Errorf("grading jobs after the sweep: %d, the new ones for %v; want 5, one more each for the first two", len(jobs), requeued)
	}
	if n, err := f.svc.RequeueUngraded(ctx, 10*time.Minute); err != nil || n != 0 {
		t.Errorf("the sweep again at once = %d, %v; want nothing queued twice", n, err)
	}

	if err := f.svc.HandleGradeAttempts(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	wantGradedOnce(t, f, scores)
	if n, err := f.svc.RequeueUngraded(ctx, 0); err != nil || n != 0 {
		t.Errorf("the sweep once all are graded = %d, %v; want 0", n, err)
	}
}
