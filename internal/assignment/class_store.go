package assignment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"
)

type classSettingsRow struct {
	ClassID       uuid.UUID `gorm:"primaryKey"`
	AssignmentID  uuid.UUID `gorm:"primaryKey"`
	DueAt         *time.Time
	CutoffAt      *time.Time
	LatePolicy    string
	PenaltyPerDay float64
	UpdatedBy     uuid.UUID
	UpdatedAt     time.Time
}

func (classSettingsRow) TableName() string { return "assignment_class_settings" }

func (s store) saveClassSettings(ctx context.Context, cs ClassSettings, by uuid.UUID, at time.Time) error {
	r := classSettingsRow{ClassID: cs.ClassID, AssignmentID: cs.AssignmentID, DueAt: cs.DueAt, CutoffAt: cs.CutoffAt,
		LatePolicy: cs.LatePolicy, PenaltyPerDay: cs.PenaltyPerDay, UpdatedBy: by, UpdatedAt: at}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "class_id"}, {Name: "assignment_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"due_at", "cutoff_at", "late_policy", "penalty_per_day", "updated_by", "updated_at"}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("save class assignment settings: %w", err)
	}
	return nil
}

// classSettings returns a class's settings of an assignment: no dates and
// the flag policy when it has none.
func (s store) classSettings(ctx context.Context, classID, assignmentID uuid.UUID) (ClassSettings, error) {
	var rows []classSettingsRow
	if err := s.db.Conn(ctx).Where("class_id = ? AND assignment_id = ?", classID, assignmentID).Limit(1).Find(&rows).Error; err != nil {
		return ClassSettings{}, fmt.Errorf("read class assignment settings: %w", err)
	}
	cs := ClassSettings{ClassID: classID, AssignmentID: assignmentID, LatePolicy: LateFlag}
	if len(rows) == 1 {
		r := rows[0]
		cs.DueAt, cs.CutoffAt, cs.LatePolicy, cs.PenaltyPerDay = r.DueAt, r.CutoffAt, r.LatePolicy, r.PenaltyPerDay
	}
	return cs, nil
}

func (s store) setExtension(ctx context.Context, classID, assignmentID, userID uuid.UUID, due *time.Time, by uuid.UUID, at time.Time) error {
	conn := s.db.Conn(ctx)
	var err error
	if due == nil {
		err = conn.Exec("DELETE FROM assignment_extensions WHERE class_id = ? AND assignment_id = ? AND user_id = ?", classID, assignmentID, userID).Error
	} else {
		err = conn.Exec(`INSERT INTO assignment_extensions (class_id, assignment_id, user_id, due_at, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (class_id, assignment_id, user_id) DO UPDATE SET due_at = excluded.due_at, granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
			classID, assignmentID, userID, due.UTC(), by, at).Error
	}
	if err != nil {
		return fmt.Errorf("set assignment extension: %w", err)
	}
	return nil
}

// extension returns a learner's extended due date, nil without one.
func (s store) extension(ctx context.Context, classID, assignmentID, userID uuid.UUID) (*time.Time, error) {
	var due []time.Time
	err := s.db.Conn(ctx).Raw("SELECT due_at FROM assignment_extensions WHERE class_id = ? AND assignment_id = ? AND user_id = ?",
		classID, assignmentID, userID).Scan(&due).Error
	if err != nil {
		return nil, fmt.Errorf("read assignment extension: %w", err)
	}
	if len(due) == 0 {
		return nil, nil
	}
	d := due[0].UTC()
	return &d, nil
}

// extensions returns every extended due date of a class's assignment by learner.
func (s store) extensions(ctx context.Context, classID, assignmentID uuid.UUID) (map[uuid.UUID]time.Time, error) {
	var rows []struct {
		UserID uuid.UUID
		DueAt  time.Time
	}
	err := s.db.Conn(ctx).Raw("SELECT user_id, due_at FROM assignment_extensions WHERE class_id = ? AND assignment_id = ?",
		classID, assignmentID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read assignment extensions: %w", err)
	}
	out := make(map[uuid.UUID]time.Time, len(rows))
	for _, r := range rows {
		out[r.UserID] = r.DueAt.UTC()
	}
	return out, nil
}
