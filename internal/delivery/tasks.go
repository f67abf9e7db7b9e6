package delivery

import (
	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/queue"
)

// TypeEnrolmentCompleted is the task recorded in the outbox, in the
// transaction that completes an enrolment; certificates handle it.
const TypeEnrolmentCompleted = "delivery:enrolment-completed"

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
