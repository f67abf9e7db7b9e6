package delivery

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
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

// loadClass loads a class and its institute's path for actor, who may be
// someone other than the caller (work done for a learner) or nobody (work
// done in a task).
func (s *Service) loadClass(ctx context.Context, classID uuid.UUID, actor *authz.Actor) (access, error) {
	if actor == nil {
		actor = &authz.Actor{}
	}
	c, err := s.store.class(ctx, classID)
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

// --- classes ---

// CreateClass opens a class of a published course version at an institute
// the caller manages classes for.
func (s *Service) CreateClass(ctx context.Context, in ClassInput) (Class, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Class{}, err
	}
	var v apperr.Validation
	v.Check(in.VersionID != uuid.Nil, "version_id", "wajib diisi", "is required")
	v.Check(in.OrgID != uuid.Nil, "org_id", "wajib diisi", "is required")
	if err := v.Err(); err != nil {
		return Class{}, err
	}
	path, err := s.directory.OrgPath(ctx, in.OrgID)
	if err := authz.Decide(err == nil && actor.Can(authz.ClassRead, path), err == nil && actor.Can(authz.ClassManage, path),
		apperr.Invalid("org_id", "lembaga tidak ditemukan", "institute not found")); err != nil {
		return Class{}, err
	}
	// A version of a course not shared with the institute is reported as
	// missing, so that private courses cannot be probed.
	unusable := apperr.Invalid("version_id", "versi kursus tidak ditemukan atau belum terbit",
		"the course version does not exist or is not published")
	version, err := s.catalogue.PublishedVersion(ctx, in.VersionID)
	if err != nil || version.Archived {
		return Class{}, unusable
	}
	shared, err := s.catalogue.SharedWith(ctx, []uuid.UUID{version.CourseID}, []string{path})
	if err != nil {
		return Class{}, err
	}
	if !shared[version.CourseID] {
		return Class{}, unusable
	}
	now := s.now()
	threshold := DefaultAttendanceThreshold
	if in.AttendanceThreshold != nil {
		threshold = *in.AttendanceThreshold
	}
	title := in.Title
	if title == "" {
		title = version.Title
	}
	c := Class{
		ID: uuid.Must(uuid.NewV7()), VersionID: version.VersionID, CourseID: version.CourseID, OrgID: in.OrgID,
		Code: in.Code, Title: title, StartsOn: asDate(in.StartsOn), EndsOn: asDate(in.EndsOn),
		EnrolOpensAt: utcPtr(in.EnrolOpensAt), EnrolClosesAt: utcPtr(in.EnrolClosesAt), Capacity: in.Capacity,
		Waitlist: in.Waitlist, Policy: in.Policy, RegionCode: in.RegionCode, AttendanceThreshold: threshold,
		JPCredit: version.JPCredit, Status: ClassScheduled, CreatedBy: &actor.UserID, CreatedAt: now, UpdatedAt: now,
	}
	if err := c.validate(); err != nil {
		return Class{}, err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.createClass(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, authz.ClassManage, access{actor: actor, class: c, path: path}, "class.create", "class", c.ID, nil, c)
	})
	return c, err
}

// Class returns a class the caller may see.
func (s *Service) Class(ctx context.Context, id uuid.UUID) (Class, error) {
	a, err := s.classAccess(ctx, id, needSee)
	return a.class, err
}

// Classes lists the classes the caller may see, earliest first: their own
// and their staff's; of courses shared where the caller is (their home or
// the units they assign), those open to enrolment, and every class for
// those who assign learners; and with an org_id whose classes the caller
// may read, all of that institute's classes.
func (s *Service) Classes(ctx context.Context, f ClassFilter, req page.Request) (page.Result[Class], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Class]{}, err
	}
	if err := f.Validate(); err != nil {
		return page.Result[Class]{}, err
	}
	if err := database.CheckCursor(req, database.KeyDate); err != nil {
		return page.Result[Class]{}, err
	}
	vis := classVisibility{all: actor.IsPlatformAdmin(), assigner: assigner(actor), userID: actor.UserID}
	if !vis.all {
		if f.OrgID != uuid.Nil {
			if path, err := s.directory.OrgPath(ctx, f.OrgID); err == nil && actor.Can(authz.ClassRead, path) {
				vis.readOrg = f.OrgID
			}
		}
		// The courses of the classes listed that are shared where the caller is.
		courses, err := s.store.classCourses(ctx, f)
		if err != nil {
			return page.Result[Class]{}, err
		}
		shared, err := s.catalogue.SharedWith(ctx, courses, reachPaths(actor))
		if err != nil {
			return page.Result[Class]{}, err
		}
		vis.sharedCourses = make([]uuid.UUID, 0, len(shared))
		for id, ok := range shared {
			if ok {
				vis.sharedCourses = append(vis.sharedCourses, id)
			}
		}
	}
	classes, err := s.store.listClasses(ctx, f, vis, req)
	if err != nil {
		return page.Result[Class]{}, err
	}
	return page.Build(classes, req.Limit, func(c Class) page.Position {
		return page.Position{Key: c.StartsOn.Format(time.DateOnly), ID: c.ID.String()}
	}), nil
}

