package gradebook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/queue"
)

// The events the gradebook consumes, named here so that it imports none of
// their domains, and its consumers of them.
const (
	EventQuizAttemptGraded  = "quiz:attempt-graded"
	EventAssignmentGraded   = "assignment:graded"
	EventAttendanceChanged  = "delivery:attendance-changed"
	ConsumerQuizGrade       = "gradebook.quiz-grade"
	ConsumerAssignmentGrade = "gradebook.assignment-grade"
	ConsumerAttendance      = "gradebook.attendance"
)

// quizGradedPayload is what the gradebook reads of a quiz's
// quiz:attempt-graded: the learner's grade of the quiz by its grading
// method, and whether it reaches the quiz's pass mark.
type quizGradedPayload struct {
	QuizID      uuid.UUID `json:"quiz_id"` // the course item
	ClassID     uuid.UUID `json:"class_id"`
	UserID      uuid.UUID `json:"user_id"`
	QuizPercent float64   `json:"quiz_percent"`
	QuizPassed  bool      `json:"quiz_passed"`
}

// assignmentGradedPayload is the payload of assignment:graded, recorded
// when an assignment's grade is released and again when it changes.
type assignmentGradedPayload struct {
	SubmissionID uuid.UUID `json:"submission_id"`
	AssignmentID uuid.UUID `json:"assignment_id"` // the course item
	ClassID      uuid.UUID `json:"class_id"`
	UserID       uuid.UUID `json:"user_id"`
	Points       float64   `json:"points"`
	MaxPoints    float64   `json:"max_points"`
	ReleasedAt   time.Time `json:"released_at"`
}

// AttendanceChangedPayload is the payload of delivery:attendance-changed,
// which delivery records when a check-in or a roll call changes learners'
// attendance: each learner's sessions attended (present or excused) out of
// the class's sessions taking attendance.
type AttendanceChangedPayload struct {
	ClassID  uuid.UUID         `json:"class_id"`
	Learners []AttendanceTally `json:"learners"`
	At       time.Time         `json:"at"`
}

// AttendanceTally is one learner's attendance.
type AttendanceTally struct {
	UserID   uuid.UUID `json:"user_id"`
	Attended int       `json:"attended"`
	Total    int       `json:"total"`
}

// skipUnknownClass turns a class that no longer exists into a task not to
// retry: no later delivery can find it either.
func skipUnknownClass(classID uuid.UUID, err error) error {
	if apperr.KindOf(err) == apperr.KindNotFound {
		return fmt.Errorf("gradebook of class %s: %w", classID, errors.Join(err, asynq.SkipRetry))
	}
	return err
}

// HandleQuizAttemptsGraded keeps learners' quiz grades, the events of a
// batch together: the learners of one class and quiz are recorded and
// recomputed at once (RecordGrades), as an exam's graded attempts come. Of
// two grades of one learner in a batch the later is kept. Subscribed on the
// bus in batches, it runs in the transaction that records them done.
func (s *Service) HandleQuizAttemptsGraded(ctx context.Context, events []queue.BatchedJob) error {
	type classQuiz struct{ classID, quizID uuid.UUID }
	grades := map[classQuiz]map[uuid.UUID]Grade{}
	var order []classQuiz
	for _, e := range events {
		var p quizGradedPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return fmt.Errorf("decode event %s: %v: %w", e.ID, err, asynq.SkipRetry)
		}
		k := classQuiz{p.ClassID, p.QuizID}
		if grades[k] == nil {
			grades[k] = map[uuid.UUID]Grade{}
			order = append(order, k)
		}
		g := Grade{Item: p.QuizID.String(), Kind: KindQuiz, Percent: p.QuizPercent, Passed: p.QuizPassed, ReleasedAt: s.releasedAtOf(e.ID)}
		if kept, ok := grades[k][p.UserID]; !ok || !kept.ReleasedAt.After(g.ReleasedAt) {
			grades[k][p.UserID] = g
		}
	}
	for _, k := range order {
		if err := skipUnknownClass(k.classID, s.RecordGrades(ctx, k.classID, grades[k])); err != nil {
			return err
		}
	}
	return nil
}

// HandleAssignmentGraded keeps a learner's released assignment grade, the
// latest by its release time. A graded assignment passes by its own rule
// (as delivery's assignment_graded did), so a class without settings passes
// it; the settings' pass mark judges its points.
func (s *Service) HandleAssignmentGraded(ctx context.Context, t *asynq.Task) error {
	var p assignmentGradedPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	if p.MaxPoints <= 0 || p.Points < 0 || p.Points > p.MaxPoints || p.ReleasedAt.IsZero() {
		return fmt.Errorf("assignment grade %s: points %g of %g released %v: %w", p.SubmissionID, p.Points, p.MaxPoints, p.ReleasedAt, asynq.SkipRetry)
	}
	return skipUnknownClass(p.ClassID, s.RecordGrade(ctx, p.ClassID, p.UserID, Grade{Item: p.AssignmentID.String(), Kind: KindAssignment,
		Percent: p.Points / p.MaxPoints * 100, Passed: true, ReleasedAt: p.ReleasedAt}))
}

// HandleAttendanceChanged keeps learners' attendance as the class's
// attendance item: the share of sessions attended, in percent.
func (s *Service) HandleAttendanceChanged(ctx context.Context, t *asynq.Task) error {
	var p AttendanceChangedPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	at := p.At
	if at.IsZero() {
		at = s.releasedAt(ctx)
	}
	grades := make(map[uuid.UUID]Grade, len(p.Learners))
	for _, l := range p.Learners {
		percent := 100.0
		if l.Total > 0 {
			percent = float64(l.Attended) / float64(l.Total) * 100
		}
		grades[l.UserID] = Grade{Item: AttendanceItem, Kind: KindAttendance, Percent: percent, Passed: true, ReleasedAt: at}
	}
	return skipUnknownClass(p.ClassID, s.RecordGrades(ctx, p.ClassID, grades))
}

// HandleRecomputeClass recomputes a class's rows after a settings change.
func (s *Service) HandleRecomputeClass(ctx context.Context, t *asynq.Task) error {
	var p RecomputeClassPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	return skipUnknownClass(p.ClassID, s.RecomputeClass(ctx, p.ClassID))
}
