package assignment

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/upload"
)

// SubmittedFile is a file of a submission, copied from its upload so that
// the version never changes.
type SubmittedFile struct {
	FileID      uuid.UUID
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
}

// Submission is one version of a learner's (or a group's) work, immutable.
type Submission struct {
	ID             uuid.UUID
	AssignmentID   uuid.UUID
	ClassID        uuid.UUID
	OwnerID        uuid.UUID  // the learner, or the group of a group assignment
	GroupID        *uuid.UUID // the group of a group assignment
	SubmittedBy    uuid.UUID
	Number         int // 1 for the first version
	Text           string
	Links          []string
	Files          []SubmittedFile
	SubmittedAt    time.Time // the server's clock
	DaysLate       int
	PenaltyPercent float64
	IdempotencyKey string
}

// SubmitInput is what a learner hands in.
type SubmitInput struct {
	FileIDs []uuid.UUID
	Text    string
	Links   []string
	// IdempotencyKey, when set, makes a repeated submit return the version
	// the first one made instead of a new one.
	IdempotencyKey string
}

// The errors of a submit's files.
var (
	ErrFileTooLarge = apperr.New(apperr.KindTooLarge, "assignment.file_too_large",
		"Berkas melebihi ukuran yang diizinkan tugas ini.", "A file is larger than this assignment allows.")
	ErrFileType = apperr.New(apperr.KindUnsupported, "assignment.file_type",
		"Jenis berkas tidak diterima tugas ini.", "This assignment does not accept a file of this type.")
)

// checkAnswer checks what a submit hands in against the assignment and
// returns its files: each a completed assignment upload of the caller, of an
// allowed type (as sniffed) and size.
func (s *Service) checkAnswer(ctx context.Context, a Assignment, userID uuid.UUID, in *SubmitInput) ([]SubmittedFile, error) {
	in.Text = strings.TrimSpace(in.Text)
	var v apperr.Validation
	v.Check(in.Text == "" || a.AllowText, "text", "tugas ini tidak menerima teks", "this assignment takes no text")
	v.Check(utf8.RuneCountInString(in.Text) <= 100000, "text", "terlalu panjang", "is too long")
	v.Check(len(in.Links) == 0 || a.AllowLinks, "links", "tugas ini tidak menerima tautan", "this assignment takes no links")
	v.Check(len(in.Links) <= 20, "links", "paling banyak 20", "at most 20")
	for i, l := range in.Links {
		u, err := url.Parse(l)
		v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(l) <= 2000,
			fmt.Sprintf("links[%d]", i), "harus URL http atau https", "must be an http or https URL")
	}
	v.Check(len(in.FileIDs) <= a.MaxFiles, "file_ids", fmt.Sprintf("paling banyak %d berkas", a.MaxFiles), fmt.Sprintf("at most %d files", a.MaxFiles))
	v.Check(len(in.FileIDs)+len(in.Links) > 0 || in.Text != "", "file_ids", "kiriman kosong", "the submission is empty")
	v.Check(len(in.IdempotencyKey) <= 200, "Idempotency-Key", "terlalu panjang", "is too long")
	if err := v.Err(); err != nil {
		return nil, err
	}
	files := make([]SubmittedFile, 0, len(in.FileIDs))
	for i, id := range in.FileIDs {
		field := fmt.Sprintf("file_ids[%d]", i)
		f, err := s.files.File(ctx, id)
		if apperr.KindOf(err) == apperr.KindNotFound || err == nil && (f.OwnerID != userID || f.Purpose != upload.PurposeAssignmentSubmission) {
			return nil, apperr.Invalid(field, "berkas tidak ditemukan", "file not found")
		}
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(files, func(sf SubmittedFile) bool { return sf.FileID == id }) {
			return nil, apperr.Invalid(field, "berkas disebut dua kali", "the file is named twice")
		}
		if !slices.Contains(a.FileTypes, f.ContentType) {
			return nil, ErrFileType.WithExtension("field", field)
		}
		if f.Size > a.MaxFileSize {
			return nil, ErrFileTooLarge.WithExtension("field", field)
		}
		files = append(files, SubmittedFile{FileID: f.ID, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256})
	}
	return files, nil
}

