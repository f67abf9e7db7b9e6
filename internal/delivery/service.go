package delivery

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

// Deps are what the delivery service needs from the rest of Corpu.
type Deps struct {
	DB        *database.DB
	Outbox    *queue.Outbox
	Catalogue Catalogue
	Directory Directory
	Auditor   Auditor
	// Now is the server clock that session windows and deadlines are read
	// from; nil for the system clock. Tests set their own.
	Now func() time.Time
}

// Service runs the use cases of classes, sessions, attendance, enrolment,
// progress and learning paths. Every method authorizes the caller from the
// context; a thing the caller may not see is reported as not found.
type Service struct {
	db        *database.DB
	store     store
	outbox    *queue.Outbox
	catalogue Catalogue
	directory Directory
	audit     Auditor
	now       func() time.Time
}

// NewService returns the delivery service.
func NewService(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Service{
		db: d.DB, store: store{db: d.DB}, outbox: d.Outbox, catalogue: d.Catalogue, directory: d.Directory,
		audit: d.Auditor, now: func() time.Time { return now().UTC() },
	}
}

// --- authorization ---

// access is what one use case knows about the caller and a class.
type access struct {
	actor *authz.Actor
	class Class
	path  string // the running institute's organisation path
}

// carries reports whether the actor may use p at all: always, unless they
// act with a personal token narrowed to other permissions. A relationship
// (supervising a learner, staffing a class) allows what p allows only when
// the token carries p, as a grant does.
func carries(actor *authz.Actor, p authz.Permission) bool {
	return actor.Scopes == nil || slices.Contains(actor.Scopes, p)
}

// staffFor: the caller staffs the class, and may use p.
func (a access) staffFor(p authz.Permission) bool {
	return a.class.StaffRole(a.actor.UserID) != "" && carries(a.actor, p)
}

// canTeach: staff of the class, or a holder of ClassTeach at its institute.
func (a access) canTeach() bool {
	return a.staffFor(authz.ClassTeach) || a.actor.Can(authz.ClassTeach, a.path)
}

func (a access) canManage() bool { return a.actor.Can(authz.ClassManage, a.path) }

// canOversee: staff, or anyone who may read the institute's classes.
func (a access) canOversee() bool {
	return a.staffFor(authz.ClassRead) || a.actor.Can(authz.ClassRead, a.path)
}

// need is what a use case needs to do with a class.
type need int

const (
	needSee need = iota
	needTeach
	needManage
	needOversee
)

// classAccess loads a class and checks the caller may do what they need
// with it: a class they may not see is ErrClassNotFound, one they may see
// but not act on is authz.ErrForbidden.
func (s *Service) classAccess(ctx context.Context, classID uuid.UUID, n need) (access, error) {
	a, err := s.loadAccess(ctx, classID)
	if err != nil {
		return access{}, err
	}
	var allowed bool
	switch n {
	case needTeach:
		allowed = a.canTeach()
	case needManage:
		allowed = a.canManage()
	case needOversee:
		allowed = a.canOversee()
	}
	if allowed {
		return a, nil
	}
	visible, err := s.visible(ctx, a)
	if err != nil {
		return access{}, err
	}
	if err := authz.Decide(visible, visible && n == needSee, ErrClassNotFound); err != nil {
		return access{}, err
	}
	return a, nil
}

// loadAccess loads a class and its institute's path for the caller,
// without deciding anything.
func (s *Service) loadAccess(ctx context.Context, classID uuid.UUID) (access, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return access{}, err
	}
	a, err := s.loadClass(ctx, classID, actor)
	return a, err
}

// loadClass loads a class with its staff, without counting its seats
// (SeatsTaken is 0; a national class's 20,000 enrolments took 6 ms to count,
// on every request and every graded attempt), and its institute's path for
// actor, who may be someone other than the caller (work done for a learner)
// or nobody (work done in a task).
func (s *Service) loadClass(ctx context.Context, classID uuid.UUID, actor *authz.Actor) (access, error) {
	if actor == nil {
		actor = &authz.Actor{}
	}
	c, err := s.store.classWithoutSeats(ctx, classID)
	if err != nil {
		return access{}, err
	}
	path, err := s.directory.OrgPath(ctx, c.OrgID)
	if err != nil {
		return access{}, err
	}
	return access{actor: actor, class: c, path: path}, nil
}

// visible reports whether the caller may see the class: its staff, those
// who may read the institute's classes and anyone ever enrolled in it see
// it; others only where its course is shared (reachPaths), a class open to
// enrolment then to everyone there and an assigned-only class to those who
// assign learners (they are who fill such a class).
func (s *Service) visible(ctx context.Context, a access) (bool, error) {
	if a.canOversee() || a.canManage() || a.canTeach() {
		return true, nil
	}
	if a.class.Policy != PolicyAssigned || assigner(a.actor) {
		shared, err := s.catalogue.SharedWith(ctx, []uuid.UUID{a.class.CourseID}, reachPaths(a.actor))
		if err != nil {
			return false, err
		}
		if shared[a.class.CourseID] {
			return true, nil
		}
	}
	return s.store.hasEnrolment(ctx, a.class.ID, a.actor.UserID)
}

// reachPaths are the organisations from which the actor meets courses: their
// home organisation, and the units where they assign learners.
func reachPaths(actor *authz.Actor) []string {
	paths := []string{actor.HomeOrgPath}
	roots, _ := actor.Roots(authz.EnrolmentAssign)
	return append(paths, roots...)
}

// assigner reports whether the actor may assign learners somewhere.
func assigner(actor *authz.Actor) bool {
	roots, all := actor.Roots(authz.EnrolmentAssign)
	return all || len(roots) > 0
}

// sharedWithLearner reports whether a course is shared with a learner's
// unit, asking the catalogue once per unit.
func (s *Service) sharedWithLearner(ctx context.Context, courseID uuid.UUID, l Learner, cache map[string]bool) (bool, error) {
	if ok, done := cache[l.OrgPath]; done {
		return ok, nil
	}
	shared, err := s.catalogue.SharedWith(ctx, []uuid.UUID{courseID}, []string{l.OrgPath})
	if err != nil {
		return false, err
	}
	cache[l.OrgPath] = shared[courseID]
	return shared[courseID], nil
}

// learners looks people up by id, in one call when the directory can; ids
// the directory does not know are absent.
func (s *Service) learners(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Learner, error) {
	if len(ids) == 0 {
		return map[uuid.UUID]Learner{}, nil
	}
	if ld, ok := s.directory.(LearnersDirectory); ok {
		return ld.Learners(ctx, ids)
	}
	out := make(map[uuid.UUID]Learner, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		l, err := s.directory.Learner(ctx, id)
		switch {
		case isNotFound(err):
		case err != nil:
			return nil, err
		default:
			out[id] = l
		}
	}
	return out, nil
}

// record writes an audit entry for a change to a class or something in it,
// placed at the class's institute.
func (s *Service) record(ctx context.Context, perm authz.Permission, a access, action, entityType string, id uuid.UUID, before, after any) error {
	return s.recordAt(ctx, perm, a.class.OrgID, a.path, action, entityType, id, before, after)
}

// recordAt writes an audit entry placed at an organisation: enrolment
// decisions sit at the learner's unit, where the grant that allowed them is.
func (s *Service) recordAt(ctx context.Context, perm authz.Permission, orgID uuid.UUID, orgPath, action, entityType string, id uuid.UUID, before, after any) error {
	return s.audit.Record(ctx, perm, audit.Change{Action: action, EntityType: entityType, EntityID: id.String(),
		OrgID: orgID, OrgPath: orgPath, Before: before, After: after})
}
