package delivery

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/identity/nip"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
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
	return s.create(ctx, a, Enrolment{UserID: a.actor.UserID, Status: status, Source: source, PathEnrolmentID: pathEnrolmentID})
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

// Assign enrols learners in a class on the caller's authority: by user id,
// a whole unit's subtree, or a list of NIPs. The caller must be allowed to
// assign each learner (enrolment.assign at the learner's unit, which a
// supervisor holds through their grant), the class's course must be shared
// with the learner's unit, and nobody assigns themselves; every row that
// enrols nobody is reported with its reason. A
// pending request of a listed learner counts as approved. Assignment skips
// the enrolment window and the learner's clash check, not the capacity.
func (s *Service) Assign(ctx context.Context, classID uuid.UUID, in AssignInput) (AssignResult, error) {
	given := 0
	for _, n := range []int{len(in.UserIDs), len(in.NIPs)} {
		if n > 0 {
			given++
		}
	}
	if in.OrgID != uuid.Nil {
		given++
	}
	if given != 1 {
		return AssignResult{}, apperr.Invalid("user_ids", "isi tepat satu dari user_ids, org_id atau daftar NIP",
			"give exactly one of user_ids, org_id or a list of NIPs")
	}
	if len(in.UserIDs) > MaxAssignment || len(in.NIPs) > MaxAssignment {
		return AssignResult{}, apperr.Invalid("user_ids", "paling banyak 2000 orang per permintaan", "at most 2000 people per request")
	}
	var res AssignResult
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res = AssignResult{}
		if err := s.store.lockClass(ctx, classID); err != nil {
			return err
		}
		a, err := s.classAccess(ctx, classID, needSee)
		if err != nil {
			return err
		}
		if !assigner(a.actor) {
			return authz.ErrForbidden
		}
		if !a.class.Status.Open() {
			return ErrClassNotOpen
		}
		rows, err := s.resolveLearners(ctx, a.actor, a.class.CourseID, in)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, 0, len(rows))
		for _, r := range rows {
			if r.skip == "" {
				ids = append(ids, r.learner.UserID)
			}
		}
		existing, err := s.store.liveEnrolments(ctx, classID, ids)
		if err != nil {
			return err
		}
		// The class is locked: the seats counted here stay counted until
		// the transaction ends, so they are counted once, not per learner.
		taken, err := s.store.seatsTaken(ctx, classID)
		if err != nil {
			return err
		}
		return s.assignAll(ctx, a, rows, existing, taken, &res)
	})
	return res, err
}

// assignRow is one learner named by an assignment, resolved.
type assignRow struct {
	row     int
	userID  uuid.UUID
	nip     string
	learner Learner
	skip    SkipReason
}

// resolveLearners turns an assignment's list into learners, marking the rows
// that name nobody or someone the caller may not assign.
func (s *Service) resolveLearners(ctx context.Context, actor *authz.Actor, courseID uuid.UUID, in AssignInput) ([]assignRow, error) {
	var rows []assignRow
	switch {
	case in.OrgID != uuid.Nil:
		path, err := s.directory.OrgPath(ctx, in.OrgID)
		if err != nil || !actor.Can(authz.EnrolmentAssign, path) {
			return nil, apperr.Invalid("org_id", "unit tidak ditemukan atau di luar wilayah kewenangan Anda",
				"the unit was not found or is outside the units you may assign")
		}
		learners, err := s.directory.LearnersInOrg(ctx, in.OrgID)
		if err != nil {
			return nil, err
		}
		if len(learners) > MaxAssignment {
			return nil, apperr.Invalid("org_id", "unit ini memiliki lebih dari 2000 pegawai; tugaskan per sub-unit",
				"the unit has more than 2000 people; assign its sub-units one by one")
		}
		for i, l := range learners {
			rows = append(rows, assignRow{row: i + 1, userID: l.UserID, nip: l.NIP, learner: l})
		}
	case len(in.UserIDs) > 0:
		found, err := s.learners(ctx, in.UserIDs)
		if err != nil {
			return nil, err
		}
		seen := map[uuid.UUID]bool{}
		for i, id := range in.UserIDs {
			r := assignRow{row: i + 1, userID: id}
			switch l, ok := found[id]; {
			case seen[id]:
				r.skip = SkipDuplicate
			case !ok || l.UserID == uuid.Nil:
				r.skip = SkipUnknownUser
			default:
				r.learner, r.nip = l, l.NIP
			}
			seen[id] = true
			rows = append(rows, r)
		}
	default:
		var valid []string
		seen := map[string]bool{}
		now := s.now()
		for i, raw := range in.NIPs {
			// the NIPs identity accepts: its digits, a valid number
			n := nip.Normalize(raw)
			_, invalid := nip.Parse(n, now)
			r := assignRow{row: i + 1, nip: n}
			switch {
			case invalid != nil:
				r.nip, r.skip = strings.TrimSpace(raw), SkipInvalidNIP
			case seen[n]:
				r.skip = SkipDuplicate
			default:
				valid = append(valid, n)
			}
			seen[n] = true
			rows = append(rows, r)
		}
		found, err := s.directory.LearnersByNIP(ctx, valid)
		if err != nil {
			return nil, err
		}
		for i, r := range rows {
			if r.skip != "" {
				continue
			}
			l, ok := found[r.nip]
			if !ok {
				rows[i].skip = SkipUnknownNIP
				continue
			}
			rows[i].learner, rows[i].userID = l, l.UserID
		}
	}
	shared := map[string]bool{}
	for i, r := range rows {
		if r.skip != "" {
			continue
		}
		if !actor.Can(authz.EnrolmentAssign, r.learner.OrgPath) {
			if r.nip != "" && len(in.NIPs) > 0 {
				rows[i].skip, rows[i].userID = SkipUnknownNIP, uuid.Nil
			} else {
				rows[i].skip = SkipUnknownUser
			}
			continue
		}
		// Nobody assigns (or, through a pending request, approves) themselves.
		if r.learner.UserID == actor.UserID {
			rows[i].skip = SkipSelf
			continue
		}
		ok, err := s.sharedWithLearner(ctx, courseID, r.learner, shared)
		if err != nil {
			return nil, err
		}
		if !ok {
			rows[i].skip = SkipNotShared
		}
	}
	return rows, nil
}

