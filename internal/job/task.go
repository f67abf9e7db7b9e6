package job

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// Starter starts a job's run; the job Service is one.
type Starter interface {
	Start(ctx context.Context, id uuid.UUID) (Job, error)
}

// BeginTask starts the job a task runs. ok is false when the job is already
// over, so a duplicate or late task does nothing; a job that no longer
// exists ends the task without a retry.
func BeginTask(ctx context.Context, jobs Starter, taskType string, id uuid.UUID) (j Job, ok bool, err error) {
	j, err = jobs.Start(ctx, id)
	switch {
	case errors.Is(err, ErrFinished):
		return Job{}, false, nil
	case errors.Is(err, ErrNotFound):
		return Job{}, false, fmt.Errorf("%s: job %s: %w: %w", taskType, id, err, asynq.SkipRetry)
	case err != nil:
		return Job{}, false, err
	}
	return j, true, nil
}
