// Package delivery runs courses for learners: classes (cohorts) of a
// published course version run by any institute, their sessions in person,
// online or self-paced with attendance, enrolment (self, by approval, assigned
// one by one, by unit or from a CSV list, with a wait list), progress through
// a version's items, completion with the JP (training hours) it credits, and
// learning paths that enrol a learner course after course.
//
// Delivery owns its tables and reaches the catalogue and the directory of
// people through the small interfaces declared here; cmd wires the other
// domains' services in.
package delivery

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// --- what delivery needs from other domains ---

// CourseVersion is what delivery needs of a published course version.
type CourseVersion struct {
	VersionID    uuid.UUID
	CourseID     uuid.UUID
	OrgID        uuid.UUID
	Title        string
	JPCredit     float64
	DeliveryMode string
	// Archived is true for a version superseded or whose course was
	// archived: classes that run it go on, new classes may not pin it.
	Archived bool
	Items    []CourseItem
}

// Item returns the version's item with id, and whether there is one.
func (v CourseVersion) Item(id uuid.UUID) (CourseItem, bool) {
	for _, it := range v.Items {
		if it.ID == id {
			return it, true
		}
	}
	return CourseItem{}, false
}

// The kinds of course item.
const (
	ItemVideo       = "video"
	ItemDocument    = "document"
	ItemText        = "text"
	ItemLink        = "link"
	ItemLiveSession = "live_session"
	ItemQuiz        = "quiz"
	ItemAssignment  = "assignment"
	ItemSurvey      = "survey"
)

// CourseItem is one content item of a version, with its release rule.
type CourseItem struct {
	ID                 uuid.UUID
	Kind               string // video|document|text|link|live_session|quiz|assignment|survey
	Required           bool
	ReleaseAt          *time.Time // not before this time
	ReleaseAfterItemID *uuid.UUID // not before that item is completed
}

// PathStep is one course of a learning path. A step with prerequisites
// opens when those courses are completed; a step without opens when every
// step at an earlier position is, so a path without prerequisites runs in
// order and steps at one position run side by side.
type PathStep struct {
	CourseID      uuid.UUID
	Position      int
	Prerequisites []uuid.UUID // course ids, of earlier steps
}

// Catalogue is what delivery needs of the course catalogue.
type Catalogue interface {
	// PublishedVersion returns a published version; an error for any other.
	PublishedVersion(ctx context.Context, versionID uuid.UUID) (CourseVersion, error)
	// PathSteps returns the steps of a learning path.
	PathSteps(ctx context.Context, pathID uuid.UUID) ([]PathStep, error)
	// SeePath reports an error when the caller in ctx may not see the
	// learning path, under its sharing: a path is joined only where it is seen.
	SeePath(ctx context.Context, pathID uuid.UUID) error
	// SharedWith returns which of courseIDs an organisation at any of
	// orgPaths may use under the course's sharing: a class of a course may
	// be opened, seen and joined only where the course is shared.
	SharedWith(ctx context.Context, courseIDs []uuid.UUID, orgPaths []string) (map[uuid.UUID]bool, error)
}

// Learner is a person as delivery sees them.
type Learner struct {
	UserID       uuid.UUID
	OrgID        uuid.UUID
	OrgPath      string
	SupervisorID *uuid.UUID
	Name         string
	Email        string
	NIP          string
}

// Directory is what delivery needs of the directory of people and units.
type Directory interface {
	OrgPath(ctx context.Context, orgID uuid.UUID) (string, error)
	Learner(ctx context.Context, userID uuid.UUID) (Learner, error)
	// LearnersInOrg returns the active users of a unit's whole subtree.
	LearnersInOrg(ctx context.Context, orgID uuid.UUID) ([]Learner, error)
	// LearnersByNIP returns the users with the given NIPs, by NIP; unknown NIPs are absent.
	LearnersByNIP(ctx context.Context, nips []string) (map[string]Learner, error)
}

// ReportsDirectory is an optional extension of a Directory: when the
// Directory passed in also implements it, the team view asks it for a
// supervisor's direct reports instead of scanning the supervisor's home
// organisation for them.
type ReportsDirectory interface {
	DirectReports(ctx context.Context, supervisorID uuid.UUID) ([]Learner, error)
}

