package assignment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

type submissionRow struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	AssignmentID   uuid.UUID
	ClassID        uuid.UUID
	OwnerID        uuid.UUID
	GroupID        *uuid.UUID
	SubmittedBy    uuid.UUID
	Number         int
	Text           string
	Links          database.TextArray `gorm:"type:text[]"`
	SubmittedAt    time.Time
	DaysLate       int
	PenaltyPercent float64
	IdempotencyKey *string
}

func (submissionRow) TableName() string { return "assignment_submissions" }

type submissionFileRow struct {
	SubmissionID uuid.UUID
	Position     int
	FileID       uuid.UUID
	Filename     string
	ContentType  string
	Size         int64
	SHA256       string `gorm:"column:sha256"`
}

func (submissionFileRow) TableName() string { return "assignment_submission_files" }

func (r submissionRow) toSubmission() Submission {
	sub := Submission{ID: r.ID, AssignmentID: r.AssignmentID, ClassID: r.ClassID, OwnerID: r.OwnerID, GroupID: r.GroupID,
		SubmittedBy: r.SubmittedBy, Number: r.Number, Text: r.Text, Links: append([]string{}, r.Links...),
		SubmittedAt: r.SubmittedAt.UTC(), DaysLate: r.DaysLate, PenaltyPercent: r.PenaltyPercent, Files: []SubmittedFile{}}
	if r.IdempotencyKey != nil {
		sub.IdempotencyKey = *r.IdempotencyKey
	}
	return sub
}

// lockOwner serializes the submits of one learner or group to an
// assignment of a class, so that versions are numbered one after another.
func (s store) lockOwner(ctx context.Context, classID, assignmentID, ownerID uuid.UUID) error {
	key := classID.String() + "/" + assignmentID.String() + "/" + ownerID.String()
	if err := s.db.Conn(ctx).Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key).Error; err != nil {
		return fmt.Errorf("lock submitter: %w", err)
	}
	return nil
}

func (s store) nextNumber(ctx context.Context, classID, assignmentID, ownerID uuid.UUID) (int, error) {
	var n int
	err := s.db.Conn(ctx).Raw(`SELECT COALESCE(MAX(number), 0) + 1 FROM assignment_submissions
		WHERE class_id = ? AND assignment_id = ? AND owner_id = ?`, classID, assignmentID, ownerID).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("number submission: %w", err)
	}
	return n, nil
}

func (s store) createSubmission(ctx context.Context, sub Submission) error {
	r := submissionRow{ID: sub.ID, AssignmentID: sub.AssignmentID, ClassID: sub.ClassID, OwnerID: sub.OwnerID, GroupID: sub.GroupID,
		SubmittedBy: sub.SubmittedBy, Number: sub.Number, Text: sub.Text, Links: database.TextArray(sub.Links),
		SubmittedAt: sub.SubmittedAt, DaysLate: sub.DaysLate, PenaltyPercent: sub.PenaltyPercent}
	if r.Links == nil {
		r.Links = database.TextArray{}
	}
	if sub.IdempotencyKey != "" {
		r.IdempotencyKey = &sub.IdempotencyKey
	}
	conn := s.db.Conn(ctx)
	if err := conn.Create(&r).Error; err != nil {
		return fmt.Errorf("create submission: %w", err)
	}
	for i, f := range sub.Files {
		if err := conn.Create(&submissionFileRow{SubmissionID: sub.ID, Position: i + 1, FileID: f.FileID, Filename: f.Filename,
			ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256}).Error; err != nil {
			return fmt.Errorf("create submission file: %w", err)
		}
	}
	return nil
}

func (s store) submissionByKey(ctx context.Context, classID, assignmentID, ownerID uuid.UUID, key string) (Submission, bool, error) {
	var rows []submissionRow
	err := s.db.Conn(ctx).Where("class_id = ? AND assignment_id = ? AND owner_id = ? AND idempotency_key = ?",
		classID, assignmentID, ownerID, key).Limit(1).Find(&rows).Error
	if err != nil {
		return Submission{}, false, fmt.Errorf("find submission by key: %w", err)
	}
	if len(rows) == 0 {
		return Submission{}, false, nil
	}
	subs, err := s.withFiles(ctx, rows)
	return subs[0], true, err
}

func (s store) submission(ctx context.Context, id uuid.UUID) (Submission, error) {
	var r submissionRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrSubmissionNotFound, "get submission %s", id); err != nil {
		return Submission{}, err
	}
	subs, err := s.withFiles(ctx, []submissionRow{r})
	if err != nil {
		return Submission{}, err
	}
	return subs[0], nil
}

