package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
)

// Seats are given out under the class row's lock (SELECT … FOR UPDATE): every
// use case that takes or frees a seat locks the class first, counts the seats
// taken and writes in the same transaction, so concurrent enrolments never
// overfill a class. Locks are taken class first, then enrolment.

// seatStatus returns the status a new learner gets in a locked class: active
// while seats remain, then waitlisted when the class keeps a wait list.
func (s *Service) seatStatus(ctx context.Context, c Class) (EnrolmentStatus, error) {
	taken, err := s.store.seatsTaken(ctx, c.ID)
	if err != nil {
		return "", err
	}
	switch {
	case taken < c.Capacity:
		return EnrolmentActive, nil
	case c.Waitlist:
		return EnrolmentWaitlisted, nil
	default:
		return "", ErrClassFull
	}
}

// promote gives free seats of a locked class to its wait list, first come first.
func (s *Service) promote(ctx context.Context, a access) ([]Enrolment, error) {
	if !a.class.Status.Open() {
		return nil, nil
	}
	taken, err := s.store.seatsTaken(ctx, a.class.ID)
	if err != nil || taken >= a.class.Capacity {
		return nil, err
	}
	waiting, err := s.store.waitlisted(ctx, a.class.ID, a.class.Capacity-taken)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i, e := range waiting {
		before := e
		e.Status, e.ActivatedAt, e.UpdatedAt = EnrolmentActive, &now, now
		if err := s.store.updateEnrolment(ctx, e); err != nil {
			return nil, err
		}
		if err := s.record(ctx, authz.ClassManage, a, "enrolment.promote", "enrolment", e.ID,
			map[string]any{"status": before.Status}, map[string]any{"status": e.Status}); err != nil {
			return nil, err
		}
		waiting[i] = e
	}
	return waiting, nil
}

// newEnrolment fills in a new enrolment of a class, not yet stored.
func newEnrolment(a access, e Enrolment, now time.Time) Enrolment {
	e.ID, e.ClassID, e.EnrolledAt, e.UpdatedAt = uuid.Must(uuid.NewV7()), a.class.ID, now, now
	e.ClassTitle, e.VersionID, e.CourseID = a.class.Title, a.class.VersionID, a.class.CourseID
	if e.Status == EnrolmentActive {
		e.ActivatedAt = &now
	}
	return e
}

// createAll records new enrolments of a locked class and opens the
// learners' learning-path steps for its course, if they have one waiting,
// in a fixed number of statements however many learners there are.
func (s *Service) createAll(ctx context.Context, a access, es []Enrolment) error {
	if err := s.store.createEnrolments(ctx, es); err != nil {
		return err
	}
	return s.store.linkPathSteps(ctx, a.class.CourseID, es)
}

// create records one new enrolment in a locked class, as createAll.
func (s *Service) create(ctx context.Context, a access, e Enrolment) (Enrolment, error) {
	e = newEnrolment(a, e, s.now())
	if err := s.createAll(ctx, a, []Enrolment{e}); err != nil {
		return Enrolment{}, err
	}
	return e, nil
}

// Enrol enrols the caller in a class by themselves: in an open class at once
// (or on the wait list), in an approval class as a request for their
// supervisor. Enrolling again returns the existing enrolment with created
// false. A class whose sessions clash with the caller's other classes is
// refused with the clashes.
func (s *Service) Enrol(ctx context.Context, classID uuid.UUID) (Enrolment, bool, error) {
	if err := requireSelf(ctx); err != nil {
		return Enrolment{}, false, err
	}
	var (
		e       Enrolment
		created bool
	)
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		created = false // a retried transaction starts over
		if err := s.store.lockClass(ctx, classID); err != nil {
			return err
		}
		a, err := s.classAccess(ctx, classID, needSee)
		if err != nil {
			return err
		}
		if e, err = s.store.liveEnrolment(ctx, classID, a.actor.UserID); err == nil || !isNotFound(err) {
			return err
		}
		if a.class.Policy == PolicyAssigned {
			return ErrAssignmentOnly
		}
		if e, err = s.selfEnrol(ctx, a, SourceSelf, nil); err != nil {
			return err
		}
		created = true
		return s.record(ctx, authz.ClassRead, a, "enrolment.create", "enrolment", e.ID, nil, e)
	})
	return e, created, err
}