// Submit hands in a new version of the caller's work (their group's, for a
// group assignment) at the server's time, late as the class's settings say,
// refused after the cut-off or late when the policy refuses. It returns the
// version and whether it is new: a repeated submit with the same key
// returns the version the first made.
func (s *Service) Submit(ctx context.Context, classID, itemID uuid.UUID, in SubmitInput) (Submission, bool, error) {
	sc, err := s.classAssignment(ctx, classID, itemID)
	if err != nil {
		return Submission{}, false, err
	}
	if err := authz.Decide(true, sc.access.Learner, ErrAssignmentNotFound); err != nil {
		return Submission{}, false, err
	}
	userID := sc.actor.UserID
	sub := Submission{ID: newID(), AssignmentID: itemID, ClassID: classID, OwnerID: userID, SubmittedBy: userID,
		Text: in.Text, Links: in.Links, IdempotencyKey: in.IdempotencyKey}
	if sc.a.Mode == ModeGroup {
		g, err := s.groupOf(ctx, classID, userID)
		if err != nil {
			return Submission{}, false, err
		}
		if g == nil {
			return Submission{}, false, ErrNoGroup
		}
		sub.OwnerID, sub.GroupID = g.ID, &g.ID
	}
	if sub.Files, err = s.checkAnswer(ctx, sc.a, userID, &in); err != nil {
		return Submission{}, false, err
	}
	sub.Text, sub.Links = in.Text, append([]string{}, in.Links...)
	created := false
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.lockOwner(ctx, classID, itemID, sub.OwnerID); err != nil {
			return err
		}
		if in.IdempotencyKey != "" {
			prior, found, err := s.store.submissionByKey(ctx, classID, itemID, sub.OwnerID, in.IdempotencyKey)
			if err != nil || found {
				sub = prior
				return err
			}
		}
		cs, err := s.store.classSettings(ctx, classID, itemID)
		if err != nil {
			return err
		}
		ext, err := s.store.extension(ctx, classID, itemID, userID)
		if err != nil {
			return err
		}
		sub.SubmittedAt = s.now()
		late, err := cs.Judge(sub.SubmittedAt, ext)
		if err != nil {
			return err
		}
		sub.DaysLate, sub.PenaltyPercent = late.DaysLate, late.PenaltyPercent
		if sub.Number, err = s.store.nextNumber(ctx, classID, itemID, sub.OwnerID); err != nil {
			return err
		}
		if err := s.store.createSubmission(ctx, sub); err != nil {
			return err
		}
		created = true
		return s.afterSubmit(ctx, sub)
	})
	return sub, created, err
}

// subScope is a submission as the caller meets it.
type subScope struct {
	actor  *authz.Actor
	access ClassAccess
	sub    Submission
	a      Assignment
	// own: the caller's work, or their group's.
	own bool
}

// seeSubmission loads a submission the caller may read: its learner, a
// member of its group, or a grader of its class. Anyone else is told it
// does not exist.
func (s *Service) seeSubmission(ctx context.Context, id uuid.UUID) (subScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return subScope{}, err
	}
	sub, err := s.store.submission(ctx, id)
	if err != nil {
		return subScope{}, err
	}
	ca, err := s.classes.ClassAccess(ctx, sub.ClassID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return subScope{}, ErrSubmissionNotFound
	}
	if err != nil {
		return subScope{}, err
	}
	own, err := s.owns(ctx, actor, sub)
	if err != nil {
		return subScope{}, err
	}
	if !own && !ca.Staff {
		return subScope{}, ErrSubmissionNotFound
	}
	a, err := s.store.assignment(ctx, sub.AssignmentID)
	if err != nil {
		return subScope{}, err
	}
	return subScope{actor: actor, access: ca, sub: sub, a: a, own: own}, nil
}

