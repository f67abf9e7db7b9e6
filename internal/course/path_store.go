package course

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

func (s store) createPath(ctx context.Context, r pathRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create learning path: %w", translate(err))
	}
	return nil
}

func (s store) path(ctx context.Context, id uuid.UUID, forUpdate bool) (pathRow, error) {
	var r pathRow
	q := s.db.Conn(ctx).Where("id = ?", id)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrPathNotFound, "get learning path"); err != nil {
		return pathRow{}, err
	}
	return r, nil
}

func (s store) updatePath(ctx context.Context, id uuid.UUID, fields map[string]any) error {
	return s.update(ctx, &pathRow{}, id, fields)
}

func (s store) pathShares(ctx context.Context, pathIDs ...uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	return s.sharesIn(ctx, "learning_path_shares", "path_id", pathIDs)
}

func (s store) setPathShares(ctx context.Context, pathID uuid.UUID, orgIDs []uuid.UUID) error {
	return s.setSharesIn(ctx, "learning_path_shares", "path_id", pathID, orgIDs)
}

func (s store) setPathSteps(ctx context.Context, pathID uuid.UUID, steps []StepInput) error {
	tx := s.db.Conn(ctx)
	if err := tx.Where("path_id = ?", pathID).Delete(&pathCourseRow{}).Error; err != nil {
		return fmt.Errorf("clear path steps: %w", err)
	}
	rows := make([]pathCourseRow, len(steps))
	for i, st := range steps {
		rows[i] = pathCourseRow{PathID: pathID, CourseID: st.CourseID, Position: i + 1, PrerequisiteCourseIDs: nonNil(st.PrerequisiteCourseIDs)}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Omit("PublishedVersionID").Create(&rows).Error; err != nil {
		return fmt.Errorf("write path steps: %w", err)
	}
	return nil
}

func (s store) pathSteps(ctx context.Context, pathIDs ...uuid.UUID) (map[uuid.UUID][]PathStep, error) {
	out := map[uuid.UUID][]PathStep{}
	if len(pathIDs) == 0 {
		return out, nil
	}
	var rows []pathCourseRow
	err := s.db.Conn(ctx).Table("learning_path_courses AS p").
		Select("p.*, CASE WHEN c.archived_at IS NULL THEN c.current_published_version_id END AS published_version_id").
		Joins("JOIN courses c ON c.id = p.course_id").
		Where("p.path_id IN ?", pathIDs).Order("p.path_id, p.position").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list path steps: %w", err)
	}
	for _, r := range rows {
		out[r.PathID] = append(out[r.PathID], PathStep{CourseID: r.CourseID, Position: r.Position,
			PrerequisiteCourseIDs: nonNil([]uuid.UUID(r.PrerequisiteCourseIDs)), PublishedVersionID: r.PublishedVersionID})
	}
	return out, nil
}

// listPaths lists the active learning paths visible to a caller (see
// visibleTo) or managed by them, by title then id.
func (s store) listPaths(ctx context.Context, all bool, ancestors, staffOrgs []uuid.UUID, orgID uuid.UUID, query string, req page.Request) ([]pathRow, error) {
	q := s.db.Conn(ctx).Table("learning_paths AS c").Select("c.*, lower(c.title) AS sort_key").Where("c.archived_at IS NULL")
	if !all {
		anc := database.UUIDArray(ancestors)
		q = q.Where(`(c.sharing = 'national' OR c.org_id = ANY(?::uuid[]) OR c.org_id = ANY(?::uuid[])
			OR (c.sharing = 'listed' AND EXISTS (SELECT 1 FROM learning_path_shares sh WHERE sh.path_id = c.id AND sh.org_id = ANY(?::uuid[]))))`,
			anc, database.UUIDArray(staffOrgs), anc)
	}
	if orgID != uuid.Nil {
		q = q.Where("c.org_id = ?", orgID)
	}
	if query = strings.TrimSpace(query); query != "" {
		q = q.Where("c.title ILIKE ? OR c.code ILIKE ?", "%"+database.EscapeLike(query)+"%", database.EscapeLike(query)+"%")
	}
	q, err := database.Keyset(q, "lower(c.title)", database.KeyText, "c.id", req)
	if err != nil {
		return nil, err
	}
	var rows []pathRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list learning paths: %w", err)
	}
	return rows, nil
}
