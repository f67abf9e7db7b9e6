package assignment

import (
	"context"
	"errors"

	"github.com/corpu/corpu/internal/platform/queue"
)

// allocationBatch bounds the classes one sweep allocates peer reviews for.
const allocationBatch = 100

// AllocateDuePeerReviews allocates the peer reviews of every class whose
// due date has passed, each in its own transaction, and returns how many
// classes it allocated. A class allocated meanwhile is left as it is.
func (s *Service) AllocateDuePeerReviews(ctx context.Context) (int, error) {
	due, err := s.store.dueAllocations(ctx, s.now(), allocationBatch)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, cs := range due {
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			a, err := s.store.assignment(ctx, cs.AssignmentID)
			if err != nil {
				return err
			}
			_, err = s.allocate(ctx, a, cs.ClassID)
			return err
		})
		if errors.Is(err, ErrBeforeDue) {
			continue // the due date moved since the listing
		}
		if err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// Sweeps registers the periodic work of assignments on the bus.
func (s *Service) Sweeps(bus *queue.Bus) {
	bus.Reconcile("assignment-allocate-peer-reviews", "*/5 * * * *", func(ctx context.Context) error {
		_, err := s.AllocateDuePeerReviews(ctx)
		return err
	})
}
