// Package course holds the catalogue and the curriculum: courses owned by an
// organisation, their versions (a published version never changes; edits go
// to a new draft, and classes pin a version), the modules, lessons and content
// items of each version, the quality review that publishes a version, the
// national catalogue with its sharing rules and similar-programme detection,
// and learning paths of ordered courses with prerequisites.
package course

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Sharing says who sees a published course (or a learning path) in the
// catalogue besides the owning organisation's subtree.
type Sharing string

// The sharing modes.
const (
	SharingNational Sharing = "national" // every signed-in user in the country
	SharingListed   Sharing = "listed"   // the subtrees of the listed organisations
	SharingPrivate  Sharing = "private"  // the owner's subtree only
)

var sharings = []Sharing{SharingNational, SharingListed, SharingPrivate}

// VersionStatus is where a version is in its life.
type VersionStatus string

// The statuses of a version. Draft and changes_requested are the only ones
// that may be edited; published and archived versions never change.
const (
	StatusDraft            VersionStatus = "draft"
	StatusInReview         VersionStatus = "in_review"
	StatusChangesRequested VersionStatus = "changes_requested"
	StatusPublished        VersionStatus = "published"
	StatusArchived         VersionStatus = "archived" // superseded: readable, kept by the classes that pinned it, closed to new ones
)

// Editable reports whether a version in this status may be changed.
func (s VersionStatus) Editable() bool { return s == StatusDraft || s == StatusChangesRequested }

// Open reports whether the version is the course's open draft (at most one).
func (s VersionStatus) Open() bool {
	return s == StatusDraft || s == StatusInReview || s == StatusChangesRequested
}

// WasPublished reports whether the version has been published, now or before.
func (s VersionStatus) WasPublished() bool { return s == StatusPublished || s == StatusArchived }

// Language is the language a course is taught in.
type Language string

// The languages.
const (
	LanguageIndonesian Language = "id"
	LanguageEnglish    Language = "en"
)

var languages = []Language{LanguageIndonesian, LanguageEnglish}

// DeliveryMode is how a course is delivered.
type DeliveryMode string

// The delivery modes.
const (
	ModeOnline    DeliveryMode = "online"
	ModeBlended   DeliveryMode = "blended"
	ModeClassroom DeliveryMode = "classroom"
)

var deliveryModes = []DeliveryMode{ModeOnline, ModeBlended, ModeClassroom}

// Level is how advanced a course is.
type Level string

// The levels.
const (
	LevelBasic        Level = "basic"
	LevelIntermediate Level = "intermediate"
	LevelAdvanced     Level = "advanced"
)

var levels = []Level{LevelBasic, LevelIntermediate, LevelAdvanced}

// ItemKind is the kind of a content item.
type ItemKind string

// The kinds of content item.
const (
	KindVideo       ItemKind = "video"        // an uploaded video (file_id)
	KindDocument    ItemKind = "document"     // an uploaded document (file_id)
	KindText        ItemKind = "text"         // rich text, sanitized HTML (body)
	KindLink        ItemKind = "link"         // an external http(s) page (url)
	KindLiveSession ItemKind = "live_session" // a virtual or face-to-face session; the class schedules it (optional url)
	KindQuiz        ItemKind = "quiz"         // a quiz of the quiz package (optional ref_id)
	KindAssignment  ItemKind = "assignment"   // a project assignment (optional ref_id)
	KindSurvey      ItemKind = "survey"       // a reaction survey (optional ref_id)
)

var itemKinds = []ItemKind{KindVideo, KindDocument, KindText, KindLink, KindLiveSession, KindQuiz, KindAssignment, KindSurvey}

// HasMedia reports whether items of the kind carry an uploaded file.
func (k ItemKind) HasMedia() bool { return k == KindVideo || k == KindDocument }

// Assessed reports whether items of the kind assess the learner.
func (k ItemKind) Assessed() bool { return k == KindQuiz || k == KindAssignment }

func (k ItemKind) takesRef() bool { return k == KindQuiz || k == KindAssignment || k == KindSurvey }

func (k ItemKind) takesURL() bool { return k == KindLink || k == KindLiveSession }

// Decision is a reviewer's verdict on a version in review.
type Decision string

