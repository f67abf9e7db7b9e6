package course

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

func (s store) createVersion(ctx context.Context, v Version) error {
	r := toVersionRow(v)
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create course version: %w", translate(err))
	}
	return s.addEditor(ctx, v.ID, v.CreatedBy)
}

// addEditor records that a user wrote part of a version.
func (s store) addEditor(ctx context.Context, versionID, userID uuid.UUID) error {
	err := s.db.Conn(ctx).Exec(`INSERT INTO course_version_editors (version_id, user_id) VALUES (?, ?)
		ON CONFLICT DO NOTHING`, versionID, userID).Error
	if err != nil {
		return fmt.Errorf("record version editor: %w", err)
	}
	return nil
}

// wrote reports whether a user created or changed a version.
func (s store) wrote(ctx context.Context, versionID, userID uuid.UUID) (bool, error) {
	var found bool
	err := s.db.Conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM course_version_editors WHERE version_id = ? AND user_id = ?)`,
		versionID, userID).Scan(&found).Error
	if err != nil {
		return false, fmt.Errorf("read version editors: %w", err)
	}
	return found, nil
}

func (s store) version(ctx context.Context, id uuid.UUID, forUpdate bool) (Version, error) {
	var r versionRow
	q := s.db.Conn(ctx).Where("id = ?", id)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrVersionNotFound, "get course version %s", id); err != nil {
		return Version{}, err
	}
	return r.toVersion(), nil
}

// versions lists a course's versions, newest first.
// versions pages through a course's versions, newest first (version ids are
// UUIDv7, so their order is the order of their numbers); publishedOnly keeps
// the versions that were ever published.
func (s store) versions(ctx context.Context, courseID uuid.UUID, publishedOnly bool, req page.Request) ([]Version, error) {
	q := s.db.Conn(ctx).Where("course_id = ?", courseID)
	if publishedOnly {
		q = q.Where("status IN ?", []VersionStatus{StatusPublished, StatusArchived})
	}
	q, err := database.Keyset(q, "", database.KeyNone, "id", page.Request{Limit: req.Limit, Cursor: req.Cursor, Sort: "-id"})
	if err != nil {
		return nil, err
	}
	var rows []versionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list course versions: %w", err)
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = r.toVersion()
	}
	return out, nil
}

// currentVersions returns the published and open versions of courses.
func (s store) currentVersions(ctx context.Context, courseIDs []uuid.UUID) ([]Version, error) {
	if len(courseIDs) == 0 {
		return nil, nil
	}
	var rows []versionRow
	err := s.db.Conn(ctx).Where(`course_id IN ? AND (status IN ('draft', 'in_review', 'changes_requested')
		OR id IN (SELECT current_published_version_id FROM courses WHERE id IN ?))`, courseIDs, courseIDs).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("get current versions: %w", err)
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = r.toVersion()
	}
	return out, nil
}

func (s store) nextVersionNumber(ctx context.Context, courseID uuid.UUID) (int, error) {
	var n int
	if err := s.db.Conn(ctx).Raw("SELECT coalesce(max(number), 0) + 1 FROM course_versions WHERE course_id = ?", courseID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("next version number: %w", err)
	}
	return n, nil
}

// updateVersion changes a version's columns and moves its lock version on.
func (s store) updateVersion(ctx context.Context, id uuid.UUID, fields map[string]any) error {
	fields["updated_at"] = time.Now().UTC()
	fields["lock_version"] = gorm.Expr("lock_version + 1")
	if err := s.db.Conn(ctx).Model(&versionRow{}).Where("id = ?", id).Updates(fields).Error; err != nil {
		return fmt.Errorf("update course version: %w", translate(err))
	}
	return nil
}

// archivePublished marks a course's published version superseded.
func (s store) archivePublished(ctx context.Context, courseID uuid.UUID) error {
	err := s.db.Conn(ctx).Model(&versionRow{}).Where("course_id = ? AND status = ?", courseID, StatusPublished).
		Updates(map[string]any{"status": StatusArchived, "updated_at": time.Now().UTC(), "lock_version": gorm.Expr("lock_version + 1")}).Error
	if err != nil {
		return fmt.Errorf("archive published version: %w", err)
	}
	return nil
}
