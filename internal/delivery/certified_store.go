package delivery

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// completedIDs lists the ids of the completed enrolments q narrows to,
// after the id after, in id order.
func (s store) completedIDs(ctx context.Context, q *gorm.DB, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := q.WithContext(ctx).Table("enrolments").Where("status = ? AND id > ?", EnrolmentCompleted, after).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list completed enrolments: %w", err)
	}
	return ids, nil
}
