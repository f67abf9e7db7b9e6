package delivery

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// CreateSession schedules a session of a class. When the time clashes with
// another session one of the class's staff teaches, it is refused with the
// clashes, unless force is set.
func (s *Service) CreateSession(ctx context.Context, classID uuid.UUID, in SessionInput, force bool) (Session, error) {
	var sess Session
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.classAccess(ctx, classID, needManage)
		if err != nil {
			return err
		}
		if !a.class.Status.Open() {
			return ErrClassFinished
		}
		now := s.now()
		sess = in.apply(Session{ID: uuid.Must(uuid.NewV7()), ClassID: classID, CreatedAt: now, UpdatedAt: now})
		if err := sess.validate(a.class); err != nil {
			return err
		}
		if err := s.checkStaffClash(ctx, a.class, sess, force); err != nil {
			return err
		}
		secret, err := newSessionSecret()
		if err != nil {
			return err
		}
		if err := s.store.createSession(ctx, toSessionRow(sess, secret)); err != nil {
			return err
		}
		if err := s.sessionsChanged(ctx, classID, sess.Kind); err != nil {
			return err
		}
		return s.record(ctx, authz.ClassManage, a, "session.create", "session", sess.ID, nil, sess)
	})
	return sess, err
}

func (s *Service) checkStaffClash(ctx context.Context, c Class, sess Session, force bool) error {
	if force || !sess.Kind.TakesAttendance() || len(c.Staff) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(c.Staff))
	for i, m := range c.Staff {
		ids[i] = m.UserID
	}
	clashes, err := s.store.staffClashes(ctx, ids, sess.StartsAt, sess.EndsAt, sess.ID, sess.ID)
	if err != nil {
		return err
	}
	if len(clashes) > 0 {
		return newClashError(ErrScheduleClash, clashes)
	}
	return nil
}

// sessionAccess loads a session and its class for the caller.
func (s *Service) sessionAccess(ctx context.Context, sessionID uuid.UUID, n need) (sessionRow, access, error) {
	row, err := s.store.session(ctx, sessionID)
	if err != nil {
		return sessionRow{}, access{}, err
	}
	a, err := s.classAccess(ctx, row.ClassID, n)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return sessionRow{}, access{}, ErrSessionNotFound
	}
	if err != nil {
		return sessionRow{}, access{}, err
	}
	return row, a, nil
}

// UpdateSession moves or changes a session, with the clash check of CreateSession.
func (s *Service) UpdateSession(ctx context.Context, sessionID uuid.UUID, in SessionInput, force bool) (Session, error) {
	var after Session
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		row, a, err := s.sessionAccess(ctx, sessionID, needManage)
		if err != nil {
			return err
		}
		if !a.class.Status.Open() {
			return ErrClassFinished
		}
		before := row.toSession()
		after = in.apply(before)
		after.UpdatedAt = s.now()
		if err := after.validate(a.class); err != nil {
			return err
		}
		moved := !after.StartsAt.Equal(before.StartsAt) || !after.EndsAt.Equal(before.EndsAt) || after.Kind != before.Kind
		if moved {
			if err := s.checkStaffClash(ctx, a.class, after, force); err != nil {
				return err
			}
		}
		if err := s.store.updateSession(ctx, after); err != nil {
			return err
		}
		if after.Kind.TakesAttendance() != before.Kind.TakesAttendance() {
			if err := s.sessionsChanged(ctx, a.class.ID, before.Kind, after.Kind); err != nil {
				return err
			}
		}
		return s.record(ctx, authz.ClassManage, a, "session.update", "session", sessionID, before, after)
	})
	return after, err
}