// selfEnrol enrols the caller in a locked class they chose (by themselves
// or through a path), after the window and clash checks.
func (s *Service) selfEnrol(ctx context.Context, a access, source Source, pathEnrolmentID *uuid.UUID) (Enrolment, error) {
	if !a.class.Status.Open() {
		return Enrolment{}, ErrClassNotOpen
	}
	if !a.class.EnrolmentOpen(s.now()) {
		return Enrolment{}, ErrEnrolmentClosed
	}
	clashes, err := s.store.learnerClashes(ctx, a.actor.UserID, a.class.ID)
	if err != nil {
		return Enrolment{}, err
	}
	if len(clashes) > 0 {
		return Enrolment{}, newClashError(ErrScheduleClash, clashes)
	}
	status := EnrolmentPending
	if a.class.Policy == PolicyOpen {
		if status, err = s.seatStatus(ctx, a.class); err != nil {
			return Enrolment{}, err
		}
	}
	learner, err := s.directory.Learner(ctx, a.actor.UserID)
	if err != nil {
		return Enrolment{}, fmt.Errorf("the learner's unit: %w", err)
	}
	return s.create(ctx, a, Enrolment{UserID: a.actor.UserID, Status: status, Source: source, PathEnrolmentID: pathEnrolmentID,
		LearnerPath: learner.OrgPath})
}

// enrolmentAccess is what one use case knows about the caller and an enrolment.
type enrolmentAccess struct {
	access
	enrolment Enrolment
	learner   Learner
}

// self reports whether the enrolment is the caller's own.
func (ea enrolmentAccess) self() bool { return ea.enrolment.UserID == ea.actor.UserID }

// selfService reports whether the caller acts on their own enrolment with
// the self-service permission (a personal token must name it).
func (ea enrolmentAccess) selfService() bool { return ea.self() && ea.actor.MaySelf(authz.SelfLearn) }

// requireSelf refuses a self-service action to a caller whose API token
// does not carry learning.self.
func requireSelf(ctx context.Context) error {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	if !actor.MaySelf(authz.SelfLearn) {
		return ErrSelfScope
	}
	return nil
}

// supervises reports whether the caller is the learner's supervisor and
// holds p on the learner's unit: being named supervisor (a pointer anyone
// with user.manage may set) gives no power by itself; the powers come from
// a grant that carries them.
func supervises(actor *authz.Actor, l Learner, p authz.Permission) bool {
	return l.SupervisorID != nil && *l.SupervisorID == actor.UserID && actor.Can(p, l.OrgPath)
}

// canDecide: the learner's supervisor, or someone who may assign learners of their unit.
func (ea enrolmentAccess) canDecide() bool {
	return supervises(ea.actor, ea.learner, authz.EnrolmentAssign) || ea.actor.Can(authz.EnrolmentAssign, ea.learner.OrgPath)
}

func (ea enrolmentAccess) canSee() bool {
	return ea.selfService() || ea.canDecide() || ea.canOversee() || ea.canManage() || ea.canTeach() ||
		supervises(ea.actor, ea.learner, authz.EnrolmentOversee) || ea.actor.Can(authz.EnrolmentOversee, ea.learner.OrgPath)
}

// enrolmentLock is which row locks loading an enrolment takes.
type enrolmentLock int

const (
	lockNothing   enrolmentLock = iota
	lockEnrolment               // the enrolment's row, for progress
	lockSeats                   // the class's row and then the enrolment's, for changes that move seats
)

// loadEnrolment loads an enrolment the caller may see, under the locks asked for.
func (s *Service) loadEnrolment(ctx context.Context, id uuid.UUID, lock enrolmentLock) (enrolmentAccess, error) {
	e, err := s.store.enrolment(ctx, id, lock == lockEnrolment)
	if err != nil {
		return enrolmentAccess{}, err
	}
	if lock == lockSeats {
		if err := s.store.lockClass(ctx, e.ClassID); err != nil {
			return enrolmentAccess{}, err
		}
		if e, err = s.store.enrolment(ctx, id, true); err != nil {
			return enrolmentAccess{}, err
		}
	}
	a, err := s.loadAccess(ctx, e.ClassID)
	if err != nil {
		return enrolmentAccess{}, err
	}
	learner, err := s.directory.Learner(ctx, e.UserID)
	if err != nil {
		return enrolmentAccess{}, err
	}
	ea := enrolmentAccess{access: a, enrolment: e, learner: learner}
	if !ea.canSee() {
		if ea.self() { // their own, through a token without learning.self
			return enrolmentAccess{}, ErrSelfScope
		}
		return enrolmentAccess{}, ErrEnrolmentNotFound
	}
	return ea, nil
}