// assignAll enrols the resolved rows of an assignment in a locked class
// with taken seats taken, in the order given: a seat while one remains, then
// the wait list. New enrolments are written together at the end.
func (s *Service) assignAll(ctx context.Context, a access, rows []assignRow, existing map[uuid.UUID]Enrolment, taken int, res *AssignResult) error {
	now := s.now()
	var fresh []Enrolment
	var freshRows []assignRow
	for _, r := range rows {
		skip := func(reason SkipReason, status EnrolmentStatus) {
			res.Skipped = append(res.Skipped, SkippedLearner{Row: r.row, UserID: r.userID, NIP: r.nip, Reason: reason, Status: status})
		}
		if r.skip != "" {
			skip(r.skip, "")
			continue
		}
		e, had := existing[r.learner.UserID]
		if had && e.Status != EnrolmentPending {
			skip(SkipAlreadyEnrolled, e.Status)
			continue
		}
		status := EnrolmentActive
		switch {
		case taken < a.class.Capacity:
			taken++
		case a.class.Waitlist:
			status = EnrolmentWaitlisted
		default:
			skip(SkipClassFull, "")
			continue
		}
		if had { // a pending request: assignment approves it
			before := e
			e.Status, e.DecidedBy, e.DecidedAt, e.UpdatedAt = status, &a.actor.UserID, &now, now
			if status == EnrolmentActive {
				e.ActivatedAt = &now
			}
			if err := s.store.updateEnrolment(ctx, e); err != nil {
				return err
			}
			if err := s.recordAt(ctx, authz.EnrolmentAssign, r.learner.OrgID, r.learner.OrgPath, "enrolment.approve", "enrolment", e.ID,
				map[string]any{"status": before.Status}, map[string]any{"status": e.Status}); err != nil {
				return err
			}
		} else {
			e = newEnrolment(a, Enrolment{UserID: r.learner.UserID, Status: status, Source: SourceAssigned, AssignedBy: &a.actor.UserID}, now)
			fresh, freshRows = append(fresh, e), append(freshRows, r)
		}
		done := AssignedLearner{UserID: r.learner.UserID, NIP: r.learner.NIP, Enrolment: e}
		if e.Status == EnrolmentActive {
			res.Assigned = append(res.Assigned, done)
		} else {
			res.Waitlisted = append(res.Waitlisted, done)
		}
	}
	if err := s.createAll(ctx, a, fresh); err != nil {
		return err
	}
	for i, e := range fresh {
		r := freshRows[i]
		if err := s.recordAt(ctx, authz.EnrolmentAssign, r.learner.OrgID, r.learner.OrgPath, "enrolment.assign", "enrolment", e.ID, nil, e); err != nil {
			return err
		}
	}
	return nil
}

// ClassEnrolments lists a class's enrolments with the learners' names, for
// its staff and those who oversee it, first come first.
func (s *Service) ClassEnrolments(ctx context.Context, classID uuid.UUID, f EnrolmentFilter, req page.Request) (page.Result[Enrolment], error) {
	if err := checkEnrolmentList(f, req); err != nil {
		return page.Result[Enrolment]{}, err
	}
	if _, err := s.classAccess(ctx, classID, needOversee); err != nil {
		return page.Result[Enrolment]{}, err
	}
	f.ClassID = classID
	list, err := s.store.listEnrolments(ctx, f, enrolmentScope{}, req)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	res := buildEnrolments(list, req)
	return res, s.withLearners(ctx, res.Items, nil)
}

// MyEnrolments lists the caller's enrolments, newest first.
func (s *Service) MyEnrolments(ctx context.Context, f EnrolmentFilter, req page.Request) (page.Result[Enrolment], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	if !actor.MaySelf(authz.SelfLearn) {
		return page.Result[Enrolment]{}, ErrSelfScope
	}
	if err := checkEnrolmentList(f, req); err != nil {
		return page.Result[Enrolment]{}, err
	}
	f.UserID = actor.UserID
	list, err := s.store.listEnrolments(ctx, f, enrolmentScope{}, req)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	return buildEnrolments(list, req), nil
}

