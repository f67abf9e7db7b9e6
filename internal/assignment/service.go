// Package assignment runs project assignments: the settings of a course item
// of kind assignment, what a class decides about it (dates, late policy,
// extensions, groups), learners' submissions as immutable versions, rubrics,
// grading, release and the assignment:graded event the gradebook consumes.
package assignment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/upload"
)

// OrgPaths resolves an organisation's path; the identity service provides it.
type OrgPaths interface {
	OrgPath(ctx context.Context, orgID uuid.UUID) (string, error)
}

// Auditor records changes; the audit service provides it.
type Auditor interface {
	Record(ctx context.Context, perm authz.Permission, c audit.Change) error
}

// CourseItem is where a content item lives; the course service provides it.
type CourseItem struct {
	ItemID, VersionID, CourseID, OrgID uuid.UUID
	IsAssignment                       bool // the item is of kind assignment
	Editable                           bool // its version is a draft that may change
}

// Courses finds course items without authorizing: the assignment service
// decides from the course's organisation.
type Courses interface {
	CourseItem(ctx context.Context, itemID uuid.UUID) (CourseItem, error)
}

// ClassAccess is a class as the caller meets it; the delivery service
// provides it.
type ClassAccess struct {
	ClassID, VersionID, OrgID uuid.UUID
	// Staff: the caller teaches or manages the class: sets its dates,
	// forms its groups, reads and grades every submission.
	Staff bool
	// Learner: the caller is enrolled (active or completed) and hands in work.
	Learner bool
}

// Classes answers for the caller in the context (a class they may not see is
// a NotFound error) and, without authorizing, who learns in a class.
type Classes interface {
	ClassAccess(ctx context.Context, classID uuid.UUID) (ClassAccess, error)
	// Learners returns who of userIDs learns in the class, every learner for nil.
	Learners(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) ([]uuid.UUID, error)
}

// Files are the completed uploads submissions and feedback refer to; the
// upload service provides them and authorizes nothing.
type Files interface {
	File(ctx context.Context, id uuid.UUID) (upload.File, error)
	DownloadURL(ctx context.Context, fileID uuid.UUID, filename string) (objectstore.Presigned, error)
}

// Notifier tells a class's staff (its graders) something by mail, in the
// caller's transaction; the app wires it to the mail outbox.
type Notifier interface {
	NotifyStaff(ctx context.Context, classID uuid.UUID, subject, text string) error
}

// Deps are what the assignment service needs from the rest of Corpu.
type Deps struct {
	DB      *database.DB
	Outbox  *queue.Outbox
	Auditor Auditor
	Orgs    OrgPaths
	Courses Courses
	Classes Classes
	Files   Files
	Notify  Notifier
	// Now is the server clock deadlines are read from; nil for the system clock.
	Now func() time.Time
}

// Service runs the use cases of assignments. Every method but the task
// handlers authorizes the caller from the context; a thing the caller may
// not see is reported as not found.
type Service struct {
	db      *database.DB
	store   store
	outbox  *queue.Outbox
	audit   Auditor
	orgs    OrgPaths
	courses Courses
	classes Classes
	files   Files
	notify  Notifier
	now     func() time.Time
	jobs    Jobs    // of the ZIP export
	objects Objects // the ZIP export's bytes
}

// NewService returns the assignment service.
func NewService(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Service{db: d.DB, store: store{db: d.DB}, outbox: d.Outbox, audit: d.Auditor, orgs: d.Orgs,
		courses: d.Courses, classes: d.Classes, files: d.Files, notify: d.Notify, now: func() time.Time { return now().UTC() }}
}

// store reads and writes the assignment tables.
type store struct{ db *database.DB }

