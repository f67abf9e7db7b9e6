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

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/upload"
)

// Modes of an assignment: who hands in.
const (
	ModeIndividual = "individual"
	ModeGroup      = "group"
)

// PeerReview is how learners review each other's work: Reviewers peers per
// submission (0: no peer review), whose mean grade weighs Weight percent of
// the final grade, due DeadlineSeconds after the class's due date.
type PeerReview struct {
	Reviewers       int     `json:"reviewers"`
	Weight          float64 `json:"weight"`
	DeadlineSeconds int     `json:"deadline_seconds"`
}

// Assignment is the settings of a course item of kind assignment.
type Assignment struct {
	ItemID       uuid.UUID // the assignment's id
	VersionID    uuid.UUID
	Instructions string
	Mode         string
	FileTypes    []string // content types accepted, as sniffed from the bytes
	MaxFileSize  int64
	MaxFiles     int // 0: no files
	AllowText    bool
	AllowLinks   bool
	MaxPoints    float64
	RubricID     *uuid.UUID // graded by this rubric; by points when nil
	Blind        bool       // graders see no names
	Peer         PeerReview
	CreatedBy    uuid.UUID
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Input sets an assignment's settings; nil fields take their defaults on
// create and stay as they are on change.
type Input struct {
	Instructions *string
	Mode         *string
	FileTypes    *[]string
	MaxFileSize  *int64
	MaxFiles     *int
	AllowText    *bool
	AllowLinks   *bool
	MaxPoints    *float64
	RubricID     **uuid.UUID
	Blind        *bool
	Peer         *PeerReview
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// submissionRule is what the upload flow accepts for a submission at most.
var submissionRule = upload.Rules[upload.PurposeAssignmentSubmission]

func (in Input) apply(a *Assignment) error {
	setIf(&a.Instructions, in.Instructions)
	setIf(&a.Mode, in.Mode)
	setIf(&a.FileTypes, in.FileTypes)
	setIf(&a.MaxFileSize, in.MaxFileSize)
	setIf(&a.MaxFiles, in.MaxFiles)
	setIf(&a.AllowText, in.AllowText)
	setIf(&a.AllowLinks, in.AllowLinks)
	setIf(&a.MaxPoints, in.MaxPoints)
	setIf(&a.RubricID, in.RubricID)
	setIf(&a.Blind, in.Blind)
	setIf(&a.Peer, in.Peer)
	a.Instructions = strings.TrimSpace(a.Instructions)
	if a.FileTypes == nil {
		a.FileTypes = []string{}
	}
	var v apperr.Validation
	v.Check(utf8.RuneCountInString(a.Instructions) <= 20000, "instructions", "terlalu panjang", "is too long")
	v.Check(a.Mode == ModeIndividual || a.Mode == ModeGroup, "mode", "harus individual atau group", "must be individual or group")
	for i, t := range a.FileTypes {
		v.Check(slices.Contains(submissionRule.Types, t), fmt.Sprintf("file_types[%d]", i),
			"harus salah satu dari: "+strings.Join(submissionRule.Types, ", "), "must be one of: "+strings.Join(submissionRule.Types, ", "))
	}
	v.Check(a.MaxFileSize >= 1 && a.MaxFileSize <= submissionRule.MaxSize, "max_file_size",
		fmt.Sprintf("harus 1 sampai %d bita", submissionRule.MaxSize), fmt.Sprintf("must be 1 to %d bytes", submissionRule.MaxSize))
	v.Check(a.MaxFiles >= 0 && a.MaxFiles <= 20, "max_files", "harus 0 sampai 20", "must be 0 to 20")
	v.Check(a.MaxFiles == 0 || len(a.FileTypes) > 0, "file_types", "perlu sedikitnya satu jenis berkas bila berkas diterima",
		"needs at least one type when files are accepted")
	v.Check(a.MaxFiles > 0 || a.AllowText || a.AllowLinks, "max_files", "tugas harus menerima berkas, teks atau tautan",
		"an assignment must accept files, text or links")
	v.Check(finite(a.MaxPoints) && a.MaxPoints > 0 && a.MaxPoints <= 1000, "max_points", "harus lebih dari 0 sampai 1000", "must be above 0, up to 1000")
	v.Check(a.Peer.Reviewers >= 0 && a.Peer.Reviewers <= 10, "peer_review.reviewers", "harus 0 sampai 10", "must be 0 to 10")
	v.Check(finite(a.Peer.Weight) && a.Peer.Weight >= 0 && a.Peer.Weight <= 100, "peer_review.weight", "harus 0 sampai 100", "must be 0 to 100")
	v.Check(a.Peer.DeadlineSeconds >= 0 && a.Peer.DeadlineSeconds <= 90*24*3600, "peer_review.deadline_seconds",
		"harus 0 sampai 90 hari", "must be 0 to 90 days")
	v.Check(a.Peer.Reviewers == 0 || a.RubricID != nil, "peer_review.reviewers", "penilaian sejawat memerlukan rubrik",
		"peer review needs a rubric")
	v.Check(a.Peer.Reviewers == 0 || a.Peer.DeadlineSeconds > 0, "peer_review.deadline_seconds", "wajib diisi untuk penilaian sejawat",
		"is required for peer review")
	return v.Err()
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// itemScope is an assignment's course item as the caller meets it.
type itemScope struct {
	actor *authz.Actor
	item  CourseItem
	path  string
}

func (s *Service) itemScope(ctx context.Context, itemID uuid.UUID) (itemScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return itemScope{}, err
	}
	it, err := s.courses.CourseItem(ctx, itemID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return itemScope{}, ErrAssignmentNotFound
	}
	if err != nil {
		return itemScope{}, err
	}
	path, err := s.orgs.OrgPath(ctx, it.OrgID)
	if err != nil {
		return itemScope{}, fmt.Errorf("resolve course organisation: %w", err)
	}
	return itemScope{actor: actor, item: it, path: path}, nil
}

func (sc itemScope) change(action string, before, after any) audit.Change {
	return audit.Change{Action: action, EntityType: "assignment", EntityID: sc.item.ItemID.String(),
		OrgID: sc.item.OrgID, OrgPath: sc.path, Before: before, After: after}
}

// SetAssignment creates or changes the settings of an assignment item of a
// draft course version; the course's authors do. A rubric must be one the
// course's organisation may use.
func (s *Service) SetAssignment(ctx context.Context, itemID uuid.UUID, in Input) (Assignment, bool, error) {
	sc, err := s.itemScope(ctx, itemID)
	if err != nil {
		return Assignment{}, false, err
	}
	if err := authz.Decide(sc.actor.Can(authz.CourseRead, sc.path), sc.actor.Can(authz.CourseAuthor, sc.path), ErrAssignmentNotFound); err != nil {
		return Assignment{}, false, err
	}
	if !sc.item.IsAssignment {
		return Assignment{}, false, ErrNotAnAssignmentItem
	}
	if !sc.item.Editable {
		return Assignment{}, false, ErrVersionFrozen
	}
	var out Assignment
	created := false
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.store.lockAssignment(ctx, itemID)
		exists := err == nil
		if err != nil && apperr.KindOf(err) != apperr.KindNotFound {
			return err
		}
		now := s.now()
		after := before
		if !exists {
			after = Assignment{ItemID: itemID, VersionID: sc.item.VersionID, Mode: ModeIndividual, FileTypes: []string{"application/pdf"},
				MaxFileSize: 20 << 20, MaxFiles: 1, MaxPoints: 100, CreatedBy: sc.actor.UserID, CreatedAt: now}
		}
		after.UpdatedAt = now
		if err := in.apply(&after); err != nil {
			return err
		}
		if after.RubricID != nil {
			if err := s.rubricUsableAt(ctx, *after.RubricID, sc.path); err != nil {
				return err
			}
		}
		if err := s.store.saveAssignment(ctx, after, exists); err != nil {
			return err
		}
		out, created = after, !exists
		var b any
		if exists {
			b = before
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("assignment.set", b, after))
	})
	return out, created, err
}

// GetAssignment returns an assignment's settings to the course's staff.
func (s *Service) GetAssignment(ctx context.Context, itemID uuid.UUID) (Assignment, error) {
	sc, err := s.itemScope(ctx, itemID)
	if err != nil {
		return Assignment{}, err
	}
	if !sc.actor.Can(authz.CourseRead, sc.path) {
		return Assignment{}, ErrAssignmentNotFound
	}
	return s.store.assignment(ctx, itemID)
}

// CopyItems copies the assignments of a published version's items to the new
// draft that copied its curriculum (newIDs: each item's new id by its old
// one). The course service calls it in the draft's transaction, having
// authorized the caller.
func (s *Service) CopyItems(ctx context.Context, versionID uuid.UUID, newIDs map[uuid.UUID]uuid.UUID) error {
	return s.store.copyAssignments(ctx, versionID, newIDs, s.now())
}
