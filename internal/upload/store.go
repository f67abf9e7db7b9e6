package upload

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

// store reads and writes the uploads table.
type store struct{ db *database.DB }

type uploadRow struct {
	ID                  uuid.UUID
	OwnerID             uuid.UUID
	OrgID               uuid.UUID
	Purpose             string
	Filename            string
	DeclaredContentType string
	DeclaredSize        int64
	ObjectKey           string
	MultipartID         *string // the S3 multipart upload of an upload in parts
	Status              string
	Size                *int64
	ContentType         *string
	SHA256              *string `gorm:"column:sha256"`
	CreatedAt           time.Time
	CompletedAt         *time.Time
}

func (uploadRow) TableName() string { return "uploads" }

func (r uploadRow) toFile() File {
	f := File{ID: r.ID, OwnerID: r.OwnerID, OrgID: r.OrgID, Purpose: Purpose(r.Purpose), Filename: r.Filename,
		ObjectKey: r.ObjectKey, CreatedAt: r.CreatedAt}
	if r.Size != nil {
		f.Size = *r.Size
	}
	if r.ContentType != nil {
		f.ContentType = *r.ContentType
	}
	if r.SHA256 != nil {
		f.SHA256 = *r.SHA256
	}
	if r.CompletedAt != nil {
		f.CompletedAt = *r.CompletedAt
	}
	return f
}

func (s store) create(ctx context.Context, r uploadRow) error {
	if err := s.db.Conn(ctx).Omit("Size", "ContentType", "SHA256", "CompletedAt").Create(&r).Error; err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	return nil
}

func (s store) get(ctx context.Context, id uuid.UUID) (uploadRow, error) {
	var r uploadRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrUploadNotFound, "get upload %s", id); err != nil {
		return uploadRow{}, err
	}
	return r, nil
}

// complete marks a pending upload completed with the verified facts; it
// reports false when the upload is no longer pending (completed by a
// concurrent request, or removed by the clean-up).
func (s store) complete(ctx context.Context, id uuid.UUID, objectKey string, size int64, contentType, sum string, at time.Time) (bool, error) {
	res := s.db.Conn(ctx).Model(&uploadRow{}).Where("id = ? AND status = ?", id, StatusPending).Updates(map[string]any{
		"status": string(StatusCompleted), "object_key": objectKey, "size": size, "content_type": contentType, "sha256": sum, "completed_at": at,
	})
	if res.Error != nil {
		return false, fmt.Errorf("complete upload %s: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// claimExpired locks up to limit pending uploads created before cutoff, so
// a completion racing with the clean-up waits for it and then finds nothing.
func (s store) claimExpired(ctx context.Context, cutoff time.Time, limit int) ([]uploadRow, error) {
	var rows []uploadRow
	err := s.db.Conn(ctx).Raw(`SELECT * FROM uploads WHERE status = ? AND created_at < ?
		ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED`, StatusPending, cutoff, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("claim expired uploads: %w", err)
	}
	return rows, nil
}

func (s store) delete(ctx context.Context, ids []uuid.UUID) error {
	if err := s.db.Conn(ctx).Where("id IN ? AND status = ?", ids, StatusPending).Delete(&uploadRow{}).Error; err != nil {
		return fmt.Errorf("delete expired uploads: %w", err)
	}
	return nil
}
