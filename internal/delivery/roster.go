package delivery

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

// LearnersOf returns who of userIDs learns in a class (enrolled, active or
// completed), or every such learner when userIDs is nil. It does not
// authorize: other domains call it for a caller they have authorized, or in
// their workers (assignments form groups and allocate peer reviewers).
func (s *Service) LearnersOf(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) ([]uuid.UUID, error) {
	q := s.store.db.Conn(ctx).Model(&enrolmentRow{}).Where("class_id = ? AND status IN ?", classID,
		[]EnrolmentStatus{EnrolmentActive, EnrolmentCompleted})
	if userIDs != nil {
		q = q.Where("user_id = ANY(?::uuid[])", database.UUIDArray(userIDs))
	}
	var ids []uuid.UUID
	if err := q.Order("user_id").Pluck("user_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("list learners of class %s: %w", classID, err)
	}
	return ids, nil
}

// StaffOf returns who teaches or manages a class by its staff list. It does
// not authorize, as LearnersOf.
func (s *Service) StaffOf(ctx context.Context, classID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := s.store.db.Conn(ctx).Model(&staffRow{}).Where("class_id = ?", classID).Order("user_id").Pluck("user_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("list staff of class %s: %w", classID, err)
	}
	return ids, nil
}