// The decisions.
const (
	DecisionApprove        Decision = "approve"         // publishes the version
	DecisionRequestChanges Decision = "request_changes" // sends it back to the authors
)

// Course is a programme owned by an organisation. Its content lives in
// versions; the course carries what does not change with them.
type Course struct {
	ID                 uuid.UUID
	OrgID              uuid.UUID
	Code               string
	Sharing            Sharing
	SharedOrgIDs       []uuid.UUID // for SharingListed
	CreatedBy          uuid.UUID
	PublishedVersionID *uuid.UUID // the version new classes pin
	ArchivedAt         *time.Time
	ArchivedBy         *uuid.UUID
	CreatedAt          time.Time
	UpdatedAt          time.Time

	Published *Version // the current published version, without curriculum
	Open      *Version // the open draft, shown only to the course's staff
}

// Version is one edition of a course's content.
type Version struct {
	ID             uuid.UUID
	CourseID       uuid.UUID
	Number         int
	Status         VersionStatus
	Title          string
	Summary        string
	Language       Language
	Objectives     []string
	CompetencyTags []string // codes of the competencies the course develops
	Tags           []string // free keywords for the catalogue
	DeliveryMode   DeliveryMode
	JPCredit       float64 // training hours (jam pelajaran); 0 until set
	Level          Level
	CoverFileID    *uuid.UUID
	LockVersion    int // grows with every change; the ETag
	CreatedBy      uuid.UUID
	SubmittedAt    *time.Time
	SubmittedBy    *uuid.UUID
	PublishedAt    *time.Time
	PublishedBy    *uuid.UUID
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Modules []Module // the curriculum, when loaded
	// ContentHidden says item bodies, links and files were left out: the
	// caller may see the outline in the catalogue but does not learn in it.
	ContentHidden bool
}

// ETag is the version's entity tag for If-Match.
func (v Version) ETag() string { return fmt.Sprintf(`"%d"`, v.LockVersion) }

// Module is a part of a version's curriculum.
type Module struct {
	ID        uuid.UUID
	VersionID uuid.UUID
	Position  int
	Title     string
	Summary   string
	Lessons   []Lesson
}

// Lesson is a unit of a module.
type Lesson struct {
	ID        uuid.UUID
	ModuleID  uuid.UUID
	VersionID uuid.UUID
	Position  int
	Title     string
	Summary   string
	Items     []Item
}

// Item is a piece of content in a lesson.
type Item struct {
	ID               uuid.UUID
	LessonID         uuid.UUID
	VersionID        uuid.UUID
	Position         int
	Kind             ItemKind
	Title            string
	Required         bool
	EstimatedMinutes int
	Body             string // sanitized HTML, for text items
	URL              string // for links and live sessions
	FileID           *uuid.UUID
	RefID            *uuid.UUID // the quiz, assignment or survey
	// Release rules: the item opens after ReleaseAt and/or after the learner
	// completed ReleaseAfterItemID (an item of the same version).
	ReleaseAt          *time.Time
	ReleaseAfterItemID *uuid.UUID
}

// The weights and threshold of similar-programme detection.
const (
	similarTitleWeight      = 0.45
	similarObjectivesWeight = 0.25
	similarTagsWeight       = 0.30
	similarThreshold        = 0.35
	similarLimit            = 10
)

// CourseFilter narrows the staff's list of courses.
type CourseFilter struct {
	OrgID    uuid.UUID // courses owned by this organisation; uuid.Nil for every organisation the caller holds a course role on
	Query    string    // the start of the code, or words of the title
	Archived bool      // list archived courses instead of active ones
}

// Optional is one field of a partial update that may also be cleared: Set
// says the client sent it, and a nil Value with Set clears it.
type Optional[T any] struct {
	Set   bool
	Value *T
}

// Some returns a set Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: &v} }

func (o Optional[T]) apply(dst **T) {
	if o.Set {
		*dst = o.Value
	}
}

// NewCourse is what an author sends to create a course with its first draft.
type NewCourse struct {
	OrgID        uuid.UUID
	Code         string
	Sharing      Sharing // private when empty
	SharedOrgIDs []uuid.UUID
	Version      VersionPatch // the first draft's fields; title is required
}