// TeamDirectory is an optional extension of a Directory: when the Directory
// passed in also implements it, the team view is one query that PostgreSQL
// filters and pages, and only the page's learners are looked up.
//
// Why a subquery handed over rather than a list of ids: a province-wide
// overseer's team is some 200,000 people; loading their ids into Go and
// sending them back as an array cost seconds and hundreds of MiB per
// request. Why not a join on identity's tables here: delivery does not know
// them. Identity writes the SQL that selects the team (it owns the tables and
// their indexes), delivery only places it in "enrolments.user_id IN (…)".
type TeamDirectory interface {
	// TeamQuery returns a query of one column, the ids of the active people
	// in the subtrees at roots (nobody when roots is empty) other than
	// exclude, built on ctx's connection so it joins ctx's transaction.
	TeamQuery(ctx context.Context, roots []string, exclude uuid.UUID) *gorm.DB
}

// LearnersDirectory is an optional extension of a Directory: when the
// Directory passed in also implements it, assignments by user id, staff
// lists and enrolment lists look their people up in one call instead of one
// call per person.
type LearnersDirectory interface {
	// Learners returns the users with the given ids, by id; unknown ids are absent.
	Learners(ctx context.Context, userIDs []uuid.UUID) (map[uuid.UUID]Learner, error)
}

// Auditor records changes; the audit service provides it.
type Auditor interface {
	Record(ctx context.Context, perm authz.Permission, c audit.Change) error
}

// --- classes ---

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

// --- sessions ---

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

// --- attendance ---

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

// --- enrolment ---

// EnrolmentStatus is where an enrolment is.
type EnrolmentStatus string

// The statuses of an enrolment.
const (
	EnrolmentPending    EnrolmentStatus = "pending_approval"
	EnrolmentWaitlisted EnrolmentStatus = "waitlisted"
	EnrolmentActive     EnrolmentStatus = "active"
	EnrolmentWithdrawn  EnrolmentStatus = "withdrawn"
	EnrolmentCompleted  EnrolmentStatus = "completed"
	EnrolmentRejected   EnrolmentStatus = "rejected"
)

var enrolmentStatuses = []EnrolmentStatus{EnrolmentPending, EnrolmentWaitlisted, EnrolmentActive, EnrolmentWithdrawn, EnrolmentCompleted, EnrolmentRejected}

// Live reports whether the enrolment still counts (not withdrawn or rejected).
func (s EnrolmentStatus) Live() bool { return s != EnrolmentWithdrawn && s != EnrolmentRejected }

// Learning reports whether the learner may learn: active or completed.
func (s EnrolmentStatus) Learning() bool { return s == EnrolmentActive || s == EnrolmentCompleted }

// Source says how an enrolment came to be.
type Source string

// The sources of an enrolment.
const (
	SourceSelf     Source = "self"
	SourceAssigned Source = "assigned"
	SourcePath     Source = "path"
)

// Enrolment is a learner in a class.
type Enrolment struct {
	ID              uuid.UUID
	ClassID         uuid.UUID
	UserID          uuid.UUID
	Status          EnrolmentStatus
	Source          Source
	AssignedBy      *uuid.UUID
	DecidedBy       *uuid.UUID // who approved or rejected the request
	DecidedAt       *time.Time
	PathEnrolmentID *uuid.UUID
	Progress        float64 // share of required items completed, 0..1
	EnrolledAt      time.Time
	ActivatedAt     *time.Time
	CompletedAt     *time.Time
	WithdrawnAt     *time.Time
	UpdatedAt       time.Time

	// Read with the enrolment for lists.
	ClassTitle string
	VersionID  uuid.UUID
	CourseID   uuid.UUID
	Learner    *Learner // in staff and team views
}

// EnrolmentFilter narrows a list of enrolments.
type EnrolmentFilter struct {
	Status  EnrolmentStatus
	ClassID uuid.UUID
	UserID  uuid.UUID
}

// Validate checks the filter's fields.
func (f EnrolmentFilter) Validate() error {
	if f.Status != "" && !slices.Contains(enrolmentStatuses, f.Status) {
		return apperr.Invalid("status", "status pendaftaran tidak dikenal", "unknown enrolment status")
	}
	return nil
}

// AssignInput names the learners to assign: user ids, a whole unit, or NIPs
// (from a CSV list). Exactly one of them is given.
type AssignInput struct {
	UserIDs []uuid.UUID
	OrgID   uuid.UUID
	NIPs    []string
}

// MaxAssignment bounds one assignment request; larger lists are split by the client.
const MaxAssignment = 2000

// SkipReason says why a learner of an assignment was not enrolled.
type SkipReason string

