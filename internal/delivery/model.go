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
	"slices"
	"time"

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
// passed in also implements it, the team view is paged by PostgreSQL on the
// enrolments' learner key, and identity's query confirms only the page's
// learners (team_store.go).
//
// Why a subquery handed over rather than a list of ids: a province-wide
// overseer's team is some 200,000 people; loading their ids into Go and
// sending them back as an array cost seconds and hundreds of MiB per
// request. Why not a join on identity's tables here: delivery does not know
// them. Identity writes the SQL that selects the team (it owns the tables and
// their indexes), delivery only narrows it to the page's learners.
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