// owns reports whether a submission is the caller's work: they handed it in,
// or it belongs to a group they are in. A narrowed token without the
// self-service permission owns nothing.
func (s *Service) owns(ctx context.Context, actor *authz.Actor, sub Submission) (bool, error) {
	if !actor.MaySelf(authz.SelfLearn) {
		return false, nil
	}
	if sub.GroupID == nil {
		return sub.OwnerID == actor.UserID, nil
	}
	if sub.SubmittedBy == actor.UserID {
		return true, nil
	}
	g, err := s.groupOf(ctx, sub.ClassID, actor.UserID)
	return err == nil && g != nil && g.ID == *sub.GroupID, err
}

// SubmissionView is a submission as its reader sees it: with download URLs,
// and without names for a grader of a blind assignment.
type SubmissionView struct {
	Submission Submission
	Anonymous  bool
	Downloads  map[uuid.UUID]string // presigned URL by file id
	Flags      []Flag               // likenesses to others' work, for graders
}

// GetSubmission returns a submission with short-lived download URLs to its
// learner, their group and the class's graders.
func (s *Service) GetSubmission(ctx context.Context, id uuid.UUID) (SubmissionView, error) {
	sc, err := s.seeSubmission(ctx, id)
	if err != nil {
		return SubmissionView{}, err
	}
	view := SubmissionView{Submission: sc.sub, Anonymous: sc.a.Blind && !sc.own, Downloads: map[uuid.UUID]string{}}
	if sc.access.Staff && !sc.own {
		flags, err := s.store.flags(ctx, []uuid.UUID{id})
		if err != nil {
			return SubmissionView{}, err
		}
		view.Flags = flags[id]
	}
	for _, f := range sc.sub.Files {
		p, err := s.files.DownloadURL(ctx, f.FileID, f.Filename)
		if err != nil {
			return SubmissionView{}, fmt.Errorf("presign submission file: %w", err)
		}
		view.Downloads[f.FileID] = p.URL
	}
	return view, nil
}

// SubmissionList is the submissions a reader sees of an assignment in a class.
type SubmissionList struct {
	Items     []Submission
	Anonymous bool                 // a grader of a blind assignment: no names
	Flags     map[uuid.UUID][]Flag // for graders: likenesses to others' work
	// Graded is, for graders, the grade that counts of each submission
	// that has one (agreed, or a first no second grader disputes).
	Graded map[uuid.UUID]Grade
}

// ListSubmissions lists a class's submissions of an assignment: every
// version of their own work to a learner, the latest of every learner or
// group to the class's graders, with what the worker flagged (and without
// names when grading is blind).
func (s *Service) ListSubmissions(ctx context.Context, classID, itemID uuid.UUID) (SubmissionList, error) {
	sc, err := s.classAssignment(ctx, classID, itemID)
	if err != nil {
		return SubmissionList{}, err
	}
	if err := authz.Decide(true, sc.access.Staff || sc.access.Learner, ErrAssignmentNotFound); err != nil {
		return SubmissionList{}, err
	}
	if sc.access.Staff {
		subs, err := s.store.latestSubmissions(ctx, classID, itemID)
		if err != nil {
			return SubmissionList{}, err
		}
		ids := make([]uuid.UUID, len(subs))
		for i, sub := range subs {
			ids[i] = sub.ID
		}
		flags, err := s.store.flags(ctx, ids)
		if err != nil {
			return SubmissionList{}, err
		}
		grades, err := s.store.gradesOf(ctx, ids)
		if err != nil {
			return SubmissionList{}, err
		}
		graded := map[uuid.UUID]Grade{}
		for id, gs := range grades {
			if g, ok := effectiveGrade(gs); ok {
				graded[id] = g
			}
		}
		return SubmissionList{Items: subs, Anonymous: sc.a.Blind, Flags: flags, Graded: graded}, nil
	}
	owner := sc.actor.UserID
	if sc.a.Mode == ModeGroup {
		g, err := s.groupOf(ctx, classID, owner)
		if err != nil || g == nil {
			return SubmissionList{Items: []Submission{}}, err
		}
		owner = g.ID
	}
	subs, err := s.store.ownerSubmissions(ctx, classID, itemID, owner)
	return SubmissionList{Items: subs}, err
}