// The reasons an assignment skips a learner. Someone the caller may not
// assign is reported exactly like someone who does not exist, so an
// assignment cannot be used to find out who holds a NIP.
const (
	SkipUnknownUser     SkipReason = "unknown_user"
	SkipUnknownNIP      SkipReason = "unknown_nip"
	SkipInvalidNIP      SkipReason = "invalid_nip"
	SkipAlreadyEnrolled SkipReason = "already_enrolled"
	SkipClassFull       SkipReason = "class_full"
	SkipDuplicate       SkipReason = "duplicate"
	SkipNotShared       SkipReason = "course_not_shared"
	SkipSelf            SkipReason = "self"
)

var skipMessages = map[SkipReason]apperr.Text{
	SkipUnknownUser:     {ID: "Tidak ada pengguna ini di antara pegawai yang dapat Anda tugaskan.", EN: "No such user among the people you may assign."},
	SkipUnknownNIP:      {ID: "Tidak ada pegawai dengan NIP ini yang dapat Anda tugaskan.", EN: "No one you may assign has this NIP."},
	SkipInvalidNIP:      {ID: "NIP tidak valid (18 digit, tanggal dan kode yang sah).", EN: "Not a valid NIP (18 digits, valid dates and codes)."},
	SkipAlreadyEnrolled: {ID: "Pegawai sudah terdaftar di kelas ini.", EN: "The person is already enrolled in this class."},
	SkipClassFull:       {ID: "Kelas penuh dan tidak memiliki daftar tunggu.", EN: "The class is full and has no wait list."},
	SkipDuplicate:       {ID: "Tercantum lebih dari sekali.", EN: "Listed more than once."},
	SkipNotShared: {ID: "Kursus kelas ini tidak dibagikan ke unit pegawai tersebut.",
		EN: "The class's course is not shared with the person's unit."},
	SkipSelf: {ID: "Anda tidak dapat menugaskan diri sendiri; daftarlah sendiri atau minta atasan Anda.",
		EN: "You cannot assign yourself; enrol by yourself or ask your supervisor."},
}

// Message returns the human text of the reason.
func (r SkipReason) Message() apperr.Text { return skipMessages[r] }

// AssignedLearner is one learner an assignment enrolled.
type AssignedLearner struct {
	UserID    uuid.UUID
	NIP       string
	Enrolment Enrolment
}

// SkippedLearner is one row of an assignment that enrolled nobody.
type SkippedLearner struct {
	Row    int // 1-based position in the request's list
	UserID uuid.UUID
	NIP    string
	Reason SkipReason
	Status EnrolmentStatus // the existing enrolment's status, for already_enrolled
}

// AssignResult reports an assignment row by row.
type AssignResult struct {
	Assigned   []AssignedLearner
	Waitlisted []AssignedLearner
	Skipped    []SkippedLearner
}

// --- progress ---

// ProgressKind is what happened to a learner and an item.
type ProgressKind string

// The kinds of progress event.
const (
	EventViewed           ProgressKind = "viewed"
	EventVideoWatched     ProgressKind = "video_watched"
	EventQuizPassed       ProgressKind = "quiz_passed"
	EventAssignmentGraded ProgressKind = "assignment_graded"
	EventAttendanceMet    ProgressKind = "attendance_met"
	EventCompleted        ProgressKind = "completed" // e.g. a survey answered
)

// VideoCompleteRatio is the share of a video a learner must watch.
const VideoCompleteRatio = 0.9

// completes reports whether an event of kind with value completes an item.
func completes(item CourseItem, kind ProgressKind, value float64) bool {
	switch kind {
	case EventViewed:
		return item.Kind == ItemText || item.Kind == ItemDocument || item.Kind == ItemLink
	case EventVideoWatched:
		return item.Kind == ItemVideo && value >= VideoCompleteRatio
	case EventQuizPassed:
		return item.Kind == ItemQuiz
	case EventAssignmentGraded:
		return item.Kind == ItemAssignment
	case EventAttendanceMet:
		return item.Kind == ItemLiveSession
	case EventCompleted:
		return item.Kind == ItemSurvey
	}
	return false
}

// ProgressInput is an event a learner reports about an item.
type ProgressInput struct {
	ItemID       uuid.UUID
	Event        ProgressKind
	WatchedRatio *float64
}

