package delivery

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/mail"
	"github.com/corpu/corpu/internal/platform/queue"
)

// TypeEnrolmentCompleted is the event recorded in the outbox, in the
// transaction that completes an enrolment. Each consumer subscribes to it on
// the queue.Bus and gets a task of its own: delivery tells the learner
// (ConsumerCompletionMail); certificates, competency evidence and evaluation
// subscribe the same way.
const TypeEnrolmentCompleted = "delivery:enrolment-completed"

// ConsumerCompletionMail is delivery's consumer of TypeEnrolmentCompleted:
// its task type is TypeEnrolmentCompleted + "@" + ConsumerCompletionMail.
const ConsumerCompletionMail = "delivery.completion-mail"

// EnrolmentCompletedPayload is the payload of TypeEnrolmentCompleted.
type EnrolmentCompletedPayload struct {
	EnrolmentID uuid.UUID `json:"enrolment_id"`
	UserID      uuid.UUID `json:"user_id"`
	ClassID     uuid.UUID `json:"class_id"`
	VersionID   uuid.UUID `json:"version_id"`
}

// newEnrolmentCompletedJob is the outbox job for a completed enrolment.
func newEnrolmentCompletedJob(e Enrolment, c Class) queue.Job {
	return queue.Job{Type: TypeEnrolmentCompleted, Queue: queue.Default, Payload: EnrolmentCompletedPayload{
		EnrolmentID: e.ID, UserID: e.UserID, ClassID: c.ID, VersionID: c.VersionID}}
}

// HandleEnrolmentCompleted mails the learner that they completed a class and
// how many JP were credited. Subscribed on the bus, it runs in the transaction
// that records the delivery done, and notes the completion on the enrolment
// in it too, so a redelivered task sends nothing; a crash after the mail is
// handed over and before the commit sends it again, which is the
// at-least-once a mail can promise.
func (s *Service) HandleEnrolmentCompleted(sender mail.Sender) queue.Handler {
	return func(ctx context.Context, t *asynq.Task) error {
		var p EnrolmentCompletedPayload
		if err := queue.Decode(t, &p); err != nil {
			return err
		}
		e, err := s.store.enrolment(ctx, p.EnrolmentID, false)
		if err != nil {
			return fmt.Errorf("completion notice for %s: %w", p.EnrolmentID, err)
		}
		notified, err := s.store.completionNotified(ctx, e.ID)
		if err != nil || notified || e.Status != EnrolmentCompleted {
			return err
		}
		class, err := s.store.classWithoutSeats(ctx, e.ClassID)
		if err != nil {
			return err
		}
		learner, err := s.directory.Learner(ctx, e.UserID)
		if err != nil {
			return err
		}
		if err := sender.Send(ctx, completionMail(learner, class)); err != nil {
			return fmt.Errorf("mail completion notice: %w", err)
		}
		return s.store.markCompletionNotified(ctx, e.ID, s.now())
	}
}

// completionMail is the notice in Indonesian, then English: the learner's
// language is not known to delivery.
func completionMail(l Learner, c Class) mail.Message {
	jp := strconv.FormatFloat(c.JPCredit, 'f', -1, 64)
	return mail.Message{
		To:      l.Email,
		Subject: "Selamat! Anda menyelesaikan " + c.Title + " / You completed " + c.Title,
		Text: fmt.Sprintf("Yth. %s,\n\nAnda telah menyelesaikan kelas %q. Sebanyak %s JP telah dicatat pada riwayat pelatihan Anda.\n\n"+
			"---\n\nDear %s,\n\nYou have completed the class %q. %s JP have been credited to your training record.\n\n— Corpu\n",
			l.Name, c.Title, jp, l.Name, c.Title, jp),
	}
}

// EventQuizAttemptGraded is the quiz package's event of a final grade (its
// TypeAttemptGraded), named here so that delivery need not import quiz.
const EventQuizAttemptGraded = "quiz:attempt-graded"

// ConsumerQuizPassed is delivery's consumer of EventQuizAttemptGraded: a
// passed quiz shows as completed and releases the items that wait for it;
// whether it counts for completion is the gradebook's to say (grades.go).
const ConsumerQuizPassed = "delivery.quiz-passed"

// quizGradedPayload is what delivery reads of EventQuizAttemptGraded.
type quizGradedPayload struct {
	QuizID  uuid.UUID `json:"quiz_id"` // the course item
	ClassID uuid.UUID `json:"class_id"`
	UserID  uuid.UUID `json:"user_id"`
	// QuizPassed: the learner's grade of the quiz by its grading method
	// (highest, last or average attempt) reaches the pass mark.
	QuizPassed bool `json:"quiz_passed"`
	// Revised: a regrade or a grader changed a grade announced before.
	Revised bool `json:"revised"`
}

// HandleQuizAttemptGraded records quiz_passed on the learner's enrolment in
// the class when their grade of the quiz passes (a completed item stays
// completed, whatever a later attempt scores); a revised grade that no
// longer passes takes the completion back (RevokeQuizPassed). Subscribed on
// the bus, it runs in the transaction that records the delivery done;
// recording an outcome twice changes nothing. A learner no longer enrolled
// has nothing to complete.
func (s *Service) HandleQuizAttemptGraded(ctx context.Context, t *asynq.Task) error {
	var p quizGradedPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	if !p.QuizPassed && !p.Revised {
		return nil
	}
	e, err := s.store.liveEnrolment(ctx, p.ClassID, p.UserID)
	if errors.Is(err, ErrEnrolmentNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !p.QuizPassed {
		return s.RevokeQuizPassed(ctx, e.ID, p.QuizID)
	}
	if err := s.RecordOutcome(ctx, e.ID, p.QuizID, EventQuizPassed); apperr.KindOf(err) == apperr.KindInvalid {
		return fmt.Errorf("quiz %s is no item of class %s: %w", p.QuizID, p.ClassID, errors.Join(err, asynq.SkipRetry))
	} else if err != nil {
		return err
	}
	return nil
}
