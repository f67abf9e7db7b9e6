package delivery

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// store reads and writes delivery's tables; it turns driver errors into the
// errors of this package.
type store struct{ db *database.DB }

// --- rows ---

type classRow struct {
	ID                  uuid.UUID
	VersionID           uuid.UUID
	CourseID            uuid.UUID
	OrgID               uuid.UUID
	Code                string
	Title               string
	StartsOn            time.Time
	EndsOn              time.Time
	EnrolOpensAt        *time.Time
	EnrolClosesAt       *time.Time
	Capacity            int
	Waitlist            bool
	Policy              string
	RegionCode          *string
	AttendanceThreshold float64
	JPCredit            float64 `gorm:"column:jp_credit"`
	Status              string
	CreatedBy           *uuid.UUID
	CreatedAt           time.Time
	UpdatedAt           time.Time
	SeatsTaken          int `gorm:"->;column:seats_taken"` // computed by classesWithSeats
}

func (classRow) TableName() string { return "classes" }

func (r classRow) toClass() Class {
	return Class{
		ID: r.ID, VersionID: r.VersionID, CourseID: r.CourseID, OrgID: r.OrgID, Code: r.Code, Title: r.Title,
		StartsOn: asDate(r.StartsOn), EndsOn: asDate(r.EndsOn), EnrolOpensAt: utcPtr(r.EnrolOpensAt), EnrolClosesAt: utcPtr(r.EnrolClosesAt),
		Capacity: r.Capacity, Waitlist: r.Waitlist, Policy: Policy(r.Policy), RegionCode: database.EmptyIfNull(r.RegionCode),
		AttendanceThreshold: r.AttendanceThreshold, JPCredit: r.JPCredit, Status: ClassStatus(r.Status),
		SeatsTaken: r.SeatsTaken, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func toClassRow(c Class) classRow {
	return classRow{
		ID: c.ID, VersionID: c.VersionID, CourseID: c.CourseID, OrgID: c.OrgID, Code: c.Code, Title: c.Title,
		StartsOn: asDate(c.StartsOn), EndsOn: asDate(c.EndsOn), EnrolOpensAt: c.EnrolOpensAt, EnrolClosesAt: c.EnrolClosesAt,
		Capacity: c.Capacity, Waitlist: c.Waitlist, Policy: string(c.Policy), RegionCode: database.NullIfEmpty(c.RegionCode),
		AttendanceThreshold: c.AttendanceThreshold, JPCredit: c.JPCredit, Status: string(c.Status),
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

type staffRow struct {
	ClassID uuid.UUID
	UserID  uuid.UUID
	Role    string
}

func (staffRow) TableName() string { return "class_staff" }

type sessionRow struct {
	ID         uuid.UUID
	ClassID    uuid.UUID
	Kind       string
	Title      string
	StartsAt   time.Time
	EndsAt     time.Time
	Venue      *string
	Address    *string
	MeetingURL *string `gorm:"column:meeting_url"`
	Secret     []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (sessionRow) TableName() string { return "sessions" }

func (r sessionRow) toSession() Session {
	return Session{
		ID: r.ID, ClassID: r.ClassID, Kind: SessionKind(r.Kind), Title: r.Title, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(),
		Venue: database.EmptyIfNull(r.Venue), Address: database.EmptyIfNull(r.Address), MeetingURL: database.EmptyIfNull(r.MeetingURL),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func toSessionRow(s Session, secret []byte) sessionRow {
	return sessionRow{
		ID: s.ID, ClassID: s.ClassID, Kind: string(s.Kind), Title: s.Title, StartsAt: s.StartsAt, EndsAt: s.EndsAt,
		Venue: database.NullIfEmpty(s.Venue), Address: database.NullIfEmpty(s.Address), MeetingURL: database.NullIfEmpty(s.MeetingURL), Secret: secret,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

type attendanceRow struct {
	SessionID  uuid.UUID
	UserID     uuid.UUID
	Status     string
	Method     string
	RecordedBy *uuid.UUID
	RecordedAt time.Time
}

func (attendanceRow) TableName() string { return "attendance" }

func (r attendanceRow) toAttendance() Attendance {
	return Attendance{SessionID: r.SessionID, UserID: r.UserID, Status: AttendanceStatus(r.Status),
		Method: AttendanceMethod(r.Method), RecordedBy: r.RecordedBy, RecordedAt: r.RecordedAt.UTC()}
}

type enrolmentRow struct {
	ID              uuid.UUID
	ClassID         uuid.UUID
	UserID          uuid.UUID
	Status          string
	Source          string
	AssignedBy      *uuid.UUID
	DecidedBy       *uuid.UUID
	DecidedAt       *time.Time
	PathEnrolmentID *uuid.UUID
	Progress        float64
	EnrolledAt      time.Time
	ActivatedAt     *time.Time
	CompletedAt     *time.Time
	WithdrawnAt     *time.Time
	UpdatedAt       time.Time
	// read from the join with classes
	ClassTitle string    `gorm:"->;column:class_title"`
	VersionID  uuid.UUID `gorm:"->;column:version_id"`
	CourseID   uuid.UUID `gorm:"->;column:course_id"`
}

func (enrolmentRow) TableName() string { return "enrolments" }

func (r enrolmentRow) toEnrolment() Enrolment {
	return Enrolment{
		ID: r.ID, ClassID: r.ClassID, UserID: r.UserID, Status: EnrolmentStatus(r.Status), Source: Source(r.Source),
		AssignedBy: r.AssignedBy, DecidedBy: r.DecidedBy, DecidedAt: utcPtr(r.DecidedAt), PathEnrolmentID: r.PathEnrolmentID,
		Progress: r.Progress, EnrolledAt: r.EnrolledAt.UTC(), ActivatedAt: utcPtr(r.ActivatedAt), CompletedAt: utcPtr(r.CompletedAt),
		WithdrawnAt: utcPtr(r.WithdrawnAt), UpdatedAt: r.UpdatedAt.UTC(),
		ClassTitle: r.ClassTitle, VersionID: r.VersionID, CourseID: r.CourseID,
	}
}

func toEnrolmentRow(e Enrolment) enrolmentRow {
	return enrolmentRow{
		ID: e.ID, ClassID: e.ClassID, UserID: e.UserID, Status: string(e.Status), Source: string(e.Source),
		AssignedBy: e.AssignedBy, DecidedBy: e.DecidedBy, DecidedAt: e.DecidedAt, PathEnrolmentID: e.PathEnrolmentID,
		Progress: e.Progress, EnrolledAt: e.EnrolledAt, ActivatedAt: e.ActivatedAt, CompletedAt: e.CompletedAt,
		WithdrawnAt: e.WithdrawnAt, UpdatedAt: e.UpdatedAt,
	}
}

type progressEventRow struct {
	ID          uuid.UUID
	EnrolmentID uuid.UUID
	ItemID      uuid.UUID
	Kind        string
	Value       *float64
	At          time.Time
}

func (progressEventRow) TableName() string { return "progress_events" }

type itemProgressRow struct {
	EnrolmentID uuid.UUID
	ItemID      uuid.UUID
	CompletedAt time.Time
}

func (itemProgressRow) TableName() string { return "item_progress" }

type jpCreditRow struct {
	EnrolmentID uuid.UUID
	UserID      uuid.UUID
	ClassID     uuid.UUID
	VersionID   uuid.UUID
	Year        int
	JP          float64 `gorm:"column:jp"`
	CreditedAt  time.Time
}

func (jpCreditRow) TableName() string { return "jp_credits" }

type jpLedgerRow struct {
	UserID    uuid.UUID
	Year      int
	JP        float64 `gorm:"column:jp"`
	UpdatedAt time.Time
}

func (jpLedgerRow) TableName() string { return "jp_ledger" }

type pathEnrolmentRow struct {
	ID              uuid.UUID
	PathID          uuid.UUID
	UserID          uuid.UUID
	Status          string
	CurrentPosition int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	CompletedAt     *time.Time
}

func (pathEnrolmentRow) TableName() string { return "path_enrolments" }

type pathStepRow struct {
	PathEnrolmentID uuid.UUID
	CourseID        uuid.UUID
	Position        int
	Status          string
	EnrolmentID     *uuid.UUID
	UnlockedAt      time.Time
	CompletedAt     *time.Time
}

func (pathStepRow) TableName() string { return "path_enrolment_steps" }

// conflicts turns the unique violations of delivery's tables into domain errors.
var conflicts = database.Conflicts{
	"classes_org_code_key": ErrClassCodeTaken,
	"enrolments_live_key":  ErrAlreadyEnrolled,
}

// translate turns a driver error into the domain error it means, if any.
func translate(err error) error { return conflicts.Translate(err) }

// --- classes ---

// seatStatuses are the enrolment statuses that hold a seat.
var seatStatuses = []string{string(EnrolmentActive), string(EnrolmentCompleted)}

func (s store) classesWithSeats(ctx context.Context) *gorm.DB {
	return s.db.Conn(ctx).Table("classes").Select(`classes.*, (SELECT count(*) FROM enrolments e
		WHERE e.class_id = classes.id AND e.status IN ('active', 'completed')) AS seats_taken`)
}

func (s store) createClass(ctx context.Context, c Class) error {
	r := toClassRow(c)
	if err := s.db.Conn(ctx).Omit("SeatsTaken").Create(&r).Error; err != nil {
		return fmt.Errorf("create class: %w", translate(err))
	}
	return nil
}

func (s store) updateClass(ctx context.Context, c Class) error {
	r := toClassRow(c)
	err := s.db.Conn(ctx).Model(&classRow{}).Where("id = ?", c.ID).Updates(map[string]any{
		"code": r.Code, "title": r.Title, "starts_on": r.StartsOn, "ends_on": r.EndsOn,
		"enrol_opens_at": r.EnrolOpensAt, "enrol_closes_at": r.EnrolClosesAt, "capacity": r.Capacity,
		"waitlist": r.Waitlist, "policy": r.Policy, "region_code": r.RegionCode,
		"attendance_threshold": r.AttendanceThreshold, "status": r.Status, "updated_at": r.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update class: %w", translate(err))
	}
	return nil
}

// class returns a class with its staff and seats taken.
func (s store) class(ctx context.Context, id uuid.UUID) (Class, error) {
	var r classRow
	if err := database.Take(s.classesWithSeats(ctx).Where("classes.id = ?", id), &r, ErrClassNotFound, "get class %s", id); err != nil {
		return Class{}, err
	}
	c := r.toClass()
	staff, err := s.staffOf(ctx, []uuid.UUID{id})
	if err != nil {
		return Class{}, err
	}
	c.Staff = staff[id]
	return c, nil
}

// lockClass takes the class row's lock until the transaction ends, so that
// seats are counted and given out one enrolment at a time.
func (s store) lockClass(ctx context.Context, id uuid.UUID) error {
	var ids []uuid.UUID
	err := s.db.Conn(ctx).Model(&classRow{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("id = ?", id).Pluck("id", &ids).Error
	if err != nil {
		return fmt.Errorf("lock class %s: %w", id, err)
	}
	if len(ids) == 0 {
		return ErrClassNotFound
	}
	return nil
}

// classVisibility is who is listing classes: an admin sees every class;
// others see, of the sharedCourses, the classes open to all (every class
// when they assign learners), their own and their staff's, and every class
// of readOrg when they may read it.
type classVisibility struct {
	all           bool
	assigner      bool
	sharedCourses []uuid.UUID
	userID        uuid.UUID
	readOrg       uuid.UUID
}

// filterClasses applies a class filter to q.
func filterClasses(q *gorm.DB, f ClassFilter) *gorm.DB {
	if f.VersionID != uuid.Nil {
		q = q.Where("classes.version_id = ?", f.VersionID)
	}
	if f.CourseID != uuid.Nil {
		q = q.Where("classes.course_id = ?", f.CourseID)
	}
	if f.OrgID != uuid.Nil {
		q = q.Where("classes.org_id = ?", f.OrgID)
	}
	if f.RegionCode != "" {
		q = q.Where("(classes.region_code = ? OR classes.region_code LIKE ?)", f.RegionCode, database.EscapeLike(f.RegionCode)+".%")
	}
	if f.Status != "" {
		q = q.Where("classes.status = ?", f.Status)
	}
	return q
}

// classCourses returns the courses of the classes a filter keeps.
func (s store) classCourses(ctx context.Context, f ClassFilter) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := filterClasses(s.db.Conn(ctx).Table("classes"), f).Distinct("classes.course_id").Pluck("classes.course_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("list courses of classes: %w", err)
	}
	return ids, nil
}

func (s store) listClasses(ctx context.Context, f ClassFilter, vis classVisibility, req page.Request) ([]Class, error) {
	q := s.classesWithSeats(ctx)
	if !vis.all {
		shared := "classes.course_id = ANY(?::uuid[]) AND classes.policy <> 'assigned'"
		if vis.assigner {
			shared = "classes.course_id = ANY(?::uuid[])"
		}
		cond := s.db.Conn(ctx).Where(shared, uuidArray(vis.sharedCourses)).
			Or("EXISTS (SELECT 1 FROM enrolments e WHERE e.class_id = classes.id AND e.user_id = ?)", vis.userID).
			Or("EXISTS (SELECT 1 FROM class_staff cs WHERE cs.class_id = classes.id AND cs.user_id = ?)", vis.userID)
		if vis.readOrg != uuid.Nil {
			cond = cond.Or("classes.org_id = ?", vis.readOrg)
		}
		q = q.Where(cond)
	}
	q, err := database.Keyset(filterClasses(q, f), "classes.starts_on", database.KeyDate, "classes.id", req)
	if err != nil {
		return nil, err
	}
	var rows []classRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list classes: %w", err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	staff, err := s.staffOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Class, len(rows))
	for i, r := range rows {
		out[i] = r.toClass()
		out[i].Staff = staff[r.ID]
	}
	return out, nil
}

// openClassesOfCourse returns the classes of a course a learner could join
// now by themselves, earliest first.
func (s store) openClassesOfCourse(ctx context.Context, courseID uuid.UUID, now time.Time) ([]Class, error) {
	var rows []classRow
	err := s.classesWithSeats(ctx).
		Where("classes.course_id = ? AND classes.status IN ('scheduled', 'running') AND classes.policy IN ('open', 'approval')", courseID).
		Where("(classes.enrol_opens_at IS NULL OR classes.enrol_opens_at <= ?) AND (classes.enrol_closes_at IS NULL OR classes.enrol_closes_at > ?)", now, now).
		Where(`(SELECT count(*) FROM enrolments e WHERE e.class_id = classes.id AND e.status IN ('active', 'completed')) < classes.capacity`).
		Order("classes.starts_on, classes.id").Limit(20).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("open classes of course: %w", err)
	}
	out := make([]Class, len(rows))
	for i, r := range rows {
		out[i] = r.toClass()
	}
	return out, nil
}

func (s store) staffOf(ctx context.Context, classIDs []uuid.UUID) (map[uuid.UUID][]Staff, error) {
	out := map[uuid.UUID][]Staff{}
	if len(classIDs) == 0 {
		return out, nil
	}
	var rows []staffRow
	if err := s.db.Conn(ctx).Where("class_id = ANY(?::uuid[])", uuidArray(classIDs)).Order("role, user_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list class staff: %w", err)
	}
	for _, r := range rows {
		out[r.ClassID] = append(out[r.ClassID], Staff{UserID: r.UserID, Role: StaffRole(r.Role)})
	}
	return out, nil
}

func (s store) replaceStaff(ctx context.Context, classID uuid.UUID, staff []Staff) error {
	tx := s.db.Conn(ctx)
	if err := tx.Where("class_id = ?", classID).Delete(&staffRow{}).Error; err != nil {
		return fmt.Errorf("clear class staff: %w", err)
	}
	if len(staff) == 0 {
		return nil
	}
	rows := make([]staffRow, len(staff))
	for i, m := range staff {
		rows[i] = staffRow{ClassID: classID, UserID: m.UserID, Role: string(m.Role)}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("set class staff: %w", err)
	}
	return nil
}

// --- sessions ---

func (s store) createSession(ctx context.Context, r sessionRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (s store) updateSession(ctx context.Context, sess Session) error {
	r := toSessionRow(sess, nil)
	err := s.db.Conn(ctx).Model(&sessionRow{}).Where("id = ?", sess.ID).Updates(map[string]any{
		"kind": r.Kind, "title": r.Title, "starts_at": r.StartsAt, "ends_at": r.EndsAt,
		"venue": r.Venue, "address": r.Address, "meeting_url": r.MeetingURL, "updated_at": r.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	return nil
}

func (s store) deleteSession(ctx context.Context, id uuid.UUID) error {
	if err := s.db.Conn(ctx).Delete(&sessionRow{}, "id = ?", id).Error; err != nil {
		if _, ok := database.ForeignKeyViolation(err); ok {
			return ErrSessionHasAttendance
		}
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// session returns a session with its check-in secret.
func (s store) session(ctx context.Context, id uuid.UUID) (sessionRow, error) {
	var r sessionRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrSessionNotFound, "get session %s", id); err != nil {
		return sessionRow{}, err
	}
	return r, nil
}

func (s store) sessionsOf(ctx context.Context, classID uuid.UUID, req page.Request) ([]Session, error) {
	q, err := database.Keyset(s.db.Conn(ctx).Model(&sessionRow{}).Where("class_id = ?", classID), "starts_at", database.KeyTime, "id", req)
	if err != nil {
		return nil, err
	}
	var rows []sessionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = r.toSession()
	}
	return out, nil
}

type clashRow struct {
	ID       uuid.UUID
	ClassID  uuid.UUID
	Title    string
	StartsAt time.Time
	EndsAt   time.Time
	UserID   uuid.UUID
	WithID   uuid.UUID
}

func (r clashRow) toClash() Clash {
	return Clash{SessionID: r.ID, ClassID: r.ClassID, Title: r.Title, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), UserID: r.UserID, WithID: r.WithID}
}

func toClashes(rows []clashRow) []Clash {
	out := make([]Clash, len(rows))
	for i, r := range rows {
		out[i] = r.toClash()
	}
	return out
}

// staffClashes returns the sessions taking attendance that staff members
// teach and that overlap [start, end), other than the session except.
func (s store) staffClashes(ctx context.Context, userIDs []uuid.UUID, start, end time.Time, except, with uuid.UUID) ([]Clash, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	var rows []clashRow
	err := s.db.Conn(ctx).Raw(`SELECT s.id, s.class_id, s.title, s.starts_at, s.ends_at, cs.user_id, ?::uuid AS with_id
		FROM sessions s
		JOIN class_staff cs ON cs.class_id = s.class_id
		JOIN classes c ON c.id = s.class_id
		WHERE cs.user_id = ANY(?::uuid[]) AND s.id <> ? AND s.kind <> 'self_paced' AND c.status <> 'cancelled'
		  AND tstzrange(s.starts_at, s.ends_at) && tstzrange(?, ?)
		ORDER BY s.starts_at, s.id, cs.user_id`, with, uuidArray(userIDs), except, start, end).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find staff clashes: %w", err)
	}
	return toClashes(rows), nil
}

// staffClashesForClass returns, for new staff members of a class, the other
// sessions they teach that overlap the class's sessions.
func (s store) staffClashesForClass(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) ([]Clash, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	var rows []clashRow
	err := s.db.Conn(ctx).Raw(`SELECT other.id, other.class_id, other.title, other.starts_at, other.ends_at, cs.user_id, mine.id AS with_id
		FROM sessions mine
		JOIN sessions other ON other.class_id <> mine.class_id AND other.kind <> 'self_paced'
		  AND tstzrange(other.starts_at, other.ends_at) && tstzrange(mine.starts_at, mine.ends_at)
		JOIN class_staff cs ON cs.class_id = other.class_id AND cs.user_id = ANY(?::uuid[])
		JOIN classes c ON c.id = other.class_id AND c.status <> 'cancelled'
		WHERE mine.class_id = ? AND mine.kind <> 'self_paced'
		ORDER BY other.starts_at, other.id, cs.user_id`, uuidArray(userIDs), classID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find staff clashes: %w", err)
	}
	return toClashes(rows), nil
}

// learnerClashes returns the sessions of the learner's active classes that
// overlap sessions of the class they are joining.
func (s store) learnerClashes(ctx context.Context, userID, classID uuid.UUID) ([]Clash, error) {
	var rows []clashRow
	err := s.db.Conn(ctx).Raw(`SELECT mine.id, mine.class_id, mine.title, mine.starts_at, mine.ends_at, e.user_id, target.id AS with_id
		FROM enrolments e
		JOIN sessions mine ON mine.class_id = e.class_id AND mine.kind <> 'self_paced'
		JOIN sessions target ON target.class_id = ? AND target.kind <> 'self_paced'
		  AND tstzrange(mine.starts_at, mine.ends_at) && tstzrange(target.starts_at, target.ends_at)
		WHERE e.user_id = ? AND e.status = 'active' AND e.class_id <> ?
		ORDER BY mine.starts_at, mine.id`, classID, userID, classID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find learner clashes: %w", err)
	}
	return toClashes(rows), nil
}

// --- attendance ---

// checkIn records a check-in unless the learner already has a record for
// the session; it reports whether it recorded one.
func (s store) checkIn(ctx context.Context, r attendanceRow) (bool, error) {
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil {
		return false, fmt.Errorf("record check-in: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) attendance(ctx context.Context, sessionID, userID uuid.UUID) (Attendance, error) {
	var r attendanceRow
	if err := s.db.Conn(ctx).Where("session_id = ? AND user_id = ?", sessionID, userID).Take(&r).Error; err != nil {
		return Attendance{}, fmt.Errorf("get attendance: %w", err)
	}
	return r.toAttendance(), nil
}

func (s store) recordRollCall(ctx context.Context, rows []attendanceRow) error {
	if len(rows) == 0 {
		return nil
	}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "session_id"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"status", "method", "recorded_by", "recorded_at"}),
	}).Create(&rows).Error
	if err != nil {
		return fmt.Errorf("record roll call: %w", err)
	}
	return nil
}

func (s store) attendanceOf(ctx context.Context, sessionID uuid.UUID) ([]Attendance, error) {
	var rows []attendanceRow
	if err := s.db.Conn(ctx).Where("session_id = ?", sessionID).Order("user_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list attendance: %w", err)
	}
	out := make([]Attendance, len(rows))
	for i, r := range rows {
		out[i] = r.toAttendance()
	}
	return out, nil
}

// attendancePage returns one page of a session's attendance, by learner.
func (s store) attendancePage(ctx context.Context, sessionID uuid.UUID, req page.Request) ([]Attendance, error) {
	q, err := database.Keyset(s.db.Conn(ctx).Where("session_id = ?", sessionID), "", database.KeyNone, "user_id", req)
	if err != nil {
		return nil, err
	}
	var rows []attendanceRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list attendance: %w", err)
	}
	out := make([]Attendance, len(rows))
	for i, r := range rows {
		out[i] = r.toAttendance()
	}
	return out, nil
}

func (s store) hasAttendance(ctx context.Context, sessionID uuid.UUID) (bool, error) {
	var found bool
	err := s.db.Conn(ctx).Raw("SELECT EXISTS (SELECT 1 FROM attendance WHERE session_id = ?)", sessionID).Scan(&found).Error
	return found, err
}

// tally is a learner's attendance in a class: the sessions that take
// attendance and those of them attended (present or excused).
type tally struct{ total, attended int }

// attendanceTally tallies one learner's attendance in a class.
func (s store) attendanceTally(ctx context.Context, classID, userID uuid.UUID) (tally, error) {
	t, err := s.attendanceTallies(ctx, classID, []uuid.UUID{userID})
	return t[userID], err
}

// attendanceTallies tallies the attendance of learners in a class, by user,
// in one query.
func (s store) attendanceTallies(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) (map[uuid.UUID]tally, error) {
	out := make(map[uuid.UUID]tally, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID   uuid.UUID
		Total    int
		Attended int
	}
	err := s.db.Conn(ctx).Raw(`SELECT u.user_id, count(s.id) AS total,
		count(*) FILTER (WHERE a.status IN ('present', 'excused')) AS attended
		FROM unnest(?::uuid[]) AS u(user_id)
		LEFT JOIN sessions s ON s.class_id = ? AND s.kind <> 'self_paced'
		LEFT JOIN attendance a ON a.session_id = s.id AND a.user_id = u.user_id
		GROUP BY u.user_id`, uuidArray(userIDs), classID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("tally attendance: %w", err)
	}
	for _, r := range rows {
		out[r.UserID] = tally{total: r.Total, attended: r.Attended}
	}
	return out, nil
}

// --- enrolments ---

func (s store) enrolmentsWithClass(ctx context.Context) *gorm.DB {
	return s.db.Conn(ctx).Table("enrolments").
		Select("enrolments.*, classes.title AS class_title, classes.version_id, classes.course_id").
		Joins("JOIN classes ON classes.id = enrolments.class_id")
}

// enrolmentBatch bounds the rows of one INSERT (15 parameters each, well
// under PostgreSQL's 65535).
const enrolmentBatch = 500

// createEnrolments records new enrolments, many rows per statement.
func (s store) createEnrolments(ctx context.Context, es []Enrolment) error {
	if len(es) == 0 {
		return nil
	}
	rows := make([]enrolmentRow, len(es))
	for i, e := range es {
		rows[i] = toEnrolmentRow(e)
	}
	if err := s.db.Conn(ctx).Omit("ClassTitle", "VersionID", "CourseID").CreateInBatches(&rows, enrolmentBatch).Error; err != nil {
		return fmt.Errorf("create enrolments: %w", translate(err))
	}
	return nil
}

func (s store) updateEnrolment(ctx context.Context, e Enrolment) error {
	r := toEnrolmentRow(e)
	err := s.db.Conn(ctx).Model(&enrolmentRow{}).Where("id = ?", e.ID).Updates(map[string]any{
		"status": r.Status, "assigned_by": r.AssignedBy, "decided_by": r.DecidedBy, "decided_at": r.DecidedAt,
		"path_enrolment_id": r.PathEnrolmentID, "progress": r.Progress, "activated_at": r.ActivatedAt,
		"completed_at": r.CompletedAt, "withdrawn_at": r.WithdrawnAt, "updated_at": r.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update enrolment: %w", err)
	}
	return nil
}

// enrolment returns an enrolment; lock takes its row lock until the
// transaction ends.
func (s store) enrolment(ctx context.Context, id uuid.UUID, lock bool) (Enrolment, error) {
	var r enrolmentRow
	q := s.enrolmentsWithClass(ctx).Where("enrolments.id = ?", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "enrolments"}})
	}
	if err := database.Take(q, &r, ErrEnrolmentNotFound, "get enrolment %s", id); err != nil {
		return Enrolment{}, err
	}
	return r.toEnrolment(), nil
}

// lockEnrolments returns the enrolments with the given ids under their row
// locks, taken in id order so that two callers never deadlock.
func (s store) lockEnrolments(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Enrolment, error) {
	out := map[uuid.UUID]Enrolment{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []enrolmentRow
	err := s.enrolmentsWithClass(ctx).Where("enrolments.id = ANY(?::uuid[])", uuidArray(ids)).
		Order("enrolments.id").Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "enrolments"}}).
		Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("lock enrolments: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.toEnrolment()
	}
	return out, nil
}

// liveEnrolment returns the learner's live enrolment in a class, or ErrEnrolmentNotFound.
func (s store) liveEnrolment(ctx context.Context, classID, userID uuid.UUID) (Enrolment, error) {
	var r enrolmentRow
	q := s.enrolmentsWithClass(ctx).
		Where("enrolments.class_id = ? AND enrolments.user_id = ? AND enrolments.status NOT IN ('withdrawn', 'rejected')", classID, userID)
	if err := database.Take(q, &r, ErrEnrolmentNotFound, "get enrolment"); err != nil {
		return Enrolment{}, err
	}
	return r.toEnrolment(), nil
}

// liveEnrolments returns the live enrolments in a class of the given users, by user.
func (s store) liveEnrolments(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) (map[uuid.UUID]Enrolment, error) {
	out := map[uuid.UUID]Enrolment{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []enrolmentRow
	err := s.enrolmentsWithClass(ctx).
		Where("enrolments.class_id = ? AND enrolments.user_id = ANY(?::uuid[]) AND enrolments.status NOT IN ('withdrawn', 'rejected')",
			classID, uuidArray(userIDs)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("get enrolments: %w", err)
	}
	for _, r := range rows {
		out[r.UserID] = r.toEnrolment()
	}
	return out, nil
}

// hasEnrolment reports whether the user has ever been enrolled in the class
// (in any status), which lets them see an assigned-only class.
func (s store) hasEnrolment(ctx context.Context, classID, userID uuid.UUID) (bool, error) {
	var found bool
	err := s.db.Conn(ctx).Raw("SELECT EXISTS (SELECT 1 FROM enrolments WHERE class_id = ? AND user_id = ?)", classID, userID).Scan(&found).Error
	return found, err
}

func (s store) seatsTaken(ctx context.Context, classID uuid.UUID) (int, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&enrolmentRow{}).Where("class_id = ? AND status IN ?", classID, seatStatuses).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count seats: %w", err)
	}
	return int(n), nil
}

// waitlisted returns up to n of a class's wait list, first come first.
func (s store) waitlisted(ctx context.Context, classID uuid.UUID, n int) ([]Enrolment, error) {
	var rows []enrolmentRow
	err := s.enrolmentsWithClass(ctx).Where("enrolments.class_id = ? AND enrolments.status = 'waitlisted'", classID).
		Order("enrolments.enrolled_at, enrolments.id").Limit(n).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list wait list: %w", err)
	}
	out := make([]Enrolment, len(rows))
	for i, r := range rows {
		out[i] = r.toEnrolment()
	}
	return out, nil
}