// CoursePatch changes a course's own fields; nil fields stay.
type CoursePatch struct {
	Code         *string
	Sharing      *Sharing
	SharedOrgIDs *[]uuid.UUID
}

// VersionPatch changes the fields of a draft; nil fields stay.
type VersionPatch struct {
	Title          *string
	Summary        *string
	Language       *Language
	Objectives     *[]string
	CompetencyTags *[]string
	Tags           *[]string
	DeliveryMode   *DeliveryMode
	JPCredit       Optional[float64]
	Level          *Level
	CoverFileID    Optional[uuid.UUID]
}

func (p VersionPatch) apply(v *Version) {
	setIf(&v.Title, p.Title)
	setIf(&v.Summary, p.Summary)
	setIf(&v.Language, p.Language)
	setIf(&v.Objectives, p.Objectives)
	setIf(&v.CompetencyTags, p.CompetencyTags)
	setIf(&v.Tags, p.Tags)
	setIf(&v.DeliveryMode, p.DeliveryMode)
	setIf(&v.Level, p.Level)
	if p.JPCredit.Set {
		v.JPCredit = 0
		if p.JPCredit.Value != nil {
			v.JPCredit = *p.JPCredit.Value
			if v.JPCredit == 0 {
				v.JPCredit = -1 // sent as 0: refused by validate, unlike "not set"
			}
		}
	}
	p.CoverFileID.apply(&v.CoverFileID)
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// Limits of a version's fields.
const (
	maxTitle      = 200
	maxSummary    = 5000
	maxObjectives = 30
	maxObjective  = 500
	maxTags       = 30
	maxTag        = 64
	maxJP         = 9999.99
)

// normalize trims a version's fields and checks them.
func (ver *Version) normalize() error {
	ver.Title, ver.Summary = strings.TrimSpace(ver.Title), strings.TrimSpace(ver.Summary)
	var v apperr.Validation
	v.Check(ver.Title != "" && utf8.RuneCountInString(ver.Title) <= maxTitle, "title",
		"wajib diisi, paling banyak 200 karakter", "is required, at most 200 characters")
	v.Check(utf8.RuneCountInString(ver.Summary) <= maxSummary, "summary", "paling banyak 5000 karakter", "at most 5000 characters")
	checkText(&v, "title", ver.Title)
	checkText(&v, "summary", ver.Summary)
	v.Check(slices.Contains(languages, ver.Language), "language", "harus id atau en", "must be id or en")
	v.Check(slices.Contains(deliveryModes, ver.DeliveryMode), "delivery_mode",
		"harus online, blended atau classroom", "must be online, blended or classroom")
	v.Check(slices.Contains(levels, ver.Level), "level",
		"harus basic, intermediate atau advanced", "must be basic, intermediate or advanced")
	if ver.JPCredit > 0 {
		ver.JPCredit = math.Max(math.Round(ver.JPCredit*100)/100, 0.01) // numeric(6,2)
	}
	v.Check(ver.JPCredit >= 0 && ver.JPCredit <= maxJP, "jp_credit",
		"harus lebih dari 0 dan paling banyak 9999,99", "must be greater than 0 and at most 9999.99")

	objectives := make([]string, 0, len(ver.Objectives))
	for _, o := range ver.Objectives {
		if o = strings.TrimSpace(o); o != "" {
			objectives = append(objectives, o)
		}
	}
	ver.Objectives = objectives
	v.Check(len(objectives) <= maxObjectives, "objectives", "paling banyak 30 tujuan", "at most 30 objectives")
	for i, o := range objectives {
		v.Check(utf8.RuneCountInString(o) <= maxObjective, fmt.Sprintf("objectives[%d]", i),
			"paling banyak 500 karakter", "at most 500 characters")
		checkText(&v, fmt.Sprintf("objectives[%d]", i), o)
	}
	ver.CompetencyTags = normalizeTags(&v, "competency_tags", ver.CompetencyTags)
	ver.Tags = normalizeTags(&v, "tags", ver.Tags)
	return v.Err()
}

func normalizeTag(t string) string { return strings.ToLower(strings.Join(strings.Fields(t), " ")) }

// validText reports whether PostgreSQL can store s as text: valid UTF-8
// without NUL characters. Text that is not is bad input, never a 5xx.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// checkText records a problem with field unless every value is valid text.
func checkText(v *apperr.Validation, field string, values ...string) {
	for _, s := range values {
		if !validText(s) {
			v.Add(field, "memuat karakter yang tidak valid", "contains invalid characters")
			return
		}
	}
}

// normalizeTags lower-cases, trims and de-duplicates tags, so that equal tags
// match in the catalogue and in similar-programme detection.
func normalizeTags(v *apperr.Validation, field string, tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = normalizeTag(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	v.Check(len(out) <= maxTags, field, "paling banyak 30 tag", "at most 30 tags")
	for i, t := range out {
		v.Check(utf8.RuneCountInString(t) <= maxTag, fmt.Sprintf("%s[%d]", field, i), "paling banyak 64 karakter", "at most 64 characters")
		checkText(v, fmt.Sprintf("%s[%d]", field, i), t)
	}
	return out
}

// missing lists what a version lacks before it may be submitted for review.
func (ver Version) missing(modules, lessons, requiredItems int) []apperr.FieldError {
	var out []apperr.FieldError
	add := func(field, id, en string) {
		out = append(out, apperr.FieldError{Field: field, Message: apperr.Text{ID: id, EN: en}})
	}
	if modules == 0 {
		add("modules", "minimal satu modul", "at least one module is required")
	}
	if lessons == 0 {
		add("lessons", "minimal satu pelajaran", "at least one lesson is required")
	}
	if requiredItems == 0 {
		add("items", "minimal satu materi wajib", "at least one required content item is required")
	}
	if len(ver.Objectives) == 0 {
		add("objectives", "tujuan pembelajaran wajib diisi", "learning objectives are required")
	}
	if ver.JPCredit <= 0 {
		add("jp_credit", "JP harus lebih dari 0", "the JP credit must be greater than 0")
	}
	return out
}

func checkCode(v *apperr.Validation, code string) {
	ok := code != "" && utf8.RuneCountInString(code) <= 64
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			ok = false
		}
	}
	v.Check(ok, "code", "wajib diisi: huruf, angka, titik, garis bawah atau tanda hubung, paling banyak 64",
		"is required: letters, digits, dot, underscore or hyphen, at most 64")
}