// The errors of the assignment domain.
var (
	ErrAssignmentNotFound = apperr.New(apperr.KindNotFound, "assignment.not_found",
		"Tugas tidak ditemukan.", "Assignment not found.")
	ErrSubmissionNotFound = apperr.New(apperr.KindNotFound, "assignment.submission_not_found",
		"Kiriman tugas tidak ditemukan.", "Submission not found.")
	ErrGroupNotFound = apperr.New(apperr.KindNotFound, "assignment.group_not_found",
		"Kelompok tidak ditemukan.", "Group not found.")
	ErrRubricNotFound = apperr.New(apperr.KindNotFound, "assignment.rubric_not_found",
		"Rubrik tidak ditemukan.", "Rubric not found.")
	ErrNotAnAssignmentItem = apperr.New(apperr.KindConflict, "assignment.not_an_assignment_item",
		"Materi ini bukan tugas.", "This course item is not an assignment.")
	ErrVersionFrozen = apperr.New(apperr.KindConflict, "assignment.version_frozen",
		"Versi kursus ini sudah diajukan atau terbit; tugasnya tidak dapat diubah.",
		"The course version is submitted or published; its assignment cannot change.")
	ErrPastCutoff = apperr.New(apperr.KindConflict, "assignment.past_cutoff",
		"Batas akhir pengiriman sudah lewat.", "The cut-off for submissions has passed.")
	ErrLateRefused = apperr.New(apperr.KindConflict, "assignment.late_refused",
		"Tenggat sudah lewat dan kelas ini tidak menerima kiriman terlambat.",
		"The due date has passed and this class accepts no late submissions.")
	ErrNoGroup = apperr.New(apperr.KindConflict, "assignment.no_group",
		"Tugas ini dikerjakan berkelompok; bergabunglah dengan kelompok terlebih dahulu.",
		"This is a group assignment; join a group first.")
	ErrGroupFull = apperr.New(apperr.KindConflict, "assignment.group_full",
		"Kelompok ini sudah penuh.", "This group is full.")
	ErrGroupNameTaken = apperr.New(apperr.KindConflict, "assignment.group_name_taken",
		"Nama kelompok sudah dipakai di kelas ini.", "A group of this class already has this name.")
	ErrAlreadyInGroup = apperr.New(apperr.KindConflict, "assignment.already_in_group",
		"Peserta sudah tergabung dalam kelompok lain di kelas ini.", "The learner is already in a group of this class.")
)

// newID returns an ordered, unguessable id.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// classScope is a class and one of its assignments as the caller meets them.
type classScope struct {
	actor  *authz.Actor
	access ClassAccess
	a      Assignment
}

// classAssignment loads an assignment a class runs, with the caller's
// standing in the class; a class that does not run it is not found.
func (s *Service) classAssignment(ctx context.Context, classID, itemID uuid.UUID) (classScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return classScope{}, err
	}
	a, err := s.store.assignment(ctx, itemID)
	if err != nil {
		return classScope{}, err
	}
	ca, err := s.classes.ClassAccess(ctx, classID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return classScope{}, ErrAssignmentNotFound
	}
	if err != nil {
		return classScope{}, err
	}
	if ca.VersionID != a.VersionID {
		return classScope{}, ErrAssignmentNotFound
	}
	return classScope{actor: actor, access: ca, a: a}, nil
}

// staff loads a class's assignment the caller teaches: others who see the
// class are forbidden.
func (s *Service) staffScope(ctx context.Context, classID, itemID uuid.UUID) (classScope, error) {
	sc, err := s.classAssignment(ctx, classID, itemID)
	if err != nil {
		return sc, err
	}
	return sc, authz.Decide(true, sc.access.Staff, ErrAssignmentNotFound)
}

func (s *Service) recordClass(ctx context.Context, ca ClassAccess, action string, after any) error {
	path, err := s.orgs.OrgPath(ctx, ca.OrgID)
	if err != nil {
		return fmt.Errorf("resolve class organisation: %w", err)
	}
	return s.audit.Record(ctx, authz.ClassTeach, audit.Change{Action: action, EntityType: "class", EntityID: ca.ClassID.String(),
		OrgID: ca.OrgID, OrgPath: path, After: after})
}

// enrolled returns which of userIDs learn in a class.
func (s *Service) enrolled(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) (map[uuid.UUID]bool, error) {
	ids, err := s.classes.Learners(ctx, classID, append([]uuid.UUID{}, userIDs...))
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
