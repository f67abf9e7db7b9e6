package assignment

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

type gradeRow struct {
	SubmissionID    uuid.UUID
	Role            string
	GraderID        uuid.UUID
	Points          float64
	Levels          []byte `gorm:"type:jsonb"`
	Feedback        string
	FeedbackFileIDs database.UUIDArray `gorm:"type:uuid[]"`
	GradedAt        time.Time
}

func (gradeRow) TableName() string { return "assignment_grades" }

func (s store) saveGrade(ctx context.Context, g Grade) error {
	levels, err := json.Marshal(g.Levels)
	if err != nil {
		return err
	}
	files := database.UUIDArray(g.FeedbackFileIDs)
	if files == nil {
		files = database.UUIDArray{}
	}
	err = s.db.Conn(ctx).Exec(`INSERT INTO assignment_grades (submission_id, role, grader_id, points, levels, feedback, feedback_file_ids, graded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (submission_id, role) DO UPDATE SET grader_id = excluded.grader_id, points = excluded.points, levels = excluded.levels,
			feedback = excluded.feedback, feedback_file_ids = excluded.feedback_file_ids, graded_at = excluded.graded_at`,
		g.SubmissionID, g.Role, g.GraderID, g.Points, levels, g.Feedback, files, g.GradedAt).Error
	if err != nil {
		return fmt.Errorf("save grade: %w", err)
	}
	return nil
}

func (s store) grades(ctx context.Context, submissionID uuid.UUID) ([]Grade, error) {
	byID, err := s.gradesOf(ctx, []uuid.UUID{submissionID})
	return byID[submissionID], err
}

// gradesOf lists the grades of several submissions at once, by submission.
func (s store) gradesOf(ctx context.Context, submissionIDs []uuid.UUID) (map[uuid.UUID][]Grade, error) {
	out := map[uuid.UUID][]Grade{}
	if len(submissionIDs) == 0 {
		return out, nil
	}
	var rows []gradeRow
	if err := s.db.Conn(ctx).Where("submission_id IN ?", submissionIDs).Order("graded_at").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list grades: %w", err)
	}
	for _, r := range rows {
		g := Grade{SubmissionID: r.SubmissionID, Role: r.Role, GraderID: r.GraderID, Points: r.Points, Feedback: r.Feedback,
			FeedbackFileIDs: append([]uuid.UUID{}, r.FeedbackFileIDs...), GradedAt: r.GradedAt.UTC()}
		if err := json.Unmarshal(r.Levels, &g.Levels); err != nil {
			return nil, fmt.Errorf("decode grade levels: %w", err)
		}
		out[r.SubmissionID] = append(out[r.SubmissionID], g)
	}
	return out, nil
}

type resultRow struct {
	ClassID      uuid.UUID
	AssignmentID uuid.UUID
	OwnerID      uuid.UUID
	SubmissionID uuid.UUID
	Points       float64
	MaxPoints    float64
	ReleasedAt   time.Time
}

func (resultRow) TableName() string { return "assignment_results" }

func (s store) saveResult(ctx context.Context, r Result) error {
	err := s.db.Conn(ctx).Exec(`INSERT INTO assignment_results (class_id, assignment_id, owner_id, submission_id, points, max_points, released_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (class_id, assignment_id, owner_id) DO UPDATE SET submission_id = excluded.submission_id, points = excluded.points,
			max_points = excluded.max_points, released_at = excluded.released_at`,
		r.ClassID, r.AssignmentID, r.OwnerID, r.SubmissionID, r.Points, r.MaxPoints, r.ReleasedAt).Error
	if err != nil {
		return fmt.Errorf("save result: %w", err)
	}
	return nil
}

// result returns a released result, nil when none.
func (s store) result(ctx context.Context, classID, assignmentID, ownerID uuid.UUID) (*Result, error) {
	var rows []resultRow
	err := s.db.Conn(ctx).Where("class_id = ? AND assignment_id = ? AND owner_id = ?", classID, assignmentID, ownerID).Limit(1).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read result: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	return &Result{ClassID: r.ClassID, AssignmentID: r.AssignmentID, OwnerID: r.OwnerID, SubmissionID: r.SubmissionID,
		Points: r.Points, MaxPoints: r.MaxPoints, ReleasedAt: r.ReleasedAt.UTC()}, nil
}
