package quiz

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/queue"
)

// TypeGradeAttempt is the outbox job that grades a submitted attempt,
// recorded in the transaction that submits or closes it.
const TypeGradeAttempt = "quiz:grade-attempt"

// GradeAttemptPayload is the payload of TypeGradeAttempt.
type GradeAttemptPayload struct {
	AttemptID uuid.UUID `json:"attempt_id"`
}

// TypeAttemptGraded is the event recorded when an attempt's grade is final:
// delivery's completion rules (quiz_passed), evaluation and competency
// evidence subscribe to it.
const TypeAttemptGraded = "quiz:attempt-graded"

// AttemptGradedPayload is the payload of TypeAttemptGraded.
type AttemptGradedPayload struct {
	AttemptID uuid.UUID `json:"attempt_id"`
	QuizID    uuid.UUID `json:"quiz_id"` // the course item
	ClassID   uuid.UUID `json:"class_id"`
	UserID    uuid.UUID `json:"user_id"`
	Score     float64   `json:"score"`
	MaxScore  float64   `json:"max_score"`
	Passed    bool      `json:"passed"` // this attempt reached the pass mark
	// QuizPercent is the learner's grade of the quiz in the class over their
	// graded attempts by the quiz's grading method (highest, last,
	// average), in percent of the maximum; QuizPassed compares it with the
	// pass mark. Completion rules read QuizPassed.
	QuizPercent float64 `json:"quiz_percent"`
	QuizPassed  bool    `json:"quiz_passed"`
	TestKind    string  `json:"test_kind"`
}

// HandleGradeAttempt grades a submitted attempt. Registered on the bus, it
// runs in the transaction that records the job done: a duplicate task, or a
// rerun after a worker died mid-way (its transaction rolled back), grades
// the attempt exactly once.
func (s *Service) HandleGradeAttempt(ctx context.Context, t *asynq.Task) error {
	var p GradeAttemptPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	return s.GradeAttempt(ctx, p.AttemptID)
}

// GradeAttempt grades the auto-gradable slots of a submitted attempt, in the
// transaction carried by ctx (or one of its own): the attempt becomes graded,
// or needs_grading while essays wait for a grader. An attempt not in
// submitted state is left alone, so grading twice changes nothing.
func (s *Service) GradeAttempt(ctx context.Context, attemptID uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// A grade lost in a crash is made again: the attempt stays submitted
		// and its job undone (both in this transaction), so the relay sends
		// it again and the sweep re-enqueues it. The read below lets the
		// commit go without waiting for the disk.
		a, slots, err := s.store.attemptForGrading(ctx, attemptID)
		if errors.Is(err, ErrAttemptNotFound) {
			return fmt.Errorf("grade attempt %s: %w", attemptID, asynq.SkipRetry)
		}
		if err != nil || a.State != StateSubmitted {
			return err
		}
		var nums []int
		var scores []float64
		for i := range slots {
			sl := &slots[i]
			if !sl.Type.AutoGraded() {
				continue
			}
			c, err := s.contentAt(ctx, sl.QuestionVersionID, sl.KeyRevision)
			if err != nil {
				return err
			}
			score := 0.0
			if len(sl.Response) > 0 {
				if r, err := ParseResponse(c, sl.Response); err == nil {
					f, _ := Grade(c, r)
					score = round3(f * sl.Points)
				}
			}
			sl.Score = &score
			nums, scores = append(nums, sl.Slot), append(scores, score)
			if s.failAfterSlots > 0 && len(nums) == s.failAfterSlots {
				if err := s.store.setSlotScores(ctx, attemptID, nums, scores); err != nil {
					return err
				}
				return errors.New("test: the worker dies mid-grading")
			}
		}
		return s.settle(ctx, a, slots, nums, scores)
	})
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// settle sums an attempt's slots and writes, in one statement, the scores of
// the slots nums (when given) and the attempt's grade: graded when every
// graded slot has a score (with the event announcing it), needs_grading
// otherwise.
func (s *Service) settle(ctx context.Context, a Attempt, slots []Slot, nums []int, scores []float64) error {
	total, pending := 0.0, false
	for _, sl := range slots {
		if !sl.Type.Graded() {
			continue
		}
		if sl.Score == nil {
			pending = true
			continue
		}
		total += *sl.Score
	}
	total = round3(total)
	if pending {
		_, err := s.store.setGrade(ctx, a, StateNeedsGrading, total, nil, s.now(), nums, scores)
		return err
	}
	q, err := s.publishedQuiz(ctx, a.QuizID)
	if err != nil {
		return err
	}
	passed := a.MaxScore == 0 || total/a.MaxScore*100 >= q.PassMark-1e-9
	graded, err := s.store.setGrade(ctx, a, StateGraded, total, &passed, s.now(), nums, scores)
	if err != nil {
		return err
	}
	percent := QuizGrade(q.GradingMethod, graded)
	_, err = s.outbox.Add(ctx, queue.Job{Type: TypeAttemptGraded, Queue: queue.Default, Payload: AttemptGradedPayload{
		AttemptID: a.ID, QuizID: a.QuizID, ClassID: a.ClassID, UserID: a.UserID, Score: total, MaxScore: a.MaxScore,
		Passed: passed, QuizPercent: round3(percent), QuizPassed: percent >= q.PassMark-1e-9, TestKind: q.TestKind}})
	return err
}

