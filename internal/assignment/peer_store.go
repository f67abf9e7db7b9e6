package assignment

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

type peerRow struct {
	ID           uuid.UUID `gorm:"primaryKey"`
	ClassID      uuid.UUID
	AssignmentID uuid.UUID
	SubmissionID uuid.UUID
	ReviewerID   uuid.UUID
	DueAt        time.Time
	Levels       []byte `gorm:"type:jsonb"`
	Points       *float64
	Comment      string
	SubmittedAt  *time.Time
}

func (peerRow) TableName() string { return "assignment_peer_reviews" }

func (r peerRow) toTask() (PeerTask, error) {
	t := PeerTask{ID: r.ID, ClassID: r.ClassID, AssignmentID: r.AssignmentID, SubmissionID: r.SubmissionID, ReviewerID: r.ReviewerID,
		DueAt: r.DueAt.UTC(), Points: r.Points, Comment: r.Comment, SubmittedAt: r.SubmittedAt, Levels: map[string]string{}}
	if len(r.Levels) > 0 {
		if err := json.Unmarshal(r.Levels, &t.Levels); err != nil {
			return PeerTask{}, fmt.Errorf("decode peer review levels: %w", err)
		}
	}
	return t, nil
}

func toTasks(rows []peerRow) ([]PeerTask, error) {
	out := make([]PeerTask, len(rows))
	for i, r := range rows {
		t, err := r.toTask()
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// markAllocated records a class's allocation; false when it was made before.
func (s store) markAllocated(ctx context.Context, classID, assignmentID uuid.UUID, at time.Time) (bool, error) {
	res := s.db.Conn(ctx).Exec(`INSERT INTO assignment_peer_allocations (class_id, assignment_id, allocated_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, classID, assignmentID, at)
	if res.Error != nil {
		return false, fmt.Errorf("mark peer allocation: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) createPeerTask(ctx context.Context, t PeerTask) error {
	r := peerRow{ID: t.ID, ClassID: t.ClassID, AssignmentID: t.AssignmentID, SubmissionID: t.SubmissionID, ReviewerID: t.ReviewerID, DueAt: t.DueAt}
	if err := s.db.Conn(ctx).Omit("Levels", "Points", "SubmittedAt").Create(&r).Error; err != nil {
		return fmt.Errorf("create peer review: %w", err)
	}
	return nil
}

func (s store) peerTask(ctx context.Context, id uuid.UUID) (PeerTask, error) {
	var r peerRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrPeerReviewNotFound, "get peer review %s", id); err != nil {
		return PeerTask{}, err
	}
	return r.toTask()
}

func (s store) savePeerReview(ctx context.Context, t PeerTask) error {
	levels, err := json.Marshal(t.Levels)
	if err != nil {
		return err
	}
	err = s.db.Conn(ctx).Model(&peerRow{}).Where("id = ?", t.ID).
		Updates(map[string]any{"levels": levels, "points": t.Points, "comment": t.Comment, "submitted_at": t.SubmittedAt}).Error
	if err != nil {
		return fmt.Errorf("save peer review: %w", err)
	}
	return nil
}

func (s store) reviewerTasks(ctx context.Context, classID, assignmentID, reviewerID uuid.UUID) ([]PeerTask, error) {
	var rows []peerRow
	err := s.db.Conn(ctx).Where("class_id = ? AND assignment_id = ? AND reviewer_id = ?", classID, assignmentID, reviewerID).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list peer reviews: %w", err)
	}
	return toTasks(rows)
}

func (s store) submissionTasks(ctx context.Context, submissionID uuid.UUID) ([]PeerTask, error) {
	var rows []peerRow
	if err := s.db.Conn(ctx).Where("submission_id = ?", submissionID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list peer reviews of submission: %w", err)
	}
	return toTasks(rows)
}

// dueAllocations lists the classes and assignments with peer review whose
// due date has passed and whose reviewers are not allocated yet.
func (s store) dueAllocations(ctx context.Context, now time.Time, limit int) ([]ClassSettings, error) {
	var rows []classSettingsRow
	err := s.db.Conn(ctx).Raw(`SELECT cs.* FROM assignment_class_settings cs JOIN assignments a ON a.item_id = cs.assignment_id
		WHERE a.peer_reviewers > 0 AND cs.due_at <= ?
		  AND NOT EXISTS (SELECT 1 FROM assignment_peer_allocations p WHERE p.class_id = cs.class_id AND p.assignment_id = cs.assignment_id)
		ORDER BY cs.due_at LIMIT ?`, now, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list due peer allocations: %w", err)
	}
	out := make([]ClassSettings, len(rows))
	for i, r := range rows {
		out[i] = ClassSettings{ClassID: r.ClassID, AssignmentID: r.AssignmentID, DueAt: r.DueAt}
	}
	return out, nil
}
