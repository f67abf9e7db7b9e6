package delivery

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
)

func (s store) pathEnrolment(ctx context.Context, pathID, userID uuid.UUID, lock bool) (pathEnrolmentRow, error) {
	var r pathEnrolmentRow
	q := s.db.Conn(ctx).Where("path_id = ? AND user_id = ?", pathID, userID)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrPathNotFound, "get path enrolment"); err != nil {
		return pathEnrolmentRow{}, err
	}
	return r, nil
}

// createPathEnrolment records a path enrolment; it reports false when the
// learner is already on the path.
func (s store) createPathEnrolment(ctx context.Context, r pathEnrolmentRow) (bool, error) {
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil {
		return false, fmt.Errorf("create path enrolment: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) updatePathEnrolment(ctx context.Context, r pathEnrolmentRow) error {
	err := s.db.Conn(ctx).Model(&pathEnrolmentRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"status": r.Status, "current_position": r.CurrentPosition, "updated_at": r.UpdatedAt, "completed_at": r.CompletedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update path enrolment: %w", err)
	}
	return nil
}

func (s store) pathSteps(ctx context.Context, pathEnrolmentID uuid.UUID) (map[uuid.UUID]pathStepRow, error) {
	var rows []pathStepRow
	if err := s.db.Conn(ctx).Where("path_enrolment_id = ?", pathEnrolmentID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list path steps: %w", err)
	}
	out := make(map[uuid.UUID]pathStepRow, len(rows))
	for _, r := range rows {
		out[r.CourseID] = r
	}
	return out, nil
}

func (s store) saveStep(ctx context.Context, r pathStepRow) error {
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "path_enrolment_id"}, {Name: "course_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"position", "status", "enrolment_id", "completed_at"}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("save path step: %w", err)
	}
	return nil
}

// linkPathSteps marks the learners' open path steps of a course as
// enrolled in their new enrolments, in one statement.
func (s store) linkPathSteps(ctx context.Context, courseID uuid.UUID, es []Enrolment) error {
	if len(es) == 0 {
		return nil
	}
	users, enrolments := make(database.UUIDArray, len(es)), make(database.UUIDArray, len(es))
	for i, e := range es {
		users[i], enrolments[i] = e.UserID, e.ID
	}
	err := s.db.Conn(ctx).Exec(`UPDATE path_enrolment_steps st SET status = 'enrolled', enrolment_id = n.enrolment_id
		FROM path_enrolments pe, unnest(?::uuid[], ?::uuid[]) AS n(user_id, enrolment_id)
		WHERE st.path_enrolment_id = pe.id AND pe.user_id = n.user_id AND pe.status = 'active'
		  AND st.course_id = ? AND st.status = 'unlocked'`, users, enrolments, courseID).Error
	if err != nil {
		return fmt.Errorf("link path steps: %w", err)
	}
	return nil
}

// unlinkPathSteps reopens the path steps an enrolment that ended without
// completing was serving.
func (s store) unlinkPathSteps(ctx context.Context, enrolmentID uuid.UUID) error {
	err := s.db.Conn(ctx).Exec(`UPDATE path_enrolment_steps SET status = 'unlocked', enrolment_id = NULL
		WHERE enrolment_id = ? AND status = 'enrolled'`, enrolmentID).Error
	if err != nil {
		return fmt.Errorf("unlink path steps: %w", err)
	}
	return nil
}

// openPathsWithCourse returns the learner's active path enrolments that
// have a step of the course not completed yet, locked for update.
func (s store) openPathsWithCourse(ctx context.Context, userID, courseID uuid.UUID) ([]pathEnrolmentRow, error) {
	var rows []pathEnrolmentRow
	err := s.db.Conn(ctx).Raw(`SELECT pe.* FROM path_enrolments pe
		WHERE pe.user_id = ? AND pe.status = 'active' AND EXISTS (SELECT 1 FROM path_enrolment_steps st
		  WHERE st.path_enrolment_id = pe.id AND st.course_id = ? AND st.status <> 'completed')
		ORDER BY pe.id FOR UPDATE`, userID, courseID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find paths of course: %w", err)
	}
	return rows, nil
}