// DeleteSession removes a session that has no attendance recorded yet.
func (s *Service) DeleteSession(ctx context.Context, sessionID uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		row, a, err := s.sessionAccess(ctx, sessionID, needManage)
		if err != nil {
			return err
		}
		has, err := s.store.hasAttendance(ctx, sessionID)
		if err != nil {
			return err
		}
		if has {
			return ErrSessionHasAttendance
		}
		if err := s.store.deleteSession(ctx, sessionID); err != nil {
			return err
		}
		if err := s.sessionsChanged(ctx, a.class.ID, SessionKind(row.Kind)); err != nil {
			return err
		}
		return s.record(ctx, authz.ClassManage, a, "session.delete", "session", sessionID, row.toSession(), nil)
	})
}

// Sessions lists a class's sessions by start time. Meeting links are shown
// only to the class's learners, its staff and those who oversee it.
func (s *Service) Sessions(ctx context.Context, classID uuid.UUID, req page.Request) (page.Result[Session], error) {
	if err := database.CheckCursor(req, database.KeyTime); err != nil {
		return page.Result[Session]{}, err
	}
	a, err := s.classAccess(ctx, classID, needSee)
	if err != nil {
		return page.Result[Session]{}, err
	}
	sessions, err := s.store.sessionsOf(ctx, classID, req)
	if err != nil {
		return page.Result[Session]{}, err
	}
	show, err := s.showsMeetingLinks(ctx, a)
	if err != nil {
		return page.Result[Session]{}, err
	}
	if !show {
		for i := range sessions {
			sessions[i].MeetingURL = ""
		}
	}
	return page.Build(sessions, req.Limit, func(x Session) page.Position {
		return page.Position{Key: x.StartsAt.Format(time.RFC3339Nano), ID: x.ID.String()}
	}), nil
}

// Session returns a session of a class the caller may see; its meeting
// link only to the class's learners, staff and those who oversee it.
func (s *Service) Session(ctx context.Context, sessionID uuid.UUID) (Session, error) {
	row, a, err := s.sessionAccess(ctx, sessionID, needSee)
	if err != nil {
		return Session{}, err
	}
	sess := row.toSession()
	show, err := s.showsMeetingLinks(ctx, a)
	if err != nil {
		return Session{}, err
	}
	if !show {
		sess.MeetingURL = ""
	}
	return sess, nil
}

// showsMeetingLinks reports whether the caller may see a class's meeting links.
func (s *Service) showsMeetingLinks(ctx context.Context, a access) (bool, error) {
	if a.canOversee() || a.canTeach() || a.canManage() {
		return true, nil
	}
	e, err := s.store.liveEnrolment(ctx, a.class.ID, a.actor.UserID)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil && e.Status.Learning(), err
}

// checkInOpen reports whether now lies in a session's check-in window: from
// CheckInLead before it starts until it ends.
func checkInOpen(sess Session, now time.Time) bool {
	return !now.Before(sess.StartsAt.Add(-CheckInLead)) && !now.After(sess.EndsAt)
}

// CheckInCode returns the session's current rotating code and its QR image,
// for the class's staff to show during the session.
func (s *Service) CheckInCode(ctx context.Context, sessionID uuid.UUID) (CheckInCode, error) {
	row, _, err := s.sessionAccess(ctx, sessionID, needTeach)
	if err != nil {
		return CheckInCode{}, err
	}
	sess := row.toSession()
	if !sess.Kind.TakesAttendance() {
		return CheckInCode{}, ErrNoAttendance
	}
	now := s.now()
	if !checkInOpen(sess, now) {
		return CheckInCode{}, ErrOutsideSessionWindow
	}
	code, expires := currentCode(row.Secret, now)
	payload := checkInPayload(sessionID, code)
	png, err := qrPNG(payload)
	if err != nil {
		return CheckInCode{}, err
	}
	return CheckInCode{Code: code, ExpiresAt: expires, QRPNG: png, Payload: payload}, nil
}

