package identity

import (
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/queue"
)

// The events identity announces, each written to the outbox in the
// transaction that made the change, for the domains that keep something per
// person or per organisation (rollups, profiles) to follow.
const (
	// EventUserTransferred: a person moved to another organisation (by hand
	// or by an HR import). Payload UserTransferredPayload.
	EventUserTransferred = "identity:user-transferred"
	// EventOrganizationMoved: an organisation and its subtree moved under
	// another parent; every path under OldPath now starts with NewPath.
	// Payload OrganizationMovedPayload.
	EventOrganizationMoved = "identity:organization-moved"
	// EventUsersImported: an HR import wrote a batch of people (one event per
	// batch of at most a thousand, in the batch's transaction). Payload
	// UsersImportedPayload.
	EventUsersImported = "identity:users-imported"
)

// UserTransferredPayload is the payload of EventUserTransferred.
type UserTransferredPayload struct {
	TransferID        uuid.UUID   `json:"transfer_id"`
	UserID            uuid.UUID   `json:"user_id"`
	FromOrgID         uuid.UUID   `json:"from_org_id"`
	FromOrgPath       string      `json:"from_org_path"`
	ToOrgID           uuid.UUID   `json:"to_org_id"`
	ToOrgPath         string      `json:"to_org_path"`
	EndedGrantIDs     []uuid.UUID `json:"ended_grant_ids"`
	SupervisorCleared bool        `json:"supervisor_cleared"`
	EffectiveAt       time.Time   `json:"effective_at"`
}

// OrganizationMovedPayload is the payload of EventOrganizationMoved.
type OrganizationMovedPayload struct {
	OrgID       uuid.UUID  `json:"org_id"`
	OldParentID *uuid.UUID `json:"old_parent_id"`
	NewParentID uuid.UUID  `json:"new_parent_id"`
	OldPath     string     `json:"old_path"`
	NewPath     string     `json:"new_path"`
}

// UsersImportedPayload is the payload of EventUsersImported: the people of
// one batch the import created and updated. Transfers it made are announced
// one by one as EventUserTransferred too.
type UsersImportedPayload struct {
	JobID   uuid.UUID   `json:"job_id"`
	OrgID   uuid.UUID   `json:"org_id"` // the organisation imported into
	OrgPath string      `json:"org_path"`
	Created []uuid.UUID `json:"created"`
	Updated []uuid.UUID `json:"updated"`
}

// event is the outbox job of one identity event.
func event(typ string, payload any) queue.Job {
	return queue.Job{Type: typ, Queue: queue.Default, Payload: payload}
}
