package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
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
	LearnerPath     string
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
		WithdrawnAt: utcPtr(r.WithdrawnAt), UpdatedAt: r.UpdatedAt.UTC(), LearnerPath: r.LearnerPath,
		ClassTitle: r.ClassTitle, VersionID: r.VersionID, CourseID: r.CourseID,
	}
}

func toEnrolmentRow(e Enrolment) enrolmentRow {
	return enrolmentRow{
		ID: e.ID, ClassID: e.ClassID, UserID: e.UserID, Status: string(e.Status), Source: string(e.Source),
		AssignedBy: e.AssignedBy, DecidedBy: e.DecidedBy, DecidedAt: e.DecidedAt, PathEnrolmentID: e.PathEnrolmentID,
		Progress: e.Progress, EnrolledAt: e.EnrolledAt, ActivatedAt: e.ActivatedAt, CompletedAt: e.CompletedAt,
		WithdrawnAt: e.WithdrawnAt, UpdatedAt: e.UpdatedAt, LearnerPath: e.LearnerPath,
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

// --- helpers ---

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