func (in ProgressInput) validate(v CourseVersion) (CourseItem, error) {
	var val apperr.Validation
	item, ok := v.Item(in.ItemID)
	val.Check(ok, "item_id", "bukan materi dari kursus ini", "is not an item of this course")
	switch in.Event {
	case EventViewed:
		val.Check(in.WatchedRatio == nil, "watched_ratio", "hanya untuk video_watched", "only for video_watched")
	case EventVideoWatched:
		val.Check(!ok || item.Kind == ItemVideo, "event", "video_watched hanya untuk materi video", "video_watched is only for video items")
		val.Check(in.WatchedRatio != nil && *in.WatchedRatio >= 0 && *in.WatchedRatio <= 1, "watched_ratio",
			"wajib diisi, antara 0 dan 1", "is required, between 0 and 1")
	default:
		val.Add("event", "harus viewed atau video_watched", "must be viewed or video_watched")
	}
	return item, val.Err()
}

// ItemState is a learner's state on one item.
type ItemState struct {
	ItemID      uuid.UUID
	Kind        string
	Required    bool
	Released    bool
	CompletedAt *time.Time
}

// Progress is a learner's state in a class.
type Progress struct {
	Enrolment          Enrolment
	Items              []ItemState
	RequiredDone       int
	RequiredTotal      int
	SessionsTotal      int // sessions that take attendance
	SessionsAttended   int // present or excused
	AttendanceRatio    float64
	AttendanceRequired float64
}

// JPCredit is one credit of training hours for a completed enrolment.
type JPCredit struct {
	EnrolmentID uuid.UUID
	ClassID     uuid.UUID
	VersionID   uuid.UUID
	Year        int
	JP          float64
	CreditedAt  time.Time
}

// JPLedger is a learner's training hours in a year.
type JPLedger struct {
	UserID  uuid.UUID
	Year    int
	JP      float64
	Credits []JPCredit
}

// --- learning paths ---

// StepStatus is where a learner is on one step of a path.
type StepStatus string

// The statuses of a path step.
const (
	StepLocked    StepStatus = "locked"
	StepUnlocked  StepStatus = "unlocked" // open, but no class could be joined yet
	StepEnrolled  StepStatus = "enrolled"
	StepCompleted StepStatus = "completed"
)

// PathEnrolment is a learner on a learning path.
type PathEnrolment struct {
	ID              uuid.UUID
	PathID          uuid.UUID
	UserID          uuid.UUID
	Status          string // active|completed
	CurrentPosition int
	Steps           []PathStepState
	CreatedAt       time.Time
	CompletedAt     *time.Time
}

// PathStepState is a learner's state on one step of a path.
type PathStepState struct {
	CourseID    uuid.UUID
	Position    int
	Status      StepStatus
	EnrolmentID *uuid.UUID
	CompletedAt *time.Time
}

// --- errors ---