// latestSubmissions returns the latest version of every learner or group.
func (s store) latestSubmissions(ctx context.Context, classID, assignmentID uuid.UUID) ([]Submission, error) {
	var rows []submissionRow
	err := s.db.Conn(ctx).Raw(`SELECT DISTINCT ON (owner_id) * FROM assignment_submissions
		WHERE class_id = ? AND assignment_id = ? ORDER BY owner_id, number DESC LIMIT 5000`, classID, assignmentID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list latest submissions: %w", err)
	}
	return s.withFiles(ctx, rows)
}

// ownerSubmissions returns every version of a learner's or group's work, newest first.
func (s store) ownerSubmissions(ctx context.Context, classID, assignmentID, ownerID uuid.UUID) ([]Submission, error) {
	var rows []submissionRow
	err := s.db.Conn(ctx).Where("class_id = ? AND assignment_id = ? AND owner_id = ?", classID, assignmentID, ownerID).
		Order("number DESC").Limit(500).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	return s.withFiles(ctx, rows)
}

func (s store) withFiles(ctx context.Context, rows []submissionRow) ([]Submission, error) {
	ids := make(database.UUIDArray, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var files []submissionFileRow
	if err := s.db.Conn(ctx).Where("submission_id = ANY(?::uuid[])", ids).Order("submission_id, position").Find(&files).Error; err != nil {
		return nil, fmt.Errorf("list submission files: %w", err)
	}
	byID := map[uuid.UUID][]SubmittedFile{}
	for _, f := range files {
		byID[f.SubmissionID] = append(byID[f.SubmissionID], SubmittedFile{FileID: f.FileID, Filename: f.Filename,
			ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256})
	}
	out := make([]Submission, len(rows))
	for i, r := range rows {
		out[i] = r.toSubmission()
		if fs := byID[r.ID]; fs != nil {
			out[i].Files = fs
		}
	}
	return out, nil
}

// latestOfAssignment returns the latest version of every learner or group
// of an assignment, in every class.
func (s store) latestOfAssignment(ctx context.Context, assignmentID uuid.UUID) ([]Submission, error) {
	var rows []submissionRow
	err := s.db.Conn(ctx).Raw(`SELECT DISTINCT ON (class_id, owner_id) * FROM assignment_submissions
		WHERE assignment_id = ? ORDER BY class_id, owner_id, number DESC LIMIT 20000`, assignmentID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list latest submissions of assignment: %w", err)
	}
	return s.withFiles(ctx, rows)
}

func (s store) saveFlag(ctx context.Context, f Flag, at time.Time) error {
	err := s.db.Conn(ctx).Exec(`INSERT INTO assignment_similarity_flags (submission_id, other_submission_id, kind, score, found_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, f.SubmissionID, f.OtherSubmissionID, f.Kind, f.Score, at).Error
	if err != nil {
		return fmt.Errorf("save similarity flag: %w", err)
	}
	return nil
}

// flags returns the flags touching the given submissions, either way round:
// a copy flags the earlier work as well as the later.
func (s store) flags(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]Flag, error) {
	var rows []struct {
		SubmissionID, OtherSubmissionID uuid.UUID
		Kind                            string
		Score                           float64
	}
	err := s.db.Conn(ctx).Raw(`SELECT submission_id, other_submission_id, kind, score FROM assignment_similarity_flags
		WHERE submission_id = ANY(?::uuid[]) OR other_submission_id = ANY(?::uuid[]) ORDER BY found_at`,
		database.UUIDArray(ids), database.UUIDArray(ids)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list similarity flags: %w", err)
	}
	want := map[uuid.UUID]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := map[uuid.UUID][]Flag{}
	seen := map[Flag]bool{}
	add := func(f Flag) {
		if want[f.SubmissionID] && !seen[f] { // both checks of a pair may have flagged it
			seen[f] = true
			out[f.SubmissionID] = append(out[f.SubmissionID], f)
		}
	}
	for _, r := range rows {
		add(Flag{SubmissionID: r.SubmissionID, OtherSubmissionID: r.OtherSubmissionID, Kind: r.Kind, Score: r.Score})
		add(Flag{SubmissionID: r.OtherSubmissionID, OtherSubmissionID: r.SubmissionID, Kind: r.Kind, Score: r.Score})
	}
	return out, nil
}
