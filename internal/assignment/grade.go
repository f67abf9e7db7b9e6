package assignment

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/upload"
)

// Grader roles: moderation has a second grader and an agreed grade.
const (
	RoleFirst  = "first"
	RoleSecond = "second"
	RoleAgreed = "agreed"
)

// Grade is one grader's judgement of a submission version.
type Grade struct {
	SubmissionID    uuid.UUID
	Role            string
	GraderID        uuid.UUID
	Points          float64           // raw, out of the assignment's max points
	Levels          map[string]string // a rubric level id by criterion id
	Feedback        string
	FeedbackFileIDs []uuid.UUID
	GradedAt        time.Time
}

// GradeInput is what a grader sends: Levels for a rubric assignment, Points otherwise.
type GradeInput struct {
	Role            string
	Points          *float64
	Levels          map[string]string
	Feedback        string
	FeedbackFileIDs []uuid.UUID
}

// The errors of grading.
var (
	ErrOwnWork = apperr.New(apperr.KindForbidden, "assignment.own_work",
		"Anda tidak dapat menilai kiriman Anda sendiri atau kelompok Anda.", "You may not grade your own or your group's submission.")
	ErrOwnExtension = apperr.New(apperr.KindForbidden, "assignment.own_extension",
		"Perpanjangan waktu untuk Anda sendiri diberikan oleh staf kelas yang lain.", "Your own extension is granted by another member of the class's staff.")
	ErrSameModerator = apperr.New(apperr.KindConflict, "assignment.same_moderator",
		"Penilai kedua harus orang lain dari penilai pertama.", "The second grader must be someone other than the first.")
	ErrNoFirstGrade = apperr.New(apperr.KindConflict, "assignment.no_first_grade",
		"Kiriman ini belum dinilai penilai pertama.", "The submission has no first grade yet.")
)

