package quiz

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/queue"
)

// errGradeAlone is the outcome of an attempt its batch did not grade: the
// batch's transaction failed, or grading this attempt did (its question
// version is missing, say). GradeAttempt then grades it alone, so one bad
// attempt fails its own call and no other.
var errGradeAlone = errors.New("quiz: the batch did not grade the attempt")

// errAttemptBusy is the outcome of an attempt whose row another transaction
// held (another grader of the same attempt): the batch does not wait for it,
// and the task runs again later, when it finds the attempt graded.
var errAttemptBusy = errors.New("another transaction holds the attempt; grade it again later")

// gradeBatch grades the distinct attempts ids together, in one transaction
// and six round trips in all (begin, lock, slots, grades, the events,
// commit), and returns each one's outcome: nil when it was graded, or waits
// for essays, or had been graded already; errGradeAlone; errAttemptBusy; a
// not-found error that is not retried. The jobs of the attempts that need
// no more grading are recorded done in the same transaction.
//
// ctx carries no transaction of the caller's under the worker
// (queue.HandleBatches): a batch that fails rolls back its own, and its
// attempts are then graded alone.
func (s *Service) gradeBatch(ctx context.Context, ids []uuid.UUID, jobs map[uuid.UUID][]uuid.UUID) map[uuid.UUID]error {
	var outcomes map[uuid.UUID]error
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if outcomes, err = s.gradeTogether(ctx, ids); err != nil {
			return err
		}
		var done []uuid.UUID
		for _, id := range ids {
			if outcomes[id] == nil {
				done = append(done, jobs[id]...)
			}
		}
		return s.outbox.JobsDone(ctx, done)
	})
	if err != nil {
		outcomes = make(map[uuid.UUID]error, len(ids))
		for _, id := range ids {
			outcomes[id] = errGradeAlone
		}
	}
	return outcomes
}

// gradeTogether grades the attempts ids in the transaction carried by ctx.
func (s *Service) gradeTogether(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]error, error) {
	locked, err := s.store.lockForGrading(ctx, ids)
	if err != nil {
		return nil, err
	}
	outcomes, err := s.outcomesOfUnlocked(ctx, ids, locked)
	if err != nil {
		return nil, err
	}
	var submitted []uuid.UUID
	for _, id := range ids {
		if a, ok := locked[id]; ok && a.State == StateSubmitted {
			submitted = append(submitted, id)
		}
	}
	if len(submitted) == 0 {
		return outcomes, nil
	}
	slots, err := s.store.gradingSlots(ctx, submitted)
	if err != nil {
		return nil, err
	}
	grades := make([]attemptGrade, 0, len(submitted))
	for _, id := range submitted {
		g, err := s.decideGrade(ctx, locked[id], slots[id])
		if err != nil {
			outcomes[id] = errGradeAlone
			continue
		}
		grades = append(grades, g)
	}
	if len(grades) == 0 {
		return outcomes, nil
	}
	percents, err := s.store.setGrades(ctx, grades, s.now())
	if err != nil {
		return nil, err
	}
	if s.failAfterSlots > 0 {
		return nil, errWorkerDies
	}
	var events []queue.Job
	for _, g := range grades {
		if g.state == StateGraded {
			events = append(events, gradedEvent(g.attempt, g.quiz, g.score, *g.passed, percents[g.attempt.ID], false))
		}
	}
	if _, err := s.outbox.AddAll(ctx, events); err != nil {
		return nil, err
	}
	return outcomes, nil
}

// outcomesOfUnlocked tells, of the ids the lock did not return, those that
// do not exist (not retried) from those another transaction holds.
func (s *Service) outcomesOfUnlocked(ctx context.Context, ids []uuid.UUID, locked map[uuid.UUID]Attempt) (map[uuid.UUID]error, error) {
	outcomes := make(map[uuid.UUID]error, len(ids))
	var unlocked []uuid.UUID
	for _, id := range ids {
		if _, ok := locked[id]; !ok {
			unlocked = append(unlocked, id)
		}
	}
	if len(unlocked) == 0 {
		return outcomes, nil
	}
	exists, err := s.store.existingAttempts(ctx, unlocked)
	if err != nil {
		return nil, err
	}
	for _, id := range unlocked {
		if exists[id] {
			outcomes[id] = fmt.Errorf("grade attempt %s: %w", id, errAttemptBusy)
		} else {
			outcomes[id] = fmt.Errorf("grade attempt %s: %w", id, asynq.SkipRetry)
		}
	}
	return outcomes, nil
}

// decideGrade scores a submitted attempt's auto-graded slots and decides its
// grade, as settle does for one attempt.
func (s *Service) decideGrade(ctx context.Context, a Attempt, slots []Slot) (attemptGrade, error) {
	if len(slots) == 0 {
		return attemptGrade{}, fmt.Errorf("attempt %s has no slots", a.ID)
	}
	nums, scores, err := s.autoScores(ctx, slots, false)
	if err != nil {
		return attemptGrade{}, err
	}
	g := attemptGrade{attempt: a, state: StateNeedsGrading, slots: nums, scores: scores}
	total, pending := tally(slots)
	g.score = total
	if pending {
		return g, nil
	}
	if g.quiz, err = s.publishedQuiz(ctx, a.QuizID); err != nil {
		return attemptGrade{}, err
	}
	passed := passes(g.quiz, total, a.MaxScore)
	g.state, g.passed = StateGraded, &passed
	return g, nil
}
