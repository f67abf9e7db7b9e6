package delivery

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

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
	// LearnerPath is the organisation path of the learner's unit, set on
	// enrolling and kept by identity's events (learner_path.go): the key
	// the team view selects by.
	LearnerPath string

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

// BulkEnrolInput names the learners to assign: user ids, a whole unit, or NIPs
// (from a CSV list). Exactly one of them is given.
type BulkEnrolInput struct {
	UserIDs []uuid.UUID
	OrgID   uuid.UUID
	NIPs    []string
}

// MaxBulkEnrolment bounds one assignment request; larger lists are split by the client.
const MaxBulkEnrolment = 2000

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

// BulkEnrolledLearner is one learner an assignment enrolled.
type BulkEnrolledLearner struct {
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

// BulkEnrolResult reports an assignment row by row.
type BulkEnrolResult struct {
	Assigned   []BulkEnrolledLearner
	Waitlisted []BulkEnrolledLearner
	Skipped    []SkippedLearner
}

// ProgressKind is what happened to a learner and an item.
type ProgressKind string

// The kinds of progress event.
const (
	EventViewed       ProgressKind = "viewed"
	EventVideoWatched ProgressKind = "video_watched"
	EventQuizPassed   ProgressKind = "quiz_passed"
	// EventQuizPassedRevoked records a quiz's completion taken back
	// (RevokeQuizPassed); no item is completed by it.
	EventQuizPassedRevoked ProgressKind = "quiz_passed_revoked"
	EventAssignmentGraded  ProgressKind = "assignment_graded"
	EventAttendanceMet     ProgressKind = "attendance_met"
	EventCompleted         ProgressKind = "completed" // e.g. a survey answered
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