// Errors of this package.
var (
	ErrClassNotFound = apperr.New(apperr.KindNotFound, "delivery.class_not_found",
		"Kelas tidak ditemukan.", "Class not found.")
	ErrSessionNotFound = apperr.New(apperr.KindNotFound, "delivery.session_not_found",
		"Sesi tidak ditemukan.", "Session not found.")
	ErrEnrolmentNotFound = apperr.New(apperr.KindNotFound, "delivery.enrolment_not_found",
		"Pendaftaran tidak ditemukan.", "Enrolment not found.")
	ErrNotEnrolled = apperr.New(apperr.KindNotFound, "delivery.not_enrolled",
		"Anda tidak terdaftar aktif di kelas sesi ini.", "You are not actively enrolled in this session's class.")
	ErrPathNotFound = apperr.New(apperr.KindNotFound, "delivery.path_not_found",
		"Jalur belajar tidak ditemukan.", "Learning path not found.")
	ErrClassCodeTaken = apperr.New(apperr.KindConflict, "delivery.class_code_taken",
		"Kode kelas sudah dipakai oleh lembaga ini.", "The institute already has a class with this code.")
	ErrAlreadyEnrolled = apperr.New(apperr.KindConflict, "delivery.already_enrolled",
		"Peserta sudah terdaftar di kelas ini.", "The learner is already enrolled in this class.")
	ErrClassFull = apperr.New(apperr.KindConflict, "delivery.class_full",
		"Kelas sudah penuh.", "The class is full.")
	ErrAssignmentOnly = apperr.New(apperr.KindConflict, "delivery.assignment_only",
		"Kelas ini hanya dapat diikuti melalui penugasan.", "Learners join this class only by assignment.")
	ErrEnrolmentClosed = apperr.New(apperr.KindConflict, "delivery.enrolment_closed",
		"Pendaftaran kelas ini sedang tidak dibuka.", "Enrolment in this class is not open.")
	ErrClassNotOpen = apperr.New(apperr.KindConflict, "delivery.class_not_open",
		"Kelas sudah ditutup atau dibatalkan.", "The class is closed or cancelled.")
	ErrOwnRequest = apperr.New(apperr.KindForbidden, "delivery.own_request",
		"Anda tidak dapat memutuskan permintaan pendaftaran Anda sendiri; atasan Anda atau pengelola unit yang memutuskannya.",
		"You cannot decide your own enrolment request; your supervisor or your unit's administrator decides it.")
	ErrSelfScope = apperr.New(apperr.KindForbidden, "delivery.self_scope",
		"Token API ini tidak mencakup izin learning.self untuk belajar atas nama pemiliknya.",
		"This API token does not carry learning.self, which acting as its owner's learning needs.")
	ErrCheckInThrottled = apperr.New(apperr.KindRateLimited, "delivery.check_in_throttled",
		"Terlalu banyak kode presensi yang salah; coba lagi nanti atau minta pengajar mencatat kehadiran Anda.",
		"Too many wrong check-in codes; try again later or ask the instructor to record your attendance.")
	ErrNotPending = apperr.New(apperr.KindConflict, "delivery.not_pending",
		"Pendaftaran ini tidak sedang menunggu persetujuan.", "The enrolment is not awaiting approval.")
	ErrCannotWithdraw = apperr.New(apperr.KindConflict, "delivery.cannot_withdraw",
		"Pendaftaran ini sudah selesai atau berakhir.", "The enrolment has already finished or ended.")
	ErrScheduleClash = apperr.New(apperr.KindConflict, "delivery.schedule_clash",
		"Jadwal bentrok dengan sesi lain.", "The schedule clashes with other sessions.")
	ErrOutsideSessionWindow = apperr.New(apperr.KindConflict, "delivery.outside_session_window",
		"Di luar waktu sesi.", "Outside the session's time.")
	ErrNoAttendance = apperr.New(apperr.KindConflict, "delivery.no_attendance",
		"Sesi mandiri tidak mencatat kehadiran.", "Self-paced sessions take no attendance.")
	ErrCheckInCodeInvalid = apperr.New(apperr.KindInvalid, "delivery.check_in_code_invalid",
		"Kode presensi salah atau sudah kedaluwarsa.", "The check-in code is wrong or has expired.")
	ErrItemNotReleased = apperr.New(apperr.KindConflict, "delivery.item_not_released",
		"Materi ini belum dibuka.", "This item is not released yet.")
	ErrEnrolmentNotActive = apperr.New(apperr.KindConflict, "delivery.enrolment_not_active",
		"Pendaftaran belum atau tidak lagi aktif.", "The enrolment is not active.")
	ErrSessionHasAttendance = apperr.New(apperr.KindConflict, "delivery.session_has_attendance",
		"Sesi sudah memiliki catatan kehadiran.", "The session already has attendance records.")
	ErrCapacityBelowSeats = apperr.New(apperr.KindConflict, "delivery.capacity_below_seats",
		"Kapasitas tidak boleh di bawah jumlah peserta aktif.", "The capacity cannot be below the number of active learners.")
	ErrClassFinished = apperr.New(apperr.KindConflict, "delivery.class_finished",
		"Kelas yang sudah ditutup atau dibatalkan tidak dapat diubah.", "A closed or cancelled class cannot be changed.")
	ErrCourseUnavailable = apperr.New(apperr.KindConflict, "delivery.course_unavailable",
		"Versi kursus kelas ini tidak lagi tersedia di katalog.", "The course version this class runs is no longer in the catalogue.")
	ErrPathEmpty = apperr.New(apperr.KindConflict, "delivery.path_empty",
		"Jalur belajar belum memiliki kursus.", "The learning path has no courses yet.")
)

// ClassFilter narrows a list of classes.
type ClassFilter struct {
	VersionID  uuid.UUID
	CourseID   uuid.UUID
	OrgID      uuid.UUID
	RegionCode string // the region or any region inside it ("32" matches "32.73")
	Status     ClassStatus
}

// Validate checks the filter's fields.
func (f ClassFilter) Validate() error {
	var v apperr.Validation
	v.Check(f.RegionCode == "" || regionCodePattern.MatchString(f.RegionCode), "region_code",
		"harus berformat kode wilayah, mis. 32 atau 32.73", "must be a region code such as 32 or 32.73")
	v.Check(f.Status == "" || slices.Contains(classStatuses, f.Status), "status",
		"harus scheduled, running, closed atau cancelled", "must be scheduled, running, closed or cancelled")
	return v.Err()
}