// scoreOf checks a grade's input against the assignment and returns its raw
// points: the rubric's levels scaled to the assignment's maximum, or points.
func (s *Service) scoreOf(ctx context.Context, a Assignment, in GradeInput) (float64, error) {
	if a.RubricID == nil {
		if in.Points == nil || len(in.Levels) > 0 {
			return 0, apperr.Invalid("points", "wajib diisi (tugas ini dinilai dengan poin)", "is required (this assignment is graded by points)")
		}
		p := *in.Points
		if !finite(p) || p < 0 || p > a.MaxPoints {
			return 0, apperr.Invalid("points", "harus 0 sampai nilai maksimum tugas", "must be 0 to the assignment's maximum")
		}
		return p, nil
	}
	if in.Points != nil {
		return 0, apperr.Invalid("points", "tugas ini dinilai dengan rubrik; kirim levels", "this assignment is graded by rubric; send levels")
	}
	rb, err := s.store.rubric(ctx, *a.RubricID, false)
	if err != nil {
		return 0, err
	}
	raw, err := rb.Score(in.Levels)
	if err != nil {
		return 0, err
	}
	return round3(raw / rb.MaxPoints() * a.MaxPoints), nil
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// checkFeedbackFiles checks that feedback files are the grader's completed uploads.
func (s *Service) checkFeedbackFiles(ctx context.Context, graderID uuid.UUID, ids []uuid.UUID) error {
	if len(ids) > 10 {
		return apperr.Invalid("feedback_file_ids", "paling banyak 10", "at most 10")
	}
	for i, id := range ids {
		f, err := s.files.File(ctx, id)
		if apperr.KindOf(err) == apperr.KindNotFound || err == nil && (f.OwnerID != graderID || f.Purpose != upload.PurposeAssignmentSubmission) {
			return apperr.Invalid(fmt.Sprintf("feedback_file_ids[%d]", i), "berkas tidak ditemukan", "file not found")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GradeSubmission records a grader's grade of a submission version in a
// role: first, second (another grader than the first) or agreed. The
// class's graders grade, never their own or their group's work. A grade
// that changes a released result releases the change.
func (s *Service) GradeSubmission(ctx context.Context, submissionID uuid.UUID, in GradeInput) (Grade, error) {
	sc, err := s.seeSubmission(ctx, submissionID)
	if err != nil {
		return Grade{}, err
	}
	if sc.own {
		return Grade{}, ErrOwnWork
	}
	if !sc.access.Staff {
		return Grade{}, authz.ErrForbidden
	}
	if in.Role == "" {
		in.Role = RoleFirst
	}
	in.Feedback = strings.TrimSpace(in.Feedback)
	var v apperr.Validation
	v.Check(slices.Contains([]string{RoleFirst, RoleSecond, RoleAgreed}, in.Role), "role", "harus first, second atau agreed", "must be first, second or agreed")
	v.Check(utf8.RuneCountInString(in.Feedback) <= 20000, "feedback", "terlalu panjang", "is too long")
	if err := v.Err(); err != nil {
		return Grade{}, err
	}
	points, err := s.scoreOf(ctx, sc.a, in)
	if err != nil {
		return Grade{}, err
	}
	if err := s.checkFeedbackFiles(ctx, sc.actor.UserID, in.FeedbackFileIDs); err != nil {
		return Grade{}, err
	}
	g := Grade{SubmissionID: submissionID, Role: in.Role, GraderID: sc.actor.UserID, Points: points, Levels: in.Levels,
		Feedback: in.Feedback, FeedbackFileIDs: append([]uuid.UUID{}, in.FeedbackFileIDs...), GradedAt: s.now()}
	if g.Levels == nil {
		g.Levels = map[string]string{}
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.lockOwner(ctx, sc.sub.ClassID, sc.sub.AssignmentID, sc.sub.OwnerID); err != nil {
			return err
		}
		grades, err := s.store.grades(ctx, submissionID)
		if err != nil {
			return err
		}
		if err := checkModeration(grades, g); err != nil {
			return err
		}
		if err := s.store.saveGrade(ctx, g); err != nil {
			return err
		}
		if err := s.recordClass(ctx, sc.access, "assignment.grade", g); err != nil {
			return err
		}
		released, err := s.store.result(ctx, sc.sub.ClassID, sc.sub.AssignmentID, sc.sub.OwnerID)
		if err != nil || released == nil {
			return err
		}
		_, err = s.release(ctx, sc.a, sc.sub.ClassID, sc.sub.OwnerID)
		return err
	})
	return g, err
}

// checkModeration keeps a moderated grade's roles apart: a second grade
// follows a first by someone else.
func checkModeration(existing []Grade, g Grade) error {
	if g.Role != RoleSecond {
		return nil
	}
	for _, e := range existing {
		if e.Role == RoleFirst {
			if e.GraderID == g.GraderID {
				return ErrSameModerator
			}
			return nil
		}
	}
	return ErrNoFirstGrade
}

// effectiveGrade is the grade that counts: the agreed one, else the first
// when no second grader disagrees. ok is false while none counts.
func effectiveGrade(grades []Grade) (Grade, bool) {
	byRole := map[string]Grade{}
	for _, g := range grades {
		byRole[g.Role] = g
	}
	if g, ok := byRole[RoleAgreed]; ok {
		return g, true
	}
	first, hasFirst := byRole[RoleFirst]
	second, hasSecond := byRole[RoleSecond]
	if !hasFirst || hasSecond && second.Points != first.Points {
		return Grade{}, false
	}
	return first, true
}

// Grades lists a submission's grades to the class's graders.
func (s *Service) Grades(ctx context.Context, submissionID uuid.UUID) ([]Grade, error) {
	sc, err := s.seeSubmission(ctx, submissionID)
	if err != nil {
		return nil, err
	}
	if !sc.access.Staff || sc.own {
		return nil, authz.ErrForbidden
	}
	return s.store.grades(ctx, submissionID)
}