// CheckIn records the caller present at a session with the code staff show.
// It is idempotent: a learner who already has a record gets it back with
// created false. A check-in may complete the learner's enrolment.
func (s *Service) CheckIn(ctx context.Context, sessionID uuid.UUID, code string) (Attendance, bool, error) {
	if err := requireSelf(ctx); err != nil {
		return Attendance{}, false, err
	}
	// Only a session the caller may see is counted; the count is kept
	// outside the transaction, which a wrong code rolls back.
	_, a, err := s.sessionAccess(ctx, sessionID, needSee)
	if err != nil {
		return Attendance{}, false, err
	}
	release, err := s.countGuess(ctx, sessionID, a.actor.UserID)
	if err != nil {
		return Attendance{}, false, err
	}
	rec, created, err := s.checkIn(ctx, sessionID, code)
	if errors.Is(err, ErrCheckInCodeInvalid) {
		return Attendance{}, false, err
	}
	if rerr := release(ctx); rerr != nil && err == nil {
		return Attendance{}, false, rerr
	}
	return rec, created, err
}

// checkIn is CheckIn once the attempt is counted.
func (s *Service) checkIn(ctx context.Context, sessionID uuid.UUID, code string) (Attendance, bool, error) {
	var (
		rec     Attendance
		created bool
	)
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		created = false // a retried transaction starts over
		row, a, err := s.sessionAccess(ctx, sessionID, needSee)
		if err != nil {
			return err
		}
		e, err := s.store.liveEnrolment(ctx, a.class.ID, a.actor.UserID)
		if isNotFound(err) || err == nil && !e.Status.Learning() {
			return ErrNotEnrolled
		}
		if err != nil {
			return err
		}
		sess := row.toSession()
		if !sess.Kind.TakesAttendance() {
			return ErrNoAttendance
		}
		now := s.now()
		if !checkInOpen(sess, now) {
			return ErrOutsideSessionWindow
		}
		if e, err = s.store.enrolment(ctx, e.ID, true); err != nil {
			return err
		}
		if existing, err := s.store.attendance(ctx, sessionID, a.actor.UserID); err == nil {
			rec = existing
			return nil
		} else if !database.IsNotFound(err) {
			return err
		}
		if !codeValid(row.Secret, code, now) {
			return ErrCheckInCodeInvalid
		}
		if created, err = s.store.checkIn(ctx, attendanceRow{SessionID: sessionID, UserID: a.actor.UserID,
			Status: string(AttendancePresent), Method: string(MethodCheckIn), RecordedBy: &a.actor.UserID, RecordedAt: now}); err != nil {
			return err
		}
		if rec, err = s.store.attendance(ctx, sessionID, a.actor.UserID); err != nil {
			return err
		}
		if _, err = s.evaluate(ctx, e, a); err != nil {
			return err
		}
		return s.attendanceChanged(ctx, a.class.ID, []uuid.UUID{a.actor.UserID})
	})
	return rec, created, err
}

// MaxRollCall bounds the records of one roll call.
const MaxRollCall = 1000

// RollCall records attendance for learners of the session's class, by the
// class's staff. Every learner must be enrolled; a record replaces the
// learner's earlier one, check-in or not.
func (s *Service) RollCall(ctx context.Context, sessionID uuid.UUID, records []RollCallRecord) ([]Attendance, error) {
	var out []Attendance
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		row, a, err := s.sessionAccess(ctx, sessionID, needTeach)
		if err != nil {
			return err
		}
		if !SessionKind(row.Kind).TakesAttendance() {
			return ErrNoAttendance
		}
		var v apperr.Validation
		v.Check(len(records) > 0 && len(records) <= MaxRollCall, "records", "harus berisi 1 sampai 1000 catatan", "must hold 1 to 1000 records")
		ids := make([]uuid.UUID, 0, len(records))
		seen := map[uuid.UUID]bool{}
		for i, r := range records {
			field := "records[" + itoa(i) + "]"
			v.Check(slices.Contains([]AttendanceStatus{AttendancePresent, AttendanceAbsent, AttendanceExcused}, r.Status),
				field+".status", "harus present, absent atau excused", "must be present, absent or excused")
			v.Check(!seen[r.UserID], field+".user_id", "tercantum dua kali", "is listed twice")
			seen[r.UserID] = true
			ids = append(ids, r.UserID)
		}
		if err := v.Err(); err != nil {
			return err
		}
		enrolled, err := s.store.liveEnrolments(ctx, a.class.ID, ids)
		if err != nil {
			return err
		}
		for i, r := range records {
			e, ok := enrolled[r.UserID]
			v.Check(ok && e.Status.Learning(), "records["+itoa(i)+"].user_id",
				"tidak terdaftar aktif di kelas ini", "is not actively enrolled in this class")
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now()
		rows := make([]attendanceRow, len(records))
		for i, r := range records {
			rows[i] = attendanceRow{SessionID: sessionID, UserID: r.UserID, Status: string(r.Status),
				Method: string(MethodRollCall), RecordedBy: &a.actor.UserID, RecordedAt: now}
		}
		if err := s.store.recordRollCall(ctx, rows); err != nil {
			return err
		}
		if err := s.evaluateAll(ctx, a, enrolled); err != nil {
			return err
		}
		if err := s.attendanceChanged(ctx, a.class.ID, ids); err != nil {
			return err
		}
		if err := s.record(ctx, authz.ClassTeach, a, "attendance.roll_call", "session", sessionID, nil,
			map[string]any{"records": records}); err != nil {
			return err
		}
		out, err = s.store.attendanceOf(ctx, sessionID)
		return err
	})
	return out, err
}

