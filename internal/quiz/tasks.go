package quiz

import (
	"context"
	"encoding/json"
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
	// Revised: the attempt had been graded before, and a regrade or a
	// grader's new score changed it. A revised grade below the pass mark
	// takes back a completion the earlier grade gave; a new attempt's does
	// not.
	Revised bool `json:"revised"`
}

// GradeTaskSize is how many grading jobs the relay sends to one task
// (queue.HandleBatches): a backlog of submitted attempts is graded a
// hundred to a transaction, where a task per attempt cost the worker more
// in Redis scripts than the grading.
const GradeTaskSize = 100

// HandleGradeAttempts grades the submitted attempts of a task's grading
// jobs together, and records each job done in the transaction that writes
// its attempt's grade: a duplicate task, or a rerun after a worker died
// mid-way (the transaction rolled back, the jobs not done), finds the
// attempt submitted and grades it, or finds it graded and changes nothing.
// Each attempt is graded exactly once.
func (s *Service) HandleGradeAttempts(ctx context.Context, jobs []queue.BatchedJob) error {
	var ids []uuid.UUID
	byAttempt := map[uuid.UUID][]uuid.UUID{}
	var failed []error // a failure of a job, or of its attempt
	for _, job := range jobs {
		var p GradeAttemptPayload
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			failed = append(failed, fmt.Errorf("grading job %s: %v: %w", job.ID, err, asynq.SkipRetry))
			continue
		}
		if _, seen := byAttempt[p.AttemptID]; !seen {
			ids = append(ids, p.AttemptID)
		}
		byAttempt[p.AttemptID] = append(byAttempt[p.AttemptID], job.ID)
	}
	for _, err := range s.gradeAttempts(ctx, ids, byAttempt) {
		failed = append(failed, err)
	}
	return queue.JoinFailures(failed)
}

// GradeAttempt grades the auto-gradable slots of a submitted attempt: the
// attempt becomes graded, or needs_grading while essays wait for a grader.
// An attempt not in submitted state is left alone, so grading twice changes
// nothing.
func (s *Service) GradeAttempt(ctx context.Context, attemptID uuid.UUID) error {
	return s.gradeAttempts(ctx, []uuid.UUID{attemptID}, nil)[attemptID]
}

// gradeAttempts grades the distinct attempts ids together (gradeBatch),
// recording done the jobs of each by attempt, and returns each attempt's
// outcome (nil when it needs no more grading). An attempt the batch could
// not grade is graded alone, so one bad attempt fails its own job and no
// other.
func (s *Service) gradeAttempts(ctx context.Context, ids []uuid.UUID, jobs map[uuid.UUID][]uuid.UUID) map[uuid.UUID]error {
	outcomes := s.gradeBatch(ctx, ids, jobs)
	for _, id := range ids {
		if errors.Is(outcomes[id], errGradeAlone) {
			outcomes[id] = s.gradeAlone(ctx, id, jobs[id])
		}
	}
	return outcomes
}

// gradeAlone grades one attempt in the transaction carried by ctx (or one
// of its own), its row locked, and records its jobs done.
func (s *Service) gradeAlone(ctx context.Context, attemptID uuid.UUID, jobs []uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// A grade lost in a crash is made again: the attempt stays submitted
		// and its job undone (both in this transaction), so the relay sends
		// it again and the sweep re-enqueues it. The read below lets the
		// commit go without waiting for the disk.
		a, slots, err := s.store.attemptForGrading(ctx, attemptID)
		if errors.Is(err, ErrAttemptNotFound) {
			return fmt.Errorf("grade attempt %s: %w", attemptID, asynq.SkipRetry)
		}
		if err != nil {
			return err
		}
		if a.State == StateSubmitted {
			if err := s.gradeLocked(ctx, a, slots); err != nil {
				return err
			}
		}
		return s.outbox.JobsDone(ctx, jobs)
	})
}

