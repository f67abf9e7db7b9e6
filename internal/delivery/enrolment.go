package delivery

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
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

// create records a new enrolment in a locked class and opens the learner's
// learning-path step for its course, if they have one waiting.
func (s *Service) create(ctx context.Context, a access, e Enrolment) (Enrolment, error) {
	now := s.now()
	e.ID, e.ClassID, e.EnrolledAt, e.UpdatedAt = uuid.Must(uuid.NewV7()), a.class.ID, now, now
	e.ClassTitle, e.VersionID, e.CourseID = a.class.Title, a.class.VersionID, a.class.CourseID
	if e.Status == EnrolmentActive {
		e.ActivatedAt = &now
	}
	if err := s.store.createEnrolment(ctx, e); err != nil {
		return Enrolment{}, err
	}
	if err := s.store.linkPathSteps(ctx, e.UserID, a.class.CourseID, e.ID); err != nil {
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

func (ea enrolmentAccess) self() bool { return ea.enrolment.UserID == ea.actor.UserID }

func (ea enrolmentAccess) supervises() bool {
	return ea.learner.SupervisorID != nil && *ea.learner.SupervisorID == ea.actor.UserID
}

// canDecide: the learner's supervisor, or someone who may assign learners of their unit.
func (ea enrolmentAccess) canDecide() bool {
	return ea.supervises() || ea.actor.Can(authz.EnrolmentAssign, ea.learner.OrgPath)
}

func (ea enrolmentAccess) canSee() bool {
	return ea.self() || ea.canDecide() || ea.canOversee() || ea.canManage() || ea.canTeach() ||
		ea.actor.Can(authz.EnrolmentOversee, ea.learner.OrgPath)
}

// loadEnrolment loads an enrolment the caller may see; lock takes the class
// lock and then the enrolment's, for changes that move seats.
func (s *Service) loadEnrolment(ctx context.Context, id uuid.UUID, lockClass bool) (enrolmentAccess, error) {
	e, err := s.store.enrolment(ctx, id, false)
	if err != nil {
		return enrolmentAccess{}, err
	}
	if lockClass {
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
		return enrolmentAccess{}, ErrEnrolmentNotFound
	}
	return ea, nil
}

// Enrolment returns an enrolment the caller may see: their own, or one of a
// learner they supervise or oversee, or of a class they teach or oversee.
func (s *Service) Enrolment(ctx context.Context, id uuid.UUID) (Enrolment, error) {
	ea, err := s.loadEnrolment(ctx, id, false)
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
		ea, err := s.loadEnrolment(ctx, id, true)
		if err != nil {
			return err
		}
		if !ea.canDecide() {
			return authz.ErrForbidden
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
		ea, err := s.loadEnrolment(ctx, id, true)
		if err != nil {
			return err
		}
		if !ea.self() && !ea.canDecide() && !ea.canManage() {
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
// assign each learner (enrolment.assign at the learner's unit, or being their
// supervisor); every row that enrols nobody is reported with its reason. A
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
		if !a.class.Status.Open() {
			return ErrClassNotOpen
		}
		rows, err := s.resolveLearners(ctx, a.actor, in)
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
		for _, r := range rows {
			if err := s.assignOne(ctx, a, r, existing, &res); err != nil {
				return err
			}
		}
		return nil
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
func (s *Service) resolveLearners(ctx context.Context, actor *authz.Actor, in AssignInput) ([]assignRow, error) {
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
		seen := map[uuid.UUID]bool{}
		for i, id := range in.UserIDs {
			r := assignRow{row: i + 1, userID: id}
			switch l, err := s.directory.Learner(ctx, id); {
			case seen[id]:
				r.skip = SkipDuplicate
			case isNotFound(err) || err == nil && l.UserID == uuid.Nil:
				r.skip = SkipUnknownUser
			case err != nil:
				return nil, err
			default:
				r.learner, r.nip = l, l.NIP
			}
			seen[id] = true
			rows = append(rows, r)
		}
	default:
		var valid []string
		seen := map[string]bool{}
		for i, raw := range in.NIPs {
			n := normalizeNIP(raw)
			r := assignRow{row: i + 1, nip: n}
			switch {
			case !validNIP(n):
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
	for i, r := range rows {
		if r.skip != "" {
			continue
		}
		supervises := r.learner.SupervisorID != nil && *r.learner.SupervisorID == actor.UserID
		if !supervises && !actor.Can(authz.EnrolmentAssign, r.learner.OrgPath) {
			rows[i].skip = SkipOutsideSubtree
		}
	}
	return rows, nil
}

func (s *Service) assignOne(ctx context.Context, a access, r assignRow, existing map[uuid.UUID]Enrolment, res *AssignResult) error {
	skip := func(reason SkipReason, status EnrolmentStatus) {
		res.Skipped = append(res.Skipped, SkippedLearner{Row: r.row, UserID: r.userID, NIP: r.nip, Reason: reason, Status: status})
	}
	if r.skip != "" {
		skip(r.skip, "")
		return nil
	}
	status, err := s.seatStatus(ctx, a.class)
	full := errors.Is(err, ErrClassFull)
	if err != nil && !full {
		return err
	}
	now := s.now()
	e, had := existing[r.learner.UserID]
	switch {
	case had && e.Status != EnrolmentPending:
		skip(SkipAlreadyEnrolled, e.Status)
		return nil
	case full:
		skip(SkipClassFull, "")
		return nil
	case had: // a pending request: assignment approves it
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
	default:
		if e, err = s.create(ctx, a, Enrolment{UserID: r.learner.UserID, Status: status, Source: SourceAssigned,
			AssignedBy: &a.actor.UserID}); err != nil {
			return err
		}
		if err := s.recordAt(ctx, authz.EnrolmentAssign, r.learner.OrgID, r.learner.OrgPath, "enrolment.assign", "enrolment", e.ID, nil, e); err != nil {
			return err
		}
	}
	done := AssignedLearner{UserID: r.learner.UserID, NIP: r.learner.NIP, Enrolment: e}
	if e.Status == EnrolmentActive {
		res.Assigned = append(res.Assigned, done)
	} else {
		res.Waitlisted = append(res.Waitlisted, done)
	}
	return nil
}

// normalizeNIP removes the spaces, dots and dashes people write a NIP with.
func normalizeNIP(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\t', '\u00a0':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func validNIP(s string) bool {
	if len(s) != 18 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ClassEnrolments lists a class's enrolments with the learners' names, for
// its staff and those who oversee it, first come first.
func (s *Service) ClassEnrolments(ctx context.Context, classID uuid.UUID, f EnrolmentFilter, req page.Request) (page.Result[Enrolment], error) {
	if err := f.Validate(); err != nil {
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
	for i, e := range res.Items {
		l, err := s.directory.Learner(ctx, e.UserID)
		if err != nil {
			return page.Result[Enrolment]{}, err
		}
		res.Items[i].Learner = &l
	}
	return res, nil
}

// MyEnrolments lists the caller's enrolments, newest first.
func (s *Service) MyEnrolments(ctx context.Context, f EnrolmentFilter, req page.Request) (page.Result[Enrolment], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	if err := f.Validate(); err != nil {
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
	if err := f.Validate(); err != nil {
		return page.Result[Enrolment]{}, err
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
	for i, e := range res.Items {
		l, ok := team[e.UserID]
		if !ok {
			if l, err = s.directory.Learner(ctx, e.UserID); err != nil {
				return page.Result[Enrolment]{}, err
			}
		}
		res.Items[i].Learner = &l
	}
	return res, nil
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
		if l.SupervisorID != nil && *l.SupervisorID == actor.UserID {
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

func buildEnrolments(list []Enrolment, req page.Request) page.Result[Enrolment] {
	return page.Build(list, req.Limit, func(e Enrolment) page.Position { return page.Position{ID: e.ID.String()} })
}
