package job

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

// store reads and writes the jobs table.
type store struct{ db *database.DB }

type jobRow struct {
	ID             uuid.UUID
	Kind           string
	Status         string
	OwnerID        uuid.UUID
	OrgID          uuid.UUID
	Permission     string
	Params         []byte
	ProgressDone   int
	ProgressTotal  int
	Result         []byte
	ResultKey      *string
	ErrorReportKey *string
	Error          *string
	CreatedAt      time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
}

func (jobRow) TableName() string { return "jobs" }

func (r jobRow) toJob() Job {
	return Job{
		ID: r.ID, Kind: r.Kind, Status: Status(r.Status), OwnerID: r.OwnerID, OrgID: r.OrgID, Params: r.Params,
		Done: r.ProgressDone, Total: r.ProgressTotal, Result: r.Result, ResultKey: database.EmptyIfNull(r.ResultKey),
		ErrorReportKey: database.EmptyIfNull(r.ErrorReportKey), Error: database.EmptyIfNull(r.Error),
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
	}
}

func (s store) create(ctx context.Context, r jobRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	return nil
}

func (s store) get(ctx context.Context, id uuid.UUID) (jobRow, error) {
	var r jobRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrNotFound, "get job %s", id); err != nil {
		return jobRow{}, err
	}
	return r, nil
}

// update changes a job that is in one of statuses and reports whether it did.
func (s store) update(ctx context.Context, id uuid.UUID, statuses []Status, fields map[string]any) (bool, error) {
	res := s.db.Conn(ctx).Model(&jobRow{}).Where("id = ? AND status IN ?", id, statuses).Updates(fields)
	if res.Error != nil {
		return false, fmt.Errorf("update job %s: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}
