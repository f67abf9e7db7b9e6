package gradebook

import (
	"context"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

// Class is a class as the gradebook needs it: where it belongs and the
// graded items of its course version, in curriculum order (attendance
// last, when the version has live sessions).
type Class struct {
	ClassID, OrgID, VersionID uuid.UUID
	OrgPath                   string
	Items                     []Item
	// Staff: the caller teaches or manages the class. Learner: the caller
	// is enrolled in it (active or completed). Both false in tasks.
	Staff, Learner bool
}

// Item returns the class's item of a key.
func (c Class) Item(key string) (Item, bool) {
	for _, it := range c.Items {
		if it.Key == key {
			return it, true
		}
	}
	return Item{}, false
}

// Classes gives the gradebook the classes of delivery with their graded
// items from the course's curriculum; the app's adapter provides it.
type Classes interface {
	// ClassAccess is the class as the caller in ctx meets it; a class they
	// may not see is a NotFound error.
	ClassAccess(ctx context.Context, classID uuid.UUID) (Class, error)
	// GradedClass is the class without a caller, for task handlers.
	GradedClass(ctx context.Context, classID uuid.UUID) (Class, error)
	// Enrolled reports whether a user is an active or completed learner of
	// the class.
	Enrolled(ctx context.Context, classID, userID uuid.UUID) (bool, error)
	// Learners names users for exports.
	Learners(ctx context.Context, userIDs []uuid.UUID) (map[uuid.UUID]Learner, error)
}

// Auditor records changes; the audit service provides it.
type Auditor interface {
	Record(ctx context.Context, perm authz.Permission, c audit.Change) error
}

// Jobs are the job resources exports report to; the job service provides it.
type Jobs interface {
	Create(ctx context.Context, kind string, perm authz.Permission, orgID uuid.UUID, params any) (job.Job, error)
	Start(ctx context.Context, id uuid.UUID) (job.Job, error)
	Progress(ctx context.Context, id uuid.UUID, done, total int) error
	Succeed(ctx context.Context, id uuid.UUID, result any, resultKey, errorReportKey string) error
	Fail(ctx context.Context, id uuid.UUID, msg string) error
}

// Objects keeps export files; the object store provides it.
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
}

// Deps are what the gradebook needs from the rest of Corpu.
type Deps struct {
	DB      *database.DB
	Outbox  *queue.Outbox
	Auditor Auditor
	Classes Classes
	Jobs    Jobs
	Objects Objects
	// Now is the clock; nil for the system clock.
	Now func() time.Time
	// InlineRecompute is how many learners a settings change recomputes in
	// its own transaction; a larger class is recomputed by a job. 0 for
	// DefaultInlineRecompute.
	InlineRecompute int
}

// DefaultInlineRecompute bounds the rows a settings change recomputes in
// the request.
const DefaultInlineRecompute = 500

// Service runs the gradebook's use cases. Methods that serve a caller
// authorize them from the context; the task handlers need none.
type Service struct {
	db      *database.DB
	store   store
	outbox  *queue.Outbox
	audit   Auditor
	classes Classes
	jobs    Jobs
	objects Objects
	now     func() time.Time
	inline  int
}

// NewService returns the gradebook service.
func NewService(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	inline := d.InlineRecompute
	if inline <= 0 {
		inline = DefaultInlineRecompute
	}
	return &Service{db: d.DB, store: store{db: d.DB}, outbox: d.Outbox, audit: d.Auditor, classes: d.Classes,
		jobs: d.Jobs, objects: d.Objects, now: func() time.Time { return now().UTC() }, inline: inline}
}

// The errors of the gradebook.
var (
	ErrGradebookNotFound = apperr.New(apperr.KindNotFound, "gradebook.not_found",
		"Buku nilai tidak ditemukan.", "Gradebook not found.")
	ErrSelfOverride = apperr.New(apperr.KindForbidden, "gradebook.self_override",
		"Anda tidak boleh mengubah nilai Anda sendiri.", "You may not override your own grade.")
)

// staffOf returns the class when the caller is its staff: 404 when they may
// not see it, 403 when they may see it but not grade in it.
func (s *Service) staffOf(ctx context.Context, classID uuid.UUID) (Class, error) {
	c, err := s.classes.ClassAccess(ctx, classID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return Class{}, ErrGradebookNotFound
	}
	if err != nil {
		return Class{}, err
	}
	// the class is visible to the caller: who is not its staff is refused
	if err := authz.Decide(true, c.Staff, ErrGradebookNotFound); err != nil {
		return Class{}, err
	}
	return c, nil
}
