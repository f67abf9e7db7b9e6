// Package job is the resource a client polls while long work runs in the
// background: imports, exports, bulk issue, regrades. The domain that starts
// the work creates the job in the same transaction as the outbox row of its
// task; the task handler reports its start, progress and outcome here.
package job

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Status is where a job is in its life.
type Status string

// The statuses of a job. Succeeded, failed and cancelled are final.
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Final reports whether a job in status s is over.
func (s Status) Final() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCancelled
}

// Job is one piece of long work.
type Job struct {
	ID             uuid.UUID
	Kind           string // e.g. "user_import"
	Status         Status
	OwnerID        uuid.UUID // who started it; only they (and platform admins) see it
	OrgID          uuid.UUID
	Params         json.RawMessage
	Done           int
	Total          int
	Result         json.RawMessage // a small summary, e.g. counts; nil until it succeeds
	ResultKey      string          // object key of a result file, if any
	ErrorReportKey string          // object key of a per-row error report, if any
	Error          string          // why it failed
	CreatedAt      time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
}

// Errors of this package.
var (
	ErrNotFound = apperr.New(apperr.KindNotFound, "job.not_found",
		"Pekerjaan tidak ditemukan.", "Job not found.")
	ErrFinished = apperr.New(apperr.KindConflict, "job.finished",
		"Pekerjaan sudah selesai.", "The job has already finished.")
	// ErrCancelled tells a task handler that the job was cancelled while it
	// ran: it should stop and return nil.
	ErrCancelled = apperr.New(apperr.KindConflict, "job.cancelled",
		"Pekerjaan telah dibatalkan.", "The job has been cancelled.")
)
