package course

import (
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

type courseResponse struct {
	ID                 uuid.UUID        `json:"id"`
	OrgID              uuid.UUID        `json:"org_id"`
	Code               string           `json:"code"`
	Sharing            Sharing          `json:"sharing"`
	SharedOrgIDs       []uuid.UUID      `json:"shared_org_ids"`
	PublishedVersionID *uuid.UUID       `json:"published_version_id"`
	PublishedVersion   *versionResponse `json:"published_version"`
	OpenVersion        *versionResponse `json:"open_version,omitempty"`
	CreatedBy          uuid.UUID        `json:"created_by"`
	ArchivedAt         *time.Time       `json:"archived_at"`
	CreatedAt          time.Time        `json:"created_at"`
	UpdatedAt          time.Time        `json:"updated_at"`
}

func toCourseResponse(c Course) courseResponse {
	r := courseResponse{ID: c.ID, OrgID: c.OrgID, Code: c.Code, Sharing: c.Sharing, SharedOrgIDs: nonNil(c.SharedOrgIDs),
		PublishedVersionID: c.PublishedVersionID, CreatedBy: c.CreatedBy, ArchivedAt: c.ArchivedAt,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Published != nil {
		v := toVersionResponse(*c.Published)
		r.PublishedVersion = &v
	}
	if c.Open != nil {
		v := toVersionResponse(*c.Open)
		r.OpenVersion = &v
	}
	return r
}

type versionResponse struct {
	ID             uuid.UUID         `json:"id"`
	CourseID       uuid.UUID         `json:"course_id"`
	Number         int               `json:"number"`
	Status         VersionStatus     `json:"status"`
	Title          string            `json:"title"`
	Summary        string            `json:"summary"`
	Language       Language          `json:"language"`
	Objectives     []string          `json:"objectives"`
	CompetencyTags []string          `json:"competency_tags"`
	Tags           []string          `json:"tags"`
	DeliveryMode   DeliveryMode      `json:"delivery_mode"`
	JPCredit       *float64          `json:"jp_credit"`
	Level          Level             `json:"level"`
	CoverFileID    *uuid.UUID        `json:"cover_file_id"`
	ETag           string            `json:"etag"`
	CreatedBy      uuid.UUID         `json:"created_by"`
	SubmittedAt    *time.Time        `json:"submitted_at"`
	SubmittedBy    *uuid.UUID        `json:"submitted_by"`
	PublishedAt    *time.Time        `json:"published_at"`
	PublishedBy    *uuid.UUID        `json:"published_by"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	Modules        *[]moduleResponse `json:"modules,omitempty"`
	ContentHidden  bool              `json:"content_hidden,omitempty"`
}

func toVersionResponse(v Version) versionResponse {
	r := versionResponse{ID: v.ID, CourseID: v.CourseID, Number: v.Number, Status: v.Status, Title: v.Title,
		Summary: v.Summary, Language: v.Language, Objectives: nonNil(v.Objectives), CompetencyTags: nonNil(v.CompetencyTags),
		Tags: nonNil(v.Tags), DeliveryMode: v.DeliveryMode, Level: v.Level, CoverFileID: v.CoverFileID, ETag: v.ETag(),
		CreatedBy: v.CreatedBy, SubmittedAt: v.SubmittedAt, SubmittedBy: v.SubmittedBy, PublishedAt: v.PublishedAt,
		PublishedBy: v.PublishedBy, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, ContentHidden: v.ContentHidden}
	if v.JPCredit > 0 {
		jp := v.JPCredit
		r.JPCredit = &jp
	}
	if v.Modules != nil {
		mods := web.ConvertAll(v.Modules, toModuleResponse)
		r.Modules = &mods
	}
	return r
}

type moduleResponse struct {
	ID        uuid.UUID        `json:"id"`
	VersionID uuid.UUID        `json:"version_id"`
	Position  int              `json:"position"`
	Title     string           `json:"title"`
	Summary   string           `json:"summary"`
	Lessons   []lessonResponse `json:"lessons"`
}

func toModuleResponse(m Module) moduleResponse {
	return moduleResponse{ID: m.ID, VersionID: m.VersionID, Position: m.Position, Title: m.Title, Summary: m.Summary,
		Lessons: web.ConvertAll(m.Lessons, toLessonResponse)}
}

type lessonResponse struct {
	ID        uuid.UUID      `json:"id"`
	ModuleID  uuid.UUID      `json:"module_id"`
	VersionID uuid.UUID      `json:"version_id"`
	Position  int            `json:"position"`
	Title     string         `json:"title"`
	Summary   string         `json:"summary"`
	Items     []itemResponse `json:"items"`
}

func toLessonResponse(l Lesson) lessonResponse {
	return lessonResponse{ID: l.ID, ModuleID: l.ModuleID, VersionID: l.VersionID, Position: l.Position, Title: l.Title,
		Summary: l.Summary, Items: web.ConvertAll(l.Items, toItemResponse)}
}

type itemResponse struct {
	ID                 uuid.UUID  `json:"id"`
	LessonID           uuid.UUID  `json:"lesson_id"`
	VersionID          uuid.UUID  `json:"version_id"`
	Position           int        `json:"position"`
	Kind               ItemKind   `json:"kind"`
	Title              string     `json:"title"`
	Required           bool       `json:"required"`
	EstimatedMinutes   int        `json:"estimated_minutes"`
	Body               string     `json:"body,omitempty"`
	URL                string     `json:"url,omitempty"`
	FileID             *uuid.UUID `json:"file_id,omitempty"`
	RefID              *uuid.UUID `json:"ref_id,omitempty"`
	ReleaseAt          *time.Time `json:"release_at"`
	ReleaseAfterItemID *uuid.UUID `json:"release_after_item_id"`
}

func toItemResponse(it Item) itemResponse {
	return itemResponse{ID: it.ID, LessonID: it.LessonID, VersionID: it.VersionID, Position: it.Position, Kind: it.Kind,
		Title: it.Title, Required: it.Required, EstimatedMinutes: it.EstimatedMinutes, Body: it.Body, URL: it.URL,
		FileID: it.FileID, RefID: it.RefID, ReleaseAt: it.ReleaseAt, ReleaseAfterItemID: it.ReleaseAfterItemID}
}

type reviewResponse struct {
	ID         uuid.UUID     `json:"id"`
	VersionID  uuid.UUID     `json:"version_id"`
	ReviewerID uuid.UUID     `json:"reviewer_id"`
	Decision   Decision      `json:"decision"`
	Checklist  checklistBody `json:"checklist"`
	Comments   string        `json:"comments"`
	CreatedAt  time.Time     `json:"created_at"`
}

func toReviewResponse(r Review) reviewResponse {
	return reviewResponse{ID: r.ID, VersionID: r.VersionID, ReviewerID: r.ReviewerID, Decision: r.Decision,
		Checklist: checklistBody(r.Checklist), Comments: r.Comments, CreatedAt: r.CreatedAt}
}

type similarResponse struct {
	CourseID             uuid.UUID `json:"course_id"`
	VersionID            uuid.UUID `json:"version_id"`
	OrgID                uuid.UUID `json:"org_id"`
	Code                 string    `json:"code"`
	Title                string    `json:"title"`
	Score                float64   `json:"score"`
	TitleSimilarity      float64   `json:"title_similarity"`
	ObjectivesSimilarity float64   `json:"objectives_similarity"`
	TagOverlap           float64   `json:"tag_overlap"`
	SharedTags           []string  `json:"shared_tags"`
}

func toSimilarResponse(s Similar) similarResponse {
	return similarResponse{CourseID: s.CourseID, VersionID: s.VersionID, OrgID: s.OrgID, Code: s.Code, Title: s.Title,
		Score: round3(s.Score), TitleSimilarity: round3(s.TitleSimilarity), ObjectivesSimilarity: round3(s.ObjectivesSimilarity),
		TagOverlap: round3(s.TagOverlap), SharedTags: nonNil(s.SharedTags)}
}

func round3(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 3, 64), 64)
	return v
}

type submitResponse struct {
	Version versionResponse   `json:"version"`
	Similar []similarResponse `json:"similar"`
}

type reviewResultResponse struct {
	Review  reviewResponse  `json:"review"`
	Version versionResponse `json:"version"`
}

type catalogueEntryResponse struct {
	CourseID       uuid.UUID    `json:"course_id"`
	VersionID      uuid.UUID    `json:"version_id"`
	OrgID          uuid.UUID    `json:"org_id"`
	Code           string       `json:"code"`
	Title          string       `json:"title"`
	Summary        string       `json:"summary"`
	Language       Language     `json:"language"`
	DeliveryMode   DeliveryMode `json:"delivery_mode"`
	Level          Level        `json:"level"`
	JPCredit       float64      `json:"jp_credit"`
	Tags           []string     `json:"tags"`
	CompetencyTags []string     `json:"competency_tags"`
	CoverFileID    *uuid.UUID   `json:"cover_file_id"`
	Sharing        Sharing      `json:"sharing"`
	PublishedAt    time.Time    `json:"published_at"`
}

func toCatalogueEntryResponse(e CatalogueEntry) catalogueEntryResponse {
	return catalogueEntryResponse{CourseID: e.CourseID, VersionID: e.VersionID, OrgID: e.OrgID, Code: e.Code, Title: e.Title,
		Summary: e.Summary, Language: e.Language, DeliveryMode: e.DeliveryMode, Level: e.Level, JPCredit: e.JPCredit,
		Tags: nonNil(e.Tags), CompetencyTags: nonNil(e.CompetencyTags), CoverFileID: e.CoverFileID, Sharing: e.Sharing,
		PublishedAt: e.PublishedAt}
}

type mediaResponse struct {
	URL       string    `json:"url"`
	Method    string    `json:"method"`
	ExpiresAt time.Time `json:"expires_at"`
}

type stepResponse struct {
	CourseID              uuid.UUID   `json:"course_id"`
	Position              int         `json:"position"`
	PrerequisiteCourseIDs []uuid.UUID `json:"prerequisite_course_ids"`
	PublishedVersionID    *uuid.UUID  `json:"published_version_id"`
}

type pathResponse struct {
	ID           uuid.UUID      `json:"id"`
	OrgID        uuid.UUID      `json:"org_id"`
	Code         string         `json:"code"`
	Title        string         `json:"title"`
	Description  string         `json:"description"`
	Sharing      Sharing        `json:"sharing"`
	SharedOrgIDs []uuid.UUID    `json:"shared_org_ids"`
	Steps        []stepResponse `json:"steps"`
	CreatedBy    uuid.UUID      `json:"created_by"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

func toPathResponse(p LearningPath) pathResponse {
	return pathResponse{ID: p.ID, OrgID: p.OrgID, Code: p.Code, Title: p.Title, Description: p.Description, Sharing: p.Sharing,
		SharedOrgIDs: nonNil(p.SharedOrgIDs), CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Steps: web.ConvertAll(p.Steps, func(st PathStep) stepResponse {
			return stepResponse{CourseID: st.CourseID, Position: st.Position,
				PrerequisiteCourseIDs: nonNil(st.PrerequisiteCourseIDs), PublishedVersionID: st.PublishedVersionID}
		})}
}

// ifMatch reads the lock version a client expects from If-Match (see web.IfMatch).
func ifMatch(c echo.Context) int { return web.IfMatch(c) }

func writeVersion(c echo.Context, status int, v Version) error {
	c.Response().Header().Set("ETag", v.ETag())
	return c.JSON(status, toVersionResponse(v))
}
