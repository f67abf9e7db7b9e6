package delivery

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/identity/nip"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// Assign enrols learners in a class on the caller's authority: by user id,
// a whole unit's subtree, or a list of NIPs. The caller must be allowed to
// assign each learner (enrolment.assign at the learner's unit, which a
// supervisor holds through their grant), the class's course must be shared
// with the learner's unit, and nobody assigns themselves; every row that
// enrols nobody is reported with its reason. A
// pending request of a listed learner counts as approved. Assignment skips
// the enrolment window and the learner's clash check, not the capacity.
func (s *Service) EnrolInBulk(ctx context.Context, classID uuid.UUID, in BulkEnrolInput) (BulkEnrolResult, error) {
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
		return BulkEnrolResult{}, apperr.Invalid("user_ids", "isi tepat satu dari user_ids, org_id atau daftar NIP",
			"give exactly one of user_ids, org_id or a list of NIPs")
	}
	if len(in.UserIDs) > MaxBulkEnrolment || len(in.NIPs) > MaxBulkEnrolment {
		return BulkEnrolResult{}, apperr.Invalid("user_ids", "paling banyak 2000 orang per permintaan", "at most 2000 people per request")
	}
	var res BulkEnrolResult
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res = BulkEnrolResult{}
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
func (s *Service) resolveLearners(ctx context.Context, actor *authz.Actor, courseID uuid.UUID, in BulkEnrolInput) ([]assignRow, error) {
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
		if len(learners) > MaxBulkEnrolment {
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
func (s *Service) assignAll(ctx context.Context, a access, rows []assignRow, existing map[uuid.UUID]Enrolment, taken int, res *BulkEnrolResult) error {
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
			e = newEnrolment(a, Enrolment{UserID: r.learner.UserID, Status: status, Source: SourceAssigned, AssignedBy: &a.actor.UserID,
				LearnerPath: r.learner.OrgPath}, now)
			fresh, freshRows = append(fresh, e), append(freshRows, r)
		}
		done := BulkEnrolledLearner{UserID: r.learner.UserID, NIP: r.learner.NIP, Enrolment: e}
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
