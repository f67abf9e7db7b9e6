package delivery

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// The reads below serve the certificate worker, which has no caller to
// authorize: they return completions and never change anything.

// CompletedEnrolment returns an enrolment and its class (without its seats)
// without authorizing.
func (s *Service) CompletedEnrolment(ctx context.Context, enrolmentID uuid.UUID) (Enrolment, Class, error) {
	e, err := s.store.enrolment(ctx, enrolmentID, false)
	if err != nil {
		return Enrolment{}, Class{}, err
	}
	c, err := s.store.classWithoutSeats(ctx, e.ClassID)
	return e, c, err
}

// CompletedInClass lists the ids of a class's completed enrolments after
// the id after, in id order.
func (s *Service) CompletedInClass(ctx context.Context, classID, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	return s.store.completedIDs(ctx, s.store.db.Conn(ctx).Where("class_id = ?", classID), after, limit)
}

// CompletedSince lists the ids of enrolments completed at or after since,
// after the id after, in id order.
func (s *Service) CompletedSince(ctx context.Context, since time.Time, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	return s.store.completedIDs(ctx, s.store.db.Conn(ctx).Where("completed_at >= ?", since), after, limit)
}
