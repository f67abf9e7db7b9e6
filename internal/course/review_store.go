package course

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

func (s store) createReview(ctx context.Context, r Review) error {
	checklist, err := json.Marshal(checklistDoc(r.Checklist))
	if err != nil {
		return fmt.Errorf("encode checklist: %w", err)
	}
	row := reviewRow{ID: r.ID, VersionID: r.VersionID, ReviewerID: r.ReviewerID, Decision: string(r.Decision),
		Checklist: checklist, Comments: r.Comments, CreatedAt: r.CreatedAt}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("record review: %w", err)
	}
	return nil
}

func (s store) reviews(ctx context.Context, versionID uuid.UUID, req page.Request) ([]Review, error) {
	q, err := database.Keyset(s.db.Conn(ctx).Where("version_id = ?", versionID), "created_at", database.KeyTime, "id", req)
	if err != nil {
		return nil, err
	}
	var rows []reviewRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	out := make([]Review, 0, len(rows))
	for _, r := range rows {
		rv, err := r.toReview()
		if err != nil {
			return nil, err
		}
		out = append(out, rv)
	}
	return out, nil
}
