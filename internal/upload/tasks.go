package upload

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
)

// TypeCleanup is the periodic task that removes uploads never completed.
const TypeCleanup = "upload:cleanup"

// HandleCleanup removes the uploads pending for longer than PendingTTL. It
// takes no payload and is safe to run any number of times.
func (s *Service) HandleCleanup(ctx context.Context, _ *asynq.Task) error {
	if _, err := s.Cleanup(ctx, s.now().Add(-PendingTTL)); err != nil {
		return fmt.Errorf("clean up uploads: %w", err)
	}
	return nil
}