// gradeLocked grades a submitted attempt whose row the transaction holds.
func (s *Service) gradeLocked(ctx context.Context, a Attempt, slots []Slot) error {
	nums, scores, err := s.autoScores(ctx, slots, false)
	if err != nil {
		return err
	}
	if s.failAfterSlots > 0 && len(nums) >= s.failAfterSlots {
		if err := s.store.setSlotScores(ctx, a.ID, nums[:s.failAfterSlots], scores[:s.failAfterSlots]); err != nil {
			return err
		}
		return errWorkerDies
	}
	return s.settle(ctx, a, slots, nums, scores)
}

// errWorkerDies is what failAfterSlots makes grading fail with, in tests.
var errWorkerDies = errors.New("test: the worker dies mid-grading")

// autoScores scores the auto-graded slots of an attempt with the current
// keys, setting each one's Score, and returns their numbers and scores; with
// changedOnly (a regrade) a slot whose score stays as it was is left out.
func (s *Service) autoScores(ctx context.Context, slots []Slot, changedOnly bool) (nums []int, scores []float64, err error) {
	for i := range slots {
		sl := &slots[i]
		if !sl.Type.AutoGraded() {
			continue
		}
		score, err := s.slotScore(ctx, *sl)
		if err != nil {
			return nil, nil, err
		}
		if changedOnly && sl.Score != nil && math.Abs(*sl.Score-score) < 5e-4 {
			continue
		}
		sl.Score = &score
		nums, scores = append(nums, sl.Slot), append(scores, score)
	}
	return nums, scores, nil
}

// slotScore is the score an auto-graded slot's answer earns with the key of
// the slot's question version at its key revision: no answer, or one that
// does not parse, earns 0.
func (s *Service) slotScore(ctx context.Context, sl Slot) (float64, error) {
	c, err := s.contentAt(ctx, sl.QuestionVersionID, sl.KeyRevision)
	if err != nil {
		return 0, err
	}
	if len(sl.Response) == 0 {
		return 0, nil
	}
	r, err := ParseResponse(c, sl.Response)
	if err != nil {
		return 0, nil
	}
	f, _ := Grade(c, r)
	return round3(f * sl.Points), nil
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// tally sums the scores of an attempt's graded slots; pending is true while
// one of them (an essay) has no score yet.
func tally(slots []Slot) (total float64, pending bool) {
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
	return round3(total), pending
}

// passes reports whether a total reaches the quiz's pass mark.
func passes(q Quiz, total, maxScore float64) bool {
	return maxScore == 0 || total/maxScore*100 >= q.PassMark-1e-9
}

// settle sums an attempt's slots and writes, in one statement, the scores of
// the slots nums (when given) and the attempt's grade: graded when every
// graded slot has a score (with the event announcing it), needs_grading
// otherwise.
func (s *Service) settle(ctx context.Context, a Attempt, slots []Slot, nums []int, scores []float64) error {
	total, pending := tally(slots)
	if pending {
		_, err := s.store.setGrade(ctx, a, StateNeedsGrading, total, nil, s.now(), nums, scores)
		return err
	}
	q, err := s.publishedQuiz(ctx, a.QuizID)
	if err != nil {
		return err
	}
	passed := passes(q, total, a.MaxScore)
	graded, err := s.store.setGrade(ctx, a, StateGraded, total, &passed, s.now(), nums, scores)
	if err != nil {
		return err
	}
	_, err = s.outbox.Add(ctx, gradedEvent(a, q, total, passed, graded, a.State == StateGraded))
	return err
}

// gradedEvent announces an attempt graded with total, percents being its
// learner's graded attempts of the quiz (this one included) in attempt order;
// revised when it had been graded before.
func gradedEvent(a Attempt, q Quiz, total float64, passed bool, percents []float64, revised bool) queue.Job {
	percent := QuizGrade(q.GradingMethod, percents)
	return queue.Job{Type: TypeAttemptGraded, Queue: queue.Default, Payload: AttemptGradedPayload{
		AttemptID: a.ID, QuizID: a.QuizID, ClassID: a.ClassID, UserID: a.UserID, Score: total, MaxScore: a.MaxScore,
		Passed: passed, QuizPercent: round3(percent), QuizPassed: percent >= q.PassMark-1e-9, TestKind: q.TestKind,
		Revised: revised}}
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
