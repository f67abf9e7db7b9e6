package delivery

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Policy says how learners get into a class.
type Policy string

// The enrolment policies.
const (
	PolicyOpen     Policy = "open"     // anyone signed in enrols themselves
	PolicyApproval Policy = "approval" // a request waits for the learner's supervisor
	PolicyAssigned Policy = "assigned" // only assignment by someone who may assign
)

var policies = []Policy{PolicyOpen, PolicyApproval, PolicyAssigned}

// ClassStatus is where a class is in its life.
type ClassStatus string

// The statuses of a class.
const (
	ClassScheduled ClassStatus = "scheduled"
	ClassRunning   ClassStatus = "running"
	ClassClosed    ClassStatus = "closed"
	ClassCancelled ClassStatus = "cancelled"
)

var classStatuses = []ClassStatus{ClassScheduled, ClassRunning, ClassClosed, ClassCancelled}

// Open reports whether learners may still join the class.
func (s ClassStatus) Open() bool { return s == ClassScheduled || s == ClassRunning }

// StaffRole is what a staff member does in a class.
type StaffRole string

// The staff roles.
const (
	StaffInstructor StaffRole = "instructor"
	StaffMentor     StaffRole = "mentor"
)

// Staff is a person who teaches or mentors a class.
type Staff struct {
	UserID uuid.UUID
	Role   StaffRole
}

// Class is one run (cohort) of a published course version by an institute.
type Class struct {
	ID                  uuid.UUID
	VersionID           uuid.UUID
	CourseID            uuid.UUID
	OrgID               uuid.UUID // the institute that runs it
	Code                string
	Title               string
	StartsOn            time.Time // a date, midnight UTC
	EndsOn              time.Time
	EnrolOpensAt        *time.Time
	EnrolClosesAt       *time.Time
	Capacity            int
	Waitlist            bool
	Policy              Policy
	RegionCode          string
	AttendanceThreshold float64 // 0..1: the share of attended sessions needed to complete
	JPCredit            float64
	Status              ClassStatus
	Staff               []Staff
	SeatsTaken          int // active and completed enrolments
	CreatedBy           *uuid.UUID
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// EnrolmentOpen reports whether self-enrolment is open at now.
func (c Class) EnrolmentOpen(now time.Time) bool {
	return c.Status.Open() &&
		(c.EnrolOpensAt == nil || !now.Before(*c.EnrolOpensAt)) &&
		(c.EnrolClosesAt == nil || now.Before(*c.EnrolClosesAt))
}

// StaffRole returns the role of userID in the class, or "".
func (c Class) StaffRole(userID uuid.UUID) StaffRole {
	for _, s := range c.Staff {
		if s.UserID == userID {
			return s.Role
		}
	}
	return ""
}

// ClassInput is what a client sends to open a class.
type ClassInput struct {
	VersionID           uuid.UUID
	OrgID               uuid.UUID
	Code                string
	Title               string // defaults to the version's title
	StartsOn            time.Time
	EndsOn              time.Time
	EnrolOpensAt        *time.Time
	EnrolClosesAt       *time.Time
	Capacity            int
	Waitlist            bool
	Policy              Policy
	RegionCode          string
	AttendanceThreshold *float64 // nil for 0.8
}

// ClassPatch changes some fields of a class; nil fields stay.
type ClassPatch struct {
	Code                *string
	Title               *string
	StartsOn            *time.Time
	EndsOn              *time.Time
	EnrolOpensAt        *time.Time
	EnrolClosesAt       *time.Time
	ClearEnrolOpensAt   bool
	ClearEnrolClosesAt  bool
	Capacity            *int
	Waitlist            *bool
	Policy              *Policy
	RegionCode          *string
	AttendanceThreshold *float64
	Status              *ClassStatus
}

// DefaultAttendanceThreshold is the share of sessions a learner must attend
// when a class does not say.
const DefaultAttendanceThreshold = 0.8

var (
	classCodePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	regionCodePattern = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$`)
)

// validate checks a class's own fields (not its version, which needs the catalogue).
func (c *Class) validate() error {
	c.Code, c.Title, c.RegionCode = strings.TrimSpace(c.Code), strings.TrimSpace(c.Title), strings.TrimSpace(c.RegionCode)
	var v apperr.Validation
	v.Check(classCodePattern.MatchString(c.Code), "code",
		"wajib diisi: huruf, angka, titik, garis bawah atau tanda hubung, paling banyak 64",
		"is required: letters, digits, dot, underscore or hyphen, at most 64")
	v.Check(c.Title != "" && len(c.Title) <= 200, "title", "wajib diisi, paling banyak 200 karakter", "is required, at most 200 characters")
	checkText(&v, "title", c.Title)
	v.Check(!c.StartsOn.IsZero(), "starts_on", "wajib diisi", "is required")
	v.Check(!c.EndsOn.IsZero() && !c.EndsOn.Before(c.StartsOn), "ends_on",
		"wajib diisi dan tidak boleh sebelum starts_on", "is required and must not be before starts_on")
	v.Check(c.EnrolOpensAt == nil || c.EnrolClosesAt == nil || c.EnrolClosesAt.After(*c.EnrolOpensAt), "enrol_closes_at",
		"harus setelah enrol_opens_at", "must be after enrol_opens_at")
	v.Check(c.Capacity > 0 && c.Capacity <= 100000, "capacity", "harus antara 1 dan 100000", "must be between 1 and 100000")
	v.Check(slices.Contains(policies, c.Policy), "policy", "harus open, approval atau assigned", "must be open, approval or assigned")
	v.Check(c.RegionCode == "" || regionCodePattern.MatchString(c.RegionCode), "region_code",
		"harus berformat kode wilayah, mis. 32 atau 32.73", "must be a region code such as 32 or 32.73")
	v.Check(c.AttendanceThreshold >= 0 && c.AttendanceThreshold <= 1, "attendance_threshold",
		"harus antara 0 dan 1", "must be between 0 and 1")
	v.Check(slices.Contains(classStatuses, c.Status), "status",
		"harus scheduled, running, closed atau cancelled", "must be scheduled, running, closed or cancelled")
	return v.Err()
}

// validateStaff checks a class's staff list.
func validateStaff(staff []Staff) error {
	var v apperr.Validation
	seen := map[uuid.UUID]bool{}
	for i, s := range staff {
		field := "staff[" + strconv.Itoa(i) + "]"
		v.Check(s.UserID != uuid.Nil, field+".user_id", "wajib diisi", "is required")
		v.Check(s.Role == StaffInstructor || s.Role == StaffMentor, field+".role", "harus instructor atau mentor", "must be instructor or mentor")
		v.Check(!seen[s.UserID], field+".user_id", "tercantum dua kali", "is listed twice")
		seen[s.UserID] = true
	}
	v.Check(len(staff) <= 100, "staff", "paling banyak 100 orang", "at most 100 people")
	return v.Err()
}
