package certificate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
)

type keyRow struct {
	ID            string
	OrgID         uuid.UUID
	PublicKey     []byte
	PrivateKeyEnc []byte
	CreatedAt     time.Time
	RetiredAt     *time.Time
}

func (keyRow) TableName() string { return "certificate_keys" }

var errNoKey = errors.New("institute has no certificate key")

type keyStore struct{ db *database.DB }

func (s keyStore) current(ctx context.Context, orgID uuid.UUID) (keyRow, error) {
	var r keyRow
	err := s.db.Conn(ctx).Where("org_id = ? AND retired_at IS NULL", orgID).Take(&r).Error
	if database.IsNotFound(err) {
		return r, errNoKey
	}
	if err != nil {
		return r, fmt.Errorf("load certificate key of %s: %w", orgID, err)
	}
	return r, nil
}

// insertIfNoCurrent adds r unless the institute already has a current key
// (another process created one at the same moment); outsideTx commits it at
// once on the pool instead of joining the transaction ctx carries.
func (s keyStore) insertIfNoCurrent(ctx context.Context, r keyRow, outsideTx bool) error {
	q := s.db.Conn(ctx)
	if outsideTx {
		q = s.db.Conn(context.Background()).WithContext(ctx)
	}
	err := q.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "org_id"}}, TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "retired_at IS NULL"}}},
		DoNothing: true,
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("store certificate key: %w", err)
	}
	return nil
}

// adopt makes r (a key read from a file) the institute's current key, on
// the pool and at once, retiring the current one when it is another.
func (s keyStore) adopt(ctx context.Context, r keyRow) error {
	err := s.db.Conn(context.Background()).WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&keyRow{}).Where("org_id = ? AND retired_at IS NULL AND id <> ?", r.OrgID, r.ID).
			Update("retired_at", r.CreatedAt).Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}},
			DoUpdates: clause.Assignments(map[string]any{"retired_at": nil})}).Create(&r).Error
	})
	if err != nil {
		return fmt.Errorf("adopt certificate key file %s: %w", r.ID, err)
	}
	return nil
}

func (s keyStore) retire(ctx context.Context, orgID uuid.UUID, at time.Time) error {
	err := s.db.Conn(ctx).Model(&keyRow{}).Where("org_id = ? AND retired_at IS NULL", orgID).Update("retired_at", at).Error
	if err != nil {
		return fmt.Errorf("retire certificate key: %w", err)
	}
	return nil
}

func (s keyStore) byID(ctx context.Context, kid string) (keyRow, error) {
	var r keyRow
	err := s.db.Conn(ctx).Where("id = ?", kid).Take(&r).Error
	if err != nil {
		return r, fmt.Errorf("load certificate key %s: %w", kid, err)
	}
	return r, nil
}

func (s keyStore) ofOrg(ctx context.Context, orgID uuid.UUID) ([]keyRow, error) {
	var rows []keyRow
	err := s.db.Conn(ctx).Select("id", "org_id", "public_key", "created_at", "retired_at").
		Where("org_id = ?", orgID).Order("retired_at IS NOT NULL, created_at DESC, retired_at DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list certificate keys: %w", err)
	}
	return rows, nil
}