// evaluateAll applies the completion rule to learners of a class after
// their attendance changed, reading the version once and every standing in
// a fixed number of queries however many learners there are.
func (s *Service) evaluateAll(ctx context.Context, a access, enrolled map[uuid.UUID]Enrolment) error {
	version, err := s.version(ctx, a.class)
	if errors.Is(err, ErrCourseUnavailable) {
		return nil // attendance is kept; completion waits for the course to be offered again
	}
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, 0, len(enrolled))
	for _, e := range enrolled {
		ids = append(ids, e.ID)
	}
	locked, err := s.store.lockEnrolments(ctx, ids) // in id order, so two roll calls never deadlock
	if err != nil {
		return err
	}
	users := make([]uuid.UUID, 0, len(locked))
	for _, e := range locked {
		users = append(users, e.UserID)
	}
	done, err := s.store.completedItemsOf(ctx, ids)
	if err != nil {
		return err
	}
	tallies, err := s.store.attendanceTallies(ctx, a.class.ID, users)
	if err != nil {
		return err
	}
	passed, err := s.store.gradePassed(ctx, ids)
	if err != nil {
		return err
	}
	// evaluate in the lock order (PostgreSQL orders uuids by their bytes):
	// completion may lock more rows
	slices.SortFunc(ids, func(x, y uuid.UUID) int { return bytes.Compare(x[:], y[:]) })
	for _, id := range ids {
		e, ok := locked[id]
		if !ok || !e.Status.Learning() {
			continue
		}
		st := standing{done: done[id], tally: tallies[e.UserID], gradePassed: passed[id]}
		if st.done == nil {
			st.done = map[uuid.UUID]time.Time{}
		}
		if _, err := s.evaluateWith(ctx, e, a, version, st); err != nil {
			return err
		}
	}
	return nil
}

// Attendance lists a page of a session's attendance by learner, for the
// class's staff.
func (s *Service) Attendance(ctx context.Context, sessionID uuid.UUID, req page.Request) (page.Result[Attendance], error) {
	if err := database.CheckCursor(req, database.KeyNone); err != nil {
		return page.Result[Attendance]{}, err
	}
	if _, _, err := s.sessionAccess(ctx, sessionID, needTeach); err != nil {
		return page.Result[Attendance]{}, err
	}
	rows, err := s.store.attendancePage(ctx, sessionID, req)
	if err != nil {
		return page.Result[Attendance]{}, err
	}
	return page.Build(rows, req.Limit, func(a Attendance) page.Position { return page.Position{ID: a.UserID.String()} }), nil
}

func isNotFound(err error) bool { return apperr.KindOf(err) == apperr.KindNotFound }

func itoa(i int) string { return strconv.Itoa(i) }