// Enrolment returns an enrolment the caller may see: their own, or one of a
// learner they supervise or oversee, or of a class they teach or oversee.
func (s *Service) Enrolment(ctx context.Context, id uuid.UUID) (Enrolment, error) {
	ea, err := s.loadEnrolment(ctx, id, lockNothing)
	if err != nil {
		return Enrolment{}, err
	}
	e := ea.enrolment
	if !ea.self() {
		e.Learner = &ea.learner
	}
	return e, nil
}

// Approve grants a learner's request to join an approval class: by the
// learner's supervisor or someone who may assign learners of their unit.
// The learner takes a seat, or the wait list, or the request fails as full.
func (s *Service) Approve(ctx context.Context, id uuid.UUID) (Enrolment, error) {
	return s.decide(ctx, id, true)
}

// Reject refuses a learner's request to join an approval class.
func (s *Service) Reject(ctx context.Context, id uuid.UUID) (Enrolment, error) {
	return s.decide(ctx, id, false)
}

func (s *Service) decide(ctx context.Context, id uuid.UUID, approve bool) (Enrolment, error) {
	var e Enrolment
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		ea, err := s.loadEnrolment(ctx, id, lockSeats)
		if err != nil {
			return err
		}
		if !ea.canDecide() {
			return authz.ErrForbidden
		}
		if ea.self() {
			return ErrOwnRequest
		}
		before := ea.enrolment
		if before.Status != EnrolmentPending {
			return ErrNotPending
		}
		now := s.now()
		e = before
		e.DecidedBy, e.DecidedAt, e.UpdatedAt = &ea.actor.UserID, &now, now
		action := "enrolment.reject"
		if approve {
			if !ea.class.Status.Open() {
				return ErrClassNotOpen
			}
			if e.Status, err = s.seatStatus(ctx, ea.class); err != nil {
				return err
			}
			if e.Status == EnrolmentActive {
				e.ActivatedAt = &now
			}
			action = "enrolment.approve"
		} else {
			e.Status = EnrolmentRejected
			if err := s.store.unlinkPathSteps(ctx, e.ID); err != nil {
				return err
			}
		}
		if err := s.store.updateEnrolment(ctx, e); err != nil {
			return err
		}
		return s.recordAt(ctx, authz.EnrolmentAssign, ea.learner.OrgID, ea.learner.OrgPath, action, "enrolment", id,
			map[string]any{"status": before.Status}, map[string]any{"status": e.Status})
	})
	return e, err
}

// Withdraw ends an enrolment that has not completed: by the learner, or by
// someone who may assign them or manage the class. The seat it held goes to
// the first learner on the wait list in the same transaction.
func (s *Service) Withdraw(ctx context.Context, id uuid.UUID) (Enrolment, error) {
	var e Enrolment
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		ea, err := s.loadEnrolment(ctx, id, lockSeats)
		if err != nil {
			return err
		}
		// One's own enrolment is withdrawn through self-service; another's
		// by who may assign them or manage the class.
		switch {
		case ea.self() && !ea.selfService():
			return ErrSelfScope
		case !ea.self() && !ea.canDecide() && !ea.canManage():
			return authz.ErrForbidden
		}
		before := ea.enrolment
		switch before.Status {
		case EnrolmentPending, EnrolmentWaitlisted, EnrolmentActive:
		default:
			return ErrCannotWithdraw
		}
		now := s.now()
		e = before
		e.Status, e.WithdrawnAt, e.UpdatedAt = EnrolmentWithdrawn, &now, now
		if err := s.store.updateEnrolment(ctx, e); err != nil {
			return err
		}
		if err := s.store.unlinkPathSteps(ctx, e.ID); err != nil {
			return err
		}
		if err := s.record(ctx, authz.EnrolmentAssign, ea.access, "enrolment.withdraw", "enrolment", id,
			map[string]any{"status": before.Status}, map[string]any{"status": e.Status}); err != nil {
			return err
		}
		if before.Status == EnrolmentActive {
			_, err = s.promote(ctx, ea.access)
		}
		return err
	})
	return e, err
}