// TeamEnrolments lists the enrolments of the caller's team, newest first:
// the learners they supervise directly and everyone in the units where they
// hold enrolment.oversee.
func (s *Service) TeamEnrolments(ctx context.Context, f EnrolmentFilter, req page.Request) (page.Result[Enrolment], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	if err := checkEnrolmentList(f, req); err != nil {
		return page.Result[Enrolment]{}, err
	}
	if td, ok := s.directory.(TeamDirectory); ok {
		// The team is everyone active under the caller's oversee roots:
		// direct reports count only inside those roots (see supervises), so
		// they add nobody. PostgreSQL filters and pages; only the page's
		// learners are looked up.
		scope := enrolmentScope{}
		if roots, all := actor.Roots(authz.EnrolmentOversee); !all {
			outer := make([]string, 0, len(roots))
			for _, r := range roots {
				if !coveredByOther(r, roots) && !slices.Contains(outer, r) {
					outer = append(outer, r)
				}
			}
			scope.team = td.TeamQuery(ctx, outer, actor.UserID)
		}
		list, err := s.store.listEnrolments(ctx, f, scope, req)
		if err != nil {
			return page.Result[Enrolment]{}, err
		}
		res := buildEnrolments(list, req)
		return res, s.withLearners(ctx, res.Items, nil)
	}
	team, all, err := s.team(ctx, actor)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	scope := enrolmentScope{}
	if !all {
		if f.UserID != uuid.Nil {
			if _, ok := team[f.UserID]; !ok {
				return page.Result[Enrolment]{}, nil
			}
		}
		scope.userIDs = make([]uuid.UUID, 0, len(team))
		for id := range team {
			scope.userIDs = append(scope.userIDs, id)
		}
	}
	list, err := s.store.listEnrolments(ctx, f, scope, req)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	res := buildEnrolments(list, req)
	return res, s.withLearners(ctx, res.Items, team)
}

// withLearners sets the learner of each enrolment: from known when there,
// else from the directory in one lookup for the page. A learner the
// directory no longer knows is left out rather than failing the list.
func (s *Service) withLearners(ctx context.Context, items []Enrolment, known map[uuid.UUID]Learner) error {
	var missing []uuid.UUID
	for _, e := range items {
		if _, ok := known[e.UserID]; !ok {
			missing = append(missing, e.UserID)
		}
	}
	found, err := s.learners(ctx, missing)
	if err != nil {
		return err
	}
	for i, e := range items {
		l, ok := known[e.UserID]
		if !ok {
			l, ok = found[e.UserID]
		}
		if ok {
			items[i].Learner = &l
		}
	}
	return nil
}

// team returns the caller's team by user id; all is true for a platform
// admin, whose team is everyone.
func (s *Service) team(ctx context.Context, actor *authz.Actor) (map[uuid.UUID]Learner, bool, error) {
	roots, all := actor.Roots(authz.EnrolmentOversee)
	if all {
		return nil, true, nil
	}
	team := map[uuid.UUID]Learner{}
	var reports []Learner
	var err error
	if rd, ok := s.directory.(ReportsDirectory); ok {
		reports, err = rd.DirectReports(ctx, actor.UserID)
	} else if actor.HomeOrgID != uuid.Nil {
		reports, err = s.directory.LearnersInOrg(ctx, actor.HomeOrgID)
	}
	if err != nil {
		return nil, false, err
	}
	for _, l := range reports {
		if supervises(actor, l, authz.EnrolmentOversee) {
			team[l.UserID] = l
		}
	}
	fetched := map[string]bool{}
	for _, g := range actor.Grants {
		if fetched[g.OrgPath] || !authz.RoleGrants(g.Role, authz.EnrolmentOversee) ||
			!actor.Can(authz.EnrolmentOversee, g.OrgPath) || coveredByOther(g.OrgPath, roots) {
			continue
		}
		fetched[g.OrgPath] = true
		learners, err := s.directory.LearnersInOrg(ctx, g.OrgID)
		if err != nil {
			return nil, false, err
		}
		for _, l := range learners {
			team[l.UserID] = l
		}
	}
	delete(team, actor.UserID)
	return team, false, nil
}

// coveredByOther reports whether path lies strictly inside another of roots.
func coveredByOther(path string, roots []string) bool {
	for _, r := range roots {
		if r != path && authz.Inside(path, r) {
			return true
		}
	}
	return false
}

// checkEnrolmentList refuses a list of enrolments with a bad filter or a
// cursor of another list (every enrolment list is ordered by id).
func checkEnrolmentList(f EnrolmentFilter, req page.Request) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return database.CheckCursor(req, database.KeyNone)
}

func buildEnrolments(list []Enrolment, req page.Request) page.Result[Enrolment] {
	return page.Build(list, req.Limit, func(e Enrolment) page.Position { return page.Position{ID: e.ID.String()} })
}