func checkSharing(v *apperr.Validation, s Sharing, shared []uuid.UUID) {
	v.Check(slices.Contains(sharings, s), "sharing", "harus national, listed atau private", "must be national, listed or private")
	switch {
	case s == SharingListed && len(shared) == 0:
		v.Add("shared_org_ids", "wajib diisi untuk berbagi terbatas", "are required for listed sharing")
	case s != SharingListed && len(shared) > 0:
		v.Add("shared_org_ids", "hanya untuk berbagi terbatas (listed)", "apply only to listed sharing")
	case len(shared) > 200:
		v.Add("shared_org_ids", "paling banyak 200 organisasi", "at most 200 organisations")
	}
	for i, id := range shared {
		v.Check(id != uuid.Nil && !slices.Contains(shared[:i], id), fmt.Sprintf("shared_org_ids[%d]", i),
			"organisasi kosong atau ganda", "empty or repeated organisation")
	}
}

// Limits of an item's fields.
const (
	maxBody    = 200_000
	maxURL     = 2048
	maxMinutes = 10_000
)

// Errors of this package.
var (
	ErrCourseNotFound = apperr.New(apperr.KindNotFound, "course.course_not_found",
		"Kursus tidak ditemukan.", "Course not found.")
	ErrVersionNotFound = apperr.New(apperr.KindNotFound, "course.version_not_found",
		"Versi kursus tidak ditemukan.", "Course version not found.")
	ErrModuleNotFound = apperr.New(apperr.KindNotFound, "course.module_not_found",
		"Modul tidak ditemukan.", "Module not found.")
	ErrLessonNotFound = apperr.New(apperr.KindNotFound, "course.lesson_not_found",
		"Pelajaran tidak ditemukan.", "Lesson not found.")
	ErrItemNotFound = apperr.New(apperr.KindNotFound, "course.item_not_found",
		"Materi tidak ditemukan.", "Content item not found.")
	ErrPathNotFound = apperr.New(apperr.KindNotFound, "course.path_not_found",
		"Jalur pembelajaran tidak ditemukan.", "Learning path not found.")
	ErrNoMedia = apperr.New(apperr.KindNotFound, "course.item_has_no_media",
		"Materi ini tidak memiliki berkas.", "This item has no file.")
	ErrCodeTaken = apperr.New(apperr.KindConflict, "course.code_taken",
		"Kode kursus sudah dipakai di organisasi ini.", "The course code is already in use in this organisation.")
	ErrPathCodeTaken = apperr.New(apperr.KindConflict, "course.path_code_taken",
		"Kode jalur pembelajaran sudah dipakai di organisasi ini.", "The learning path code is already in use in this organisation.")
	ErrVersionImmutable = apperr.New(apperr.KindConflict, "course.version_immutable",
		"Versi yang sudah diajukan atau diterbitkan tidak dapat diubah; buat draf baru.",
		"Published versions are immutable; create a new draft.")
	ErrDraftExists = apperr.New(apperr.KindConflict, "course.draft_exists",
		"Kursus ini sudah memiliki draf yang terbuka.", "The course already has an open draft.")
	ErrNothingPublished = apperr.New(apperr.KindConflict, "course.nothing_published",
		"Kursus ini belum memiliki versi terbit untuk disalin.", "The course has no published version to copy.")
	ErrNotSubmittable = apperr.New(apperr.KindConflict, "course.not_submittable",
		"Hanya draf atau versi yang diminta perbaikan yang dapat diajukan.",
		"Only a draft or a version with changes requested can be submitted.")
	ErrNotInReview = apperr.New(apperr.KindConflict, "course.not_in_review",
		"Versi ini tidak sedang ditinjau; versi harus diajukan dan ditinjau sebelum terbit.",
		"This version is not in review; a version must be submitted and reviewed before it is published.")
	ErrOwnWork = apperr.New(apperr.KindForbidden, "course.review_own_work",
		"Anda menulis atau mengajukan versi ini; peninjauannya harus dilakukan orang lain.",
		"You wrote or submitted this version; someone else must review it.")
	ErrCourseArchived = apperr.New(apperr.KindConflict, "course.archived",
		"Kursus ini sudah diarsipkan.", "The course is archived.")
	ErrVersionNotPublished = apperr.New(apperr.KindConflict, "course.version_not_published",
		"Versi kursus ini belum diterbitkan.", "This course version is not published.")
	ErrVersionChanged = apperr.New(apperr.KindPrecondition, "course.version_changed",
		"Versi ini telah diubah orang lain; muat ulang lalu coba lagi.",
		"Someone else changed this version; reload it and try again.")
	ErrItemNotReleased = apperr.New(apperr.KindForbidden, "course.item_not_released",
		"Materi ini belum dibuka.", "This item is not released yet.")
	ErrMediaUnavailable = apperr.New(apperr.KindUnavailable, "course.media_unavailable",
		"Penyimpanan berkas belum tersedia.", "File storage is not available.")
)

// Errors that list fields: what a version lacks for review, and the checklist
// items a reviewer left unconfirmed.
var (
	ErrVersionIncomplete = apperr.New(apperr.KindInvalid, "course.version_incomplete",
		"Versi ini belum lengkap untuk ditinjau.", "The version is not complete enough for review.")
	ErrChecklistIncomplete = apperr.New(apperr.KindInvalid, "course.checklist_incomplete",
		"Semua butir daftar periksa harus dipenuhi untuk menyetujui.", "Every checklist item must be confirmed to approve.")
)

func errIncomplete(fields []apperr.FieldError) error {
	e := *ErrVersionIncomplete
	e.Fields = fields
	return &e
}

func errChecklist(unchecked []string) error {
	e := *ErrChecklistIncomplete
	for _, f := range unchecked {
		e.Fields = append(e.Fields, apperr.FieldError{Field: "checklist." + f,
			Message: apperr.Text{ID: "belum dipenuhi", EN: "is not confirmed"}})
	}
	return &e
}