// enrolmentScope is which enrolments a list may return.
type enrolmentScope struct {
	userIDs []uuid.UUID // when not nil, only these learners'
}

func (s store) listEnrolments(ctx context.Context, f EnrolmentFilter, scope enrolmentScope, req page.Request) ([]Enrolment, error) {
	q := s.enrolmentsWithClass(ctx)
	if scope.userIDs != nil {
		q = q.Where("enrolments.user_id = ANY(?::uuid[])", uuidArray(scope.userIDs))
	}
	if f.ClassID != uuid.Nil {
		q = q.Where("enrolments.class_id = ?", f.ClassID)
	}
	if f.UserID != uuid.Nil {
		q = q.Where("enrolments.user_id = ?", f.UserID)
	}
	if f.Status != "" {
		q = q.Where("enrolments.status = ?", f.Status)
	}
	q, err := database.Keyset(q, "", database.KeyNone, "enrolments.id", req)
	if err != nil {
		return nil, err
	}
	var rows []enrolmentRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list enrolments: %w", err)
	}
	out := make([]Enrolment, len(rows))
	for i, r := range rows {
		out[i] = r.toEnrolment()
	}
	return out, nil
}

// learning reports whether the user is active in or has completed a class of the version.
func (s store) learning(ctx context.Context, userID, versionID uuid.UUID) (bool, error) {
	var found bool
	err := s.db.Conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM enrolments e JOIN classes c ON c.id = e.class_id
		WHERE e.user_id = ? AND c.version_id = ? AND e.status IN ('active', 'completed'))`, userID, versionID).Scan(&found).Error
	if err != nil {
		return false, fmt.Errorf("check enrolment: %w", err)
	}
	return found, nil
}

// courseEnrolment returns the user's most advanced live enrolment in any
// class of a course (completed before active before the rest), or ErrEnrolmentNotFound.
func (s store) courseEnrolment(ctx context.Context, userID, courseID uuid.UUID) (Enrolment, error) {
	var r enrolmentRow
	q := s.enrolmentsWithClass(ctx).
		Where("enrolments.user_id = ? AND classes.course_id = ? AND enrolments.status NOT IN ('withdrawn', 'rejected')", userID, courseID).
		Order(`CASE enrolments.status WHEN 'completed' THEN 0 WHEN 'active' THEN 1 ELSE 2 END, enrolments.id`)
	if err := database.Take(q, &r, ErrEnrolmentNotFound, "get course enrolment"); err != nil {
		return Enrolment{}, err
	}
	return r.toEnrolment(), nil
}

// --- progress ---

// recordEvent stores an event once per enrolment, item and kind; a replay
// keeps the first time and the best value.
func (s store) recordEvent(ctx context.Context, r progressEventRow) error {
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		OnConstraint: "progress_events_once",
		DoUpdates: clause.Set{{Column: clause.Column{Name: "value"},
			Value: gorm.Expr("GREATEST(progress_events.value, excluded.value)")}},
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("record progress event: %w", err)
	}
	return nil
}

func (s store) completeItem(ctx context.Context, enrolmentID, itemID uuid.UUID, at time.Time) error {
	r := itemProgressRow{EnrolmentID: enrolmentID, ItemID: itemID, CompletedAt: at}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
		return fmt.Errorf("complete item: %w", err)
	}
	return nil
}

func (s store) completedItems(ctx context.Context, enrolmentID uuid.UUID) (map[uuid.UUID]time.Time, error) {
	done, err := s.completedItemsOf(ctx, []uuid.UUID{enrolmentID})
	if err != nil {
		return nil, err
	}
	if done[enrolmentID] == nil {
		return map[uuid.UUID]time.Time{}, nil
	}
	return done[enrolmentID], nil
}

// completedItemsOf returns the items each enrolment completed, with when,
// in one query; an enrolment that completed none is absent.
func (s store) completedItemsOf(ctx context.Context, enrolmentIDs []uuid.UUID) (map[uuid.UUID]map[uuid.UUID]time.Time, error) {
	out := map[uuid.UUID]map[uuid.UUID]time.Time{}
	if len(enrolmentIDs) == 0 {
		return out, nil
	}
	var rows []itemProgressRow
	if err := s.db.Conn(ctx).Where("enrolment_id = ANY(?::uuid[])", uuidArray(enrolmentIDs)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list completed items: %w", err)
	}
	for _, r := range rows {
		if out[r.EnrolmentID] == nil {
			out[r.EnrolmentID] = map[uuid.UUID]time.Time{}
		}
		out[r.EnrolmentID][r.ItemID] = r.CompletedAt.UTC()
	}
	return out, nil
}

// creditJP credits a completed enrolment's JP to the learner's ledger,
// exactly once per enrolment; it reports whether it credited.
func (s store) creditJP(ctx context.Context, c jpCreditRow) (bool, error) {
	tx := s.db.Conn(ctx)
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&c)
	if res.Error != nil {
		return false, fmt.Errorf("record jp credit: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	err := tx.Exec(`INSERT INTO jp_ledger (user_id, year, jp, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, year) DO UPDATE SET jp = jp_ledger.jp + excluded.jp, updated_at = excluded.updated_at`,
		c.UserID, c.Year, c.JP, c.CreditedAt).Error
	if err != nil {
		return false, fmt.Errorf("credit jp ledger: %w", err)
	}
	return true, nil
}

func (s store) ledger(ctx context.Context, userID uuid.UUID, year int) (JPLedger, error) {
	l := JPLedger{UserID: userID, Year: year}
	var row jpLedgerRow
	err := s.db.Conn(ctx).Where("user_id = ? AND year = ?", userID, year).Take(&row).Error
	switch {
	case database.IsNotFound(err):
	case err != nil:
		return JPLedger{}, fmt.Errorf("get jp ledger: %w", err)
	default:
		l.JP = row.JP
	}
	var credits []jpCreditRow
	if err := s.db.Conn(ctx).Where("user_id = ? AND year = ?", userID, year).Order("credited_at, enrolment_id").Find(&credits).Error; err != nil {
		return JPLedger{}, fmt.Errorf("list jp credits: %w", err)
	}
	for _, c := range credits {
		l.Credits = append(l.Credits, JPCredit{EnrolmentID: c.EnrolmentID, ClassID: c.ClassID, VersionID: c.VersionID,
			Year: c.Year, JP: c.JP, CreditedAt: c.CreditedAt.UTC()})
	}
	return l, nil
}

// --- learning paths ---

func (s store) pathEnrolment(ctx context.Context, pathID, userID uuid.UUID, lock bool) (pathEnrolmentRow, error) {
	var r pathEnrolmentRow
	q := s.db.Conn(ctx).Where("path_id = ? AND user_id = ?", pathID, userID)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrPathNotFound, "get path enrolment"); err != nil {
		return pathEnrolmentRow{}, err
	}
	return r, nil
}

// createPathEnrolment records a path enrolment; it reports false when the
// learner is already on the path.
func (s store) createPathEnrolment(ctx context.Context, r pathEnrolmentRow) (bool, error) {
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil {
		return false, fmt.Errorf("create path enrolment: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) updatePathEnrolment(ctx context.Context, r pathEnrolmentRow) error {
	err := s.db.Conn(ctx).Model(&pathEnrolmentRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"status": r.Status, "current_position": r.CurrentPosition, "updated_at": r.UpdatedAt, "completed_at": r.CompletedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update path enrolment: %w", err)
	}
	return nil
}

func (s store) pathSteps(ctx context.Context, pathEnrolmentID uuid.UUID) (map[uuid.UUID]pathStepRow, error) {
	var rows []pathStepRow
	if err := s.db.Conn(ctx).Where("path_enrolment_id = ?", pathEnrolmentID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list path steps: %w", err)
	}
	out := make(map[uuid.UUID]pathStepRow, len(rows))
	for _, r := range rows {
		out[r.CourseID] = r
	}
	return out, nil
}

func (s store) saveStep(ctx context.Context, r pathStepRow) error {
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "path_enrolment_id"}, {Name: "course_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"position", "status", "enrolment_id", "completed_at"}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("save path step: %w", err)
	}
	return nil
}

// linkPathSteps marks the learners' open path steps of a course as
// enrolled in their new enrolments, in one statement.
func (s store) linkPathSteps(ctx context.Context, courseID uuid.UUID, es []Enrolment) error {
	if len(es) == 0 {
		return nil
	}
	users, enrolments := make(uuidArray, len(es)), make(uuidArray, len(es))
	for i, e := range es {
		users[i], enrolments[i] = e.UserID, e.ID
	}
	err := s.db.Conn(ctx).Exec(`UPDATE path_enrolment_steps st SET status = 'enrolled', enrolment_id = n.enrolment_id
		FROM path_enrolments pe, unnest(?::uuid[], ?::uuid[]) AS n(user_id, enrolment_id)
		WHERE st.path_enrolment_id = pe.id AND pe.user_id = n.user_id AND pe.status = 'active'
		  AND st.course_id = ? AND st.status = 'unlocked'`, users, enrolments, courseID).Error
	if err != nil {
		return fmt.Errorf("link path steps: %w", err)
	}
	return nil
}

// unlinkPathSteps reopens the path steps an enrolment that ended without
// completing was serving.
func (s store) unlinkPathSteps(ctx context.Context, enrolmentID uuid.UUID) error {
	err := s.db.Conn(ctx).Exec(`UPDATE path_enrolment_steps SET status = 'unlocked', enrolment_id = NULL
		WHERE enrolment_id = ? AND status = 'enrolled'`, enrolmentID).Error
	if err != nil {
		return fmt.Errorf("unlink path steps: %w", err)
	}
	return nil
}

// openPathsWithCourse returns the learner's active path enrolments that
// have a step of the course not completed yet, locked for update.
func (s store) openPathsWithCourse(ctx context.Context, userID, courseID uuid.UUID) ([]pathEnrolmentRow, error) {
	var rows []pathEnrolmentRow
	err := s.db.Conn(ctx).Raw(`SELECT pe.* FROM path_enrolments pe
		WHERE pe.user_id = ? AND pe.status = 'active' AND EXISTS (SELECT 1 FROM path_enrolment_steps st
		  WHERE st.path_enrolment_id = pe.id AND st.course_id = ? AND st.status <> 'completed')
		ORDER BY pe.id FOR UPDATE`, userID, courseID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find paths of course: %w", err)
	}
	return rows, nil
}

// --- check-in throttle ---

// countCheckInAttempt counts one check-in attempt at a session by a person
// (the nil uuid: by anyone) in the window that started last, or in a new
// window starting at now once that one has ended. It returns the attempts
// in the window and when the window started.
func (s store) countCheckInAttempt(ctx context.Context, sessionID, userID uuid.UUID, now time.Time, window time.Duration) (int, time.Time, error) {
	var r struct {
		Attempts    int
		WindowStart time.Time
	}
	cutoff := now.Add(-window)
	err := s.db.Conn(ctx).Raw(`INSERT INTO check_in_throttle AS t (session_id, user_id, window_start, attempts) VALUES (?, ?, ?, 1)
		ON CONFLICT (session_id, user_id) DO UPDATE SET
		  attempts = CASE WHEN t.window_start <= ? THEN 1 ELSE t.attempts + 1 END,
		  window_start = CASE WHEN t.window_start <= ? THEN excluded.window_start ELSE t.window_start END
		RETURNING attempts, window_start`, sessionID, userID, now, cutoff, cutoff).Scan(&r).Error
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count check-in attempt: %w", err)
	}
	return r.Attempts, r.WindowStart, nil
}

// uncountCheckInAttempt takes back an attempt that was not a wrong code,
// the person's and the session's.
func (s store) uncountCheckInAttempt(ctx context.Context, sessionID, userID uuid.UUID) error {
	err := s.db.Conn(ctx).Exec(`UPDATE check_in_throttle SET attempts = attempts - 1
		WHERE session_id = ? AND user_id IN (?, ?) AND attempts > 0`, sessionID, userID, uuid.Nil).Error
	if err != nil {
		return fmt.Errorf("take back check-in attempt: %w", err)
	}
	return nil
}

// --- helpers ---

// uuidArray binds a list of ids as one PostgreSQL array parameter (GORM
// would otherwise expand a slice into one parameter per element).
type uuidArray []uuid.UUID

// Value encodes the ids as an array literal; bind it as ?::uuid[].
func (a uuidArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.Grow(len(a)*37 + 2)
	b.WriteByte('{')
	for i, id := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id.String())
	}
	b.WriteByte('}')
	return b.String(), nil
}

func asDate(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// completionNotified reports whether the learner was told of the completion.
func (s store) completionNotified(ctx context.Context, enrolmentID uuid.UUID) (bool, error) {
	var notified bool
	err := s.db.Conn(ctx).Raw("SELECT completion_notified_at IS NOT NULL FROM enrolments WHERE id = ?", enrolmentID).Scan(&notified).Error
	if err != nil {
		return false, fmt.Errorf("read completion notice of %s: %w", enrolmentID, err)
	}
	return notified, nil
}

func (s store) markCompletionNotified(ctx context.Context, enrolmentID uuid.UUID, at time.Time) error {
	err := s.db.Conn(ctx).Exec("UPDATE enrolments SET completion_notified_at = ? WHERE id = ? AND completion_notified_at IS NULL",
		at, enrolmentID).Error
	if err != nil {
		return fmt.Errorf("note completion notice of %s: %w", enrolmentID, err)
	}
	return nil
}
