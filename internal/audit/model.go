// Package audit keeps the append-only record of every change: who made it, on
// behalf of which role grant, to what, the state before and after, and the
// request and address it came from. Domains record entries in the same
// transaction as the change; admins of a subtree query and export them.
package audit

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Change describes one change a domain made, to be recorded.
type Change struct {
	Action     string // e.g. "organization.move", "user.suspend"
	EntityType string
	EntityID   string
	OrgID      uuid.UUID // the organisation the changed thing belongs to
	OrgPath    string
	Before     any // nil when created
	After      any // nil when deleted
}

// Entry is a recorded change.
type Entry struct {
	ID         uuid.UUID
	At         time.Time
	ActorID    *uuid.UUID
	GrantID    *uuid.UUID
	OrgID      *uuid.UUID
	OrgPath    string
	Action     string
	EntityType string
	EntityID   string
	Before     json.RawMessage
	After      json.RawMessage
	RequestID  string
	IP         string
}

// Filter narrows a query of the log.
type Filter struct {
	OrgID      uuid.UUID // only this organisation's subtree; uuid.Nil for all the caller may see
	EntityType string
	EntityID   string
	ActorID    uuid.UUID
	Action     string
	Since      time.Time
	Until      time.Time
}