// UpdateClass changes a class's fields. A larger capacity promotes the wait
// list at once; a capacity below the seats taken is refused.
func (s *Service) UpdateClass(ctx context.Context, id uuid.UUID, p ClassPatch) (Class, error) {
	var after Class
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.lockClass(ctx, id); err != nil {
			return err
		}
		a, err := s.classAccess(ctx, id, needManage)
		if err != nil {
			return err
		}
		before := a.class
		if !before.Status.Open() {
			return ErrClassFinished
		}
		after = applyClassPatch(before, p)
		after.UpdatedAt = s.now()
		if err := after.validate(); err != nil {
			return err
		}
		if after.Capacity < before.SeatsTaken {
			return ErrCapacityBelowSeats
		}
		if err := s.store.updateClass(ctx, after); err != nil {
			return err
		}
		a.class = after
		if _, err := s.promote(ctx, a); err != nil {
			return err
		}
		if err := s.record(ctx, authz.ClassManage, a, "class.update", "class", id, before, after); err != nil {
			return err
		}
		after, err = s.store.class(ctx, id)
		return err
	})
	return after, err
}

func applyClassPatch(c Class, p ClassPatch) Class {
	if p.Code != nil {
		c.Code = *p.Code
	}
	if p.Title != nil {
		c.Title = *p.Title
	}
	if p.StartsOn != nil {
		c.StartsOn = asDate(*p.StartsOn)
	}
	if p.EndsOn != nil {
		c.EndsOn = asDate(*p.EndsOn)
	}
	if p.EnrolOpensAt != nil {
		c.EnrolOpensAt = utcPtr(p.EnrolOpensAt)
	}
	if p.ClearEnrolOpensAt {
		c.EnrolOpensAt = nil
	}
	if p.EnrolClosesAt != nil {
		c.EnrolClosesAt = utcPtr(p.EnrolClosesAt)
	}
	if p.ClearEnrolClosesAt {
		c.EnrolClosesAt = nil
	}
	if p.Capacity != nil {
		c.Capacity = *p.Capacity
	}
	if p.Waitlist != nil {
		c.Waitlist = *p.Waitlist
	}
	if p.Policy != nil {
		c.Policy = *p.Policy
	}
	if p.RegionCode != nil {
		c.RegionCode = *p.RegionCode
	}
	if p.AttendanceThreshold != nil {
		c.AttendanceThreshold = *p.AttendanceThreshold
	}
	if p.Status != nil {
		c.Status = *p.Status
	}
	return c
}

// SetStaff replaces a class's instructors and mentors. A newcomer whose
// other sessions clash with this class's is refused with the clashes,
// unless force is set.
func (s *Service) SetStaff(ctx context.Context, classID uuid.UUID, staff []Staff, force bool) (Class, error) {
	if err := validateStaff(staff); err != nil {
		return Class{}, err
	}
	var after Class
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// The class lock makes two changes of its staff take turns: the
		// second would otherwise insert rows the first just inserted.
		if err := s.store.lockClass(ctx, classID); err != nil {
			return err
		}
		a, err := s.classAccess(ctx, classID, needManage)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(staff))
		for i, m := range staff {
			ids[i] = m.UserID
		}
		known, err := s.learners(ctx, ids)
		if err != nil {
			return err
		}
		var v apperr.Validation
		var newcomers []uuid.UUID
		for i, m := range staff {
			if _, ok := known[m.UserID]; !ok {
				v.Add("staff["+itoa(i)+"].user_id", "pengguna tidak ditemukan", "user not found")
			}
			if a.class.StaffRole(m.UserID) == "" {
				newcomers = append(newcomers, m.UserID)
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if !force {
			clashes, err := s.store.staffClashesForClass(ctx, classID, newcomers)
			if err != nil {
				return err
			}
			if len(clashes) > 0 {
				return newClashError(ErrScheduleClash, clashes)
			}
		}
		if err := s.store.replaceStaff(ctx, classID, staff); err != nil {
			return err
		}
		if err := s.record(ctx, authz.ClassManage, a, "class.staff", "class", classID,
			map[string]any{"staff": a.class.Staff}, map[string]any{"staff": staff}); err != nil {
			return err
		}
		after, err = s.store.class(ctx, classID)
		return err
	})
	return after, err
}

// --- sessions ---

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

// --- attendance ---

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
		_, err = s.evaluate(ctx, e, a)
		return err
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
	// evaluate in the lock order (PostgreSQL orders uuids by their bytes):
	// completion may lock more rows
	slices.SortFunc(ids, func(x, y uuid.UUID) int { return bytes.Compare(x[:], y[:]) })
	for _, id := range ids {
		e, ok := locked[id]
		if !ok || !e.Status.Learning() {
			continue
		}
		st := standing{done: done[id], tally: tallies[e.UserID]}
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