// QuizGrade is a learner's grade of a quiz, in percent, from the percents
// of their graded attempts in attempt order: the highest, the last, or the
// average, as the quiz's grading method says.
func QuizGrade(method string, percents []float64) float64 {
	if len(percents) == 0 {
		return 0
	}
	switch method {
	case GradeLast:
		return percents[len(percents)-1]
	case GradeAverage:
		sum := 0.0
		for _, p := range percents {
			sum += p
		}
		return sum / float64(len(percents))
	default:
		best := percents[0]
		for _, p := range percents[1:] {
			best = math.Max(best, p)
		}
		return best
	}
}

// GradeSlot records a grader's score for an essay of an attempt; the
// class's staff grade. When no essay waits any more, the attempt is graded.
func (s *Service) GradeSlot(ctx context.Context, attemptID uuid.UUID, slot int, score float64, comment string) (AttemptView, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return AttemptView{}, err
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > 5000 {
		return AttemptView{}, apperr.Invalid("comment", "terlalu panjang", "is too long")
	}
	a, err := s.store.attempt(ctx, attemptID, false)
	if err != nil {
		return AttemptView{}, err
	}
	ca, err := s.classes.ClassAccess(ctx, a.ClassID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return AttemptView{}, ErrAttemptNotFound
	}
	if err != nil {
		return AttemptView{}, err
	}
	if err := authz.Decide(ca.Staff || a.UserID == actor.UserID, ca.Staff, ErrAttemptNotFound); err != nil {
		return AttemptView{}, err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.store.attempt(ctx, attemptID, true)
		if err != nil {
			return err
		}
		slots, err := s.store.slots(ctx, attemptID)
		if err != nil {
			return err
		}
		i := slot - 1
		if i < 0 || i >= len(slots) {
			return ErrSlotNotFound
		}
		if slots[i].Type != TypeEssay || (a.State != StateNeedsGrading && a.State != StateGraded) {
			return ErrNotGradable
		}
		if !finite(score) || score < 0 || score > slots[i].Points {
			return apperr.Invalid("score", fmt.Sprintf("harus 0 sampai %g", slots[i].Points), fmt.Sprintf("must be 0 to %g", slots[i].Points))
		}
		score = round3(score)
		if err := s.store.setManualScore(ctx, attemptID, slot, score, comment, actor.UserID); err != nil {
			return err
		}
		slots[i].Score = &score
		if err := s.settle(ctx, a, slots, nil, nil); err != nil {
			return err
		}
		path, err := s.orgs.OrgPath(ctx, ca.OrgID)
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.ClassTeach, audit.Change{Action: "quiz.grade_slot", EntityType: "quiz_attempt",
			EntityID: attemptID.String(), OrgID: ca.OrgID, OrgPath: path,
			After: map[string]any{"slot": slot, "score": score, "comment": comment}})
	})
	if err != nil {
		return AttemptView{}, err
	}
	return s.GetAttempt(ctx, attemptID)
}

// Sweeps registers the quiz's periodic sweeps on the bus: close the attempts
// whose time ran out, and grade again what was submitted and never graded.
func (s *Service) Sweeps(bus *queue.Bus) {
	bus.Reconcile("quiz-close-overdue", "* * * * *", func(ctx context.Context) error {
		_, err := s.CloseOverdue(ctx)
		return err
	})
	bus.Reconcile("quiz-requeue-ungraded", "*/5 * * * *", func(ctx context.Context) error {
		_, err := s.RequeueUngraded(ctx, 10*time.Minute)
		return err
	})
}
