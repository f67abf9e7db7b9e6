package delivery

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// SessionKind is how a session meets.
type SessionKind string

// The kinds of session.
const (
	SessionInPerson  SessionKind = "in_person"
	SessionVirtual   SessionKind = "virtual"
	SessionSelfPaced SessionKind = "self_paced" // a window to work alone: no clash, no attendance
)

// TakesAttendance reports whether attendance is kept for sessions of the kind.
func (k SessionKind) TakesAttendance() bool { return k == SessionInPerson || k == SessionVirtual }

// Session is a meeting of a class, or a self-paced window.
type Session struct {
	ID         uuid.UUID
	ClassID    uuid.UUID
	Kind       SessionKind
	Title      string
	StartsAt   time.Time
	EndsAt     time.Time
	Venue      string
	Address    string
	MeetingURL string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SessionInput is what a client sends to schedule or move a session; nil
// fields of a change stay as they are.
type SessionInput struct {
	Kind       *SessionKind
	Title      *string
	StartsAt   *time.Time
	EndsAt     *time.Time
	Venue      *string
	Address    *string
	MeetingURL *string
}

// apply returns s changed by in.
func (in SessionInput) apply(s Session) Session {
	if in.Kind != nil {
		s.Kind = *in.Kind
	}
	if in.Title != nil {
		s.Title = *in.Title
	}
	if in.StartsAt != nil {
		s.StartsAt = in.StartsAt.UTC()
	}
	if in.EndsAt != nil {
		s.EndsAt = in.EndsAt.UTC()
	}
	if in.Venue != nil {
		s.Venue = *in.Venue
	}
	if in.Address != nil {
		s.Address = *in.Address
	}
	if in.MeetingURL != nil {
		s.MeetingURL = *in.MeetingURL
	}
	return s
}

// validate checks a session and that it lies within its class's dates
// (taken in Western Indonesian Time, the widest-used zone).
func (s *Session) validate(c Class) error {
	s.Title, s.Venue, s.Address, s.MeetingURL = strings.TrimSpace(s.Title), strings.TrimSpace(s.Venue),
		strings.TrimSpace(s.Address), strings.TrimSpace(s.MeetingURL)
	var v apperr.Validation
	v.Check(s.Kind == SessionInPerson || s.Kind == SessionVirtual || s.Kind == SessionSelfPaced, "kind",
		"harus in_person, virtual atau self_paced", "must be in_person, virtual or self_paced")
	v.Check(s.Title != "" && len(s.Title) <= 200, "title", "wajib diisi, paling banyak 200 karakter", "is required, at most 200 characters")
	v.Check(!s.StartsAt.IsZero(), "starts_at", "wajib diisi", "is required")
	v.Check(!s.EndsAt.IsZero() && s.EndsAt.After(s.StartsAt), "ends_at", "wajib diisi dan harus setelah starts_at", "is required and must be after starts_at")
	if !s.StartsAt.IsZero() && !s.EndsAt.IsZero() {
		v.Check(!s.StartsAt.Before(dayStart(c.StartsOn)) && !s.EndsAt.After(dayStart(c.EndsOn).AddDate(0, 0, 1)), "starts_at",
			"sesi harus berada dalam tanggal kelas", "the session must lie within the class's dates")
	}
	switch s.Kind {
	case SessionInPerson:
		v.Check(s.Venue != "", "venue", "wajib diisi untuk sesi tatap muka", "is required for an in-person session")
		s.MeetingURL = ""
	case SessionVirtual:
		u, err := url.Parse(s.MeetingURL)
		v.Check(err == nil && u.Scheme == "https" && u.Host != "" && len(s.MeetingURL) <= 2000, "meeting_url",
			"wajib diisi dengan alamat https", "is required and must be an https address")
		s.Venue, s.Address = "", ""
	case SessionSelfPaced:
		s.Venue, s.Address, s.MeetingURL = "", "", ""
	}
	v.Check(len(s.Venue) <= 200, "venue", "paling banyak 200 karakter", "at most 200 characters")
	v.Check(len(s.Address) <= 500, "address", "paling banyak 500 karakter", "at most 500 characters")
	checkText(&v, "title", s.Title)
	checkText(&v, "venue", s.Venue)
	checkText(&v, "address", s.Address)
	return v.Err()
}

// checkText records a problem with field unless s is text PostgreSQL
// stores: valid UTF-8 without NUL characters (JSON may carry "\u0000").
func checkText(v *apperr.Validation, field, s string) {
	v.Check(utf8.ValidString(s) && !strings.ContainsRune(s, 0), field,
		"memuat karakter yang tidak valid", "contains invalid characters")
}

// wib is Western Indonesian Time (UTC+7): class dates and JP years are read in it.
var wib = time.FixedZone("WIB", 7*60*60)

// dayStart returns the start of a date in WIB.
func dayStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, wib)
}

// jpYear returns the year (in WIB) a completion at t credits.
func jpYear(t time.Time) int { return t.In(wib).Year() }

// Clash is a session that overlaps another one a person must attend.
type Clash struct {
	SessionID uuid.UUID // the session already on the person's schedule
	ClassID   uuid.UUID
	Title     string
	StartsAt  time.Time
	EndsAt    time.Time
	UserID    uuid.UUID // whose schedule clashes
	WithID    uuid.UUID // the session being scheduled or joined
}

// ClashError is a schedule conflict (ErrScheduleClash) listing every clash.
type ClashError struct {
	Err     *apperr.Error
	Clashes []Clash
}

func newClashError(base *apperr.Error, clashes []Clash) *ClashError {
	return &ClashError{Err: base, Clashes: clashes}
}

func (e *ClashError) Error() string {
	return e.Err.Error() + " (" + strconv.Itoa(len(e.Clashes)) + " clashes)"
}

// Unwrap lets errors.Is and errors.As see the domain error.
func (e *ClashError) Unwrap() error { return e.Err }

// AttendanceStatus is whether a learner attended a session.
type AttendanceStatus string

// The attendance statuses; present and excused count toward the threshold.
const (
	AttendancePresent AttendanceStatus = "present"
	AttendanceAbsent  AttendanceStatus = "absent"
	AttendanceExcused AttendanceStatus = "excused"
)

// AttendanceMethod is how attendance was recorded.
type AttendanceMethod string

// The attendance methods.
const (
	MethodRollCall AttendanceMethod = "roll_call"
	MethodCheckIn  AttendanceMethod = "check_in"
)

// Attendance is one learner's record for one session.
type Attendance struct {
	SessionID  uuid.UUID
	UserID     uuid.UUID
	Status     AttendanceStatus
	Method     AttendanceMethod
	RecordedBy *uuid.UUID
	RecordedAt time.Time
}

// RollCallRecord is one line of a roll call.
type RollCallRecord struct {
	UserID uuid.UUID
	Status AttendanceStatus
}

// CheckInCode is the rotating code staff show learners during a session.
type CheckInCode struct {
	Code      string
	ExpiresAt time.Time
	QRPNG     []byte // a QR code of Payload
	Payload   string
}

// CheckInLead is how long before a session starts learners may check in.
const CheckInLead = 15 * time.Minute
