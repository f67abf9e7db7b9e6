package assignment

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
)

type assignmentRow struct {
	ItemID              uuid.UUID `gorm:"primaryKey"`
	VersionID           uuid.UUID
	Instructions        string
	Mode                string
	FileTypes           database.TextArray `gorm:"type:text[]"`
	MaxFileSize         int64
	MaxFiles            int
	AllowText           bool
	AllowLinks          bool
	MaxPoints           float64
	RubricID            *uuid.UUID
	Blind               bool
	PeerReviewers       int
	PeerWeight          float64
	PeerDeadlineSeconds int
	CreatedBy           uuid.UUID
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

func (assignmentRow) TableName() string { return "assignments" }

func (r assignmentRow) toAssignment() Assignment {
	return Assignment{ItemID: r.ItemID, VersionID: r.VersionID, Instructions: r.Instructions, Mode: r.Mode,
		FileTypes: append([]string{}, r.FileTypes...), MaxFileSize: r.MaxFileSize, MaxFiles: r.MaxFiles,
		AllowText: r.AllowText, AllowLinks: r.AllowLinks, MaxPoints: r.MaxPoints, RubricID: r.RubricID, Blind: r.Blind,
		Peer:      PeerReview{Reviewers: r.PeerReviewers, Weight: r.PeerWeight, DeadlineSeconds: r.PeerDeadlineSeconds},
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toAssignmentRow(a Assignment) assignmentRow {
	return assignmentRow{ItemID: a.ItemID, VersionID: a.VersionID, Instructions: a.Instructions, Mode: a.Mode,
		FileTypes: database.TextArray(a.FileTypes), MaxFileSize: a.MaxFileSize, MaxFiles: a.MaxFiles, AllowText: a.AllowText,
		AllowLinks: a.AllowLinks, MaxPoints: a.MaxPoints, RubricID: a.RubricID, Blind: a.Blind, PeerReviewers: a.Peer.Reviewers,
		PeerWeight: a.Peer.Weight, PeerDeadlineSeconds: a.Peer.DeadlineSeconds, CreatedBy: a.CreatedBy,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func (s store) assignment(ctx context.Context, itemID uuid.UUID) (Assignment, error) {
	var r assignmentRow
	if err := database.Take(s.db.Conn(ctx).Where("item_id = ?", itemID), &r, ErrAssignmentNotFound, "get assignment %s", itemID); err != nil {
		return Assignment{}, err
	}
	return r.toAssignment(), nil
}

func (s store) lockAssignment(ctx context.Context, itemID uuid.UUID) (Assignment, error) {
	var r assignmentRow
	q := s.db.Conn(ctx).Where("item_id = ?", itemID).Clauses(clause.Locking{Strength: "UPDATE"})
	if err := database.Take(q, &r, ErrAssignmentNotFound, "lock assignment %s", itemID); err != nil {
		return Assignment{}, err
	}
	return r.toAssignment(), nil
}

func (s store) saveAssignment(ctx context.Context, a Assignment, exists bool) error {
	r := toAssignmentRow(a)
	var err error
	if exists {
		err = s.db.Conn(ctx).Model(&assignmentRow{}).Where("item_id = ?", a.ItemID).Select("*").
			Omit("ItemID", "CreatedBy", "CreatedAt").Updates(&r).Error
	} else {
		err = s.db.Conn(ctx).Create(&r).Error
	}
	if err != nil {
		return fmt.Errorf("save assignment: %w", err)
	}
	return nil
}

func (s store) copyAssignments(ctx context.Context, versionID uuid.UUID, newIDs map[uuid.UUID]uuid.UUID, at time.Time) error {
	if len(newIDs) == 0 {
		return nil
	}
	olds, news := make(database.TextArray, 0, len(newIDs)), make(database.TextArray, 0, len(newIDs))
	for o, n := range newIDs {
		olds, news = append(olds, o.String()), append(news, n.String())
	}
	err := s.db.Conn(ctx).Exec(`INSERT INTO assignments (item_id, version_id, instructions, mode, file_types, max_file_size,
			max_files, allow_text, allow_links, max_points, rubric_id, blind, peer_reviewers, peer_weight, peer_deadline_seconds,
			created_by, created_at, updated_at)
		SELECT m.new_id, ?, a.instructions, a.mode, a.file_types, a.max_file_size, a.max_files, a.allow_text, a.allow_links,
			a.max_points, a.rubric_id, a.blind, a.peer_reviewers, a.peer_weight, a.peer_deadline_seconds, a.created_by, ?, ?
		FROM assignments a JOIN unnest(?::uuid[], ?::uuid[]) AS m(old_id, new_id) ON a.item_id = m.old_id`,
		versionID, at, at, olds, news).Error
	if err != nil {
		return fmt.Errorf("copy assignments: %w", err)
	}
	return nil
}

type rubricRow struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	OrgID     uuid.UUID
	Name      string
	Criteria  []byte `gorm:"type:jsonb"`
	Revision  int
	CreatedBy uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (rubricRow) TableName() string { return "rubrics" }

func (r rubricRow) toRubric() (Rubric, error) {
	out := Rubric{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Revision: r.Revision, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal(r.Criteria, &out.Criteria); err != nil {
		return Rubric{}, fmt.Errorf("decode rubric criteria: %w", err)
	}
	return out, nil
}

func (s store) rubric(ctx context.Context, id uuid.UUID, forUpdate bool) (Rubric, error) {
	var r rubricRow
	q := s.db.Conn(ctx).Where("id = ?", id)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrRubricNotFound, "get rubric %s", id); err != nil {
		return Rubric{}, err
	}
	return r.toRubric()
}

func (s store) saveRubric(ctx context.Context, rb Rubric, exists bool) error {
	criteria, err := json.Marshal(rb.Criteria)
	if err != nil {
		return err
	}
	r := rubricRow{ID: rb.ID, OrgID: rb.OrgID, Name: rb.Name, Criteria: criteria, Revision: rb.Revision,
		CreatedBy: rb.CreatedBy, CreatedAt: rb.CreatedAt, UpdatedAt: rb.UpdatedAt}
	if exists {
		err = s.db.Conn(ctx).Model(&rubricRow{}).Where("id = ?", rb.ID).Select("name", "criteria", "revision", "updated_at").Updates(&r).Error
	} else {
		err = s.db.Conn(ctx).Create(&r).Error
	}
	if err != nil {
		return fmt.Errorf("save rubric: %w", err)
	}
	return nil
}

// rubrics lists the rubrics of the organisations with the given ids, by name.
func (s store) rubrics(ctx context.Context, orgIDs []uuid.UUID, all bool) ([]Rubric, error) {
	var rows []rubricRow
	q := s.db.Conn(ctx).Order("name, id").Limit(500)
	if !all {
		q = q.Where("org_id = ANY(?)", database.UUIDArray(orgIDs))
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list rubrics: %w", err)
	}
	out := make([]Rubric, 0, len(rows))
	for _, r := range rows {
		rb, err := r.toRubric()
		if err != nil {
			return nil, err
		}
		out = append(out, rb)
	}
	return out, nil
}

// rubricSharedBeyond reports whether an assignment other than itemID is
// graded by the rubric.
func (s store) rubricSharedBeyond(ctx context.Context, rubricID, itemID uuid.UUID) (bool, error) {
	var n int64
	if err := s.db.Conn(ctx).Table("assignments").Where("rubric_id = ? AND item_id <> ?", rubricID, itemID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("count assignments of rubric %s: %w", rubricID, err)
	}
	return n > 0, nil
}
