package course

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves courses, versions, curricula, reviews, the catalogue and
// learning paths under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the course HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/catalogue", h.catalogue)

	api.GET("/courses", h.listCourses)
	api.POST("/courses", h.createCourse)
	api.GET("/courses/:course_id", h.getCourse)
	api.PATCH("/courses/:course_id", h.updateCourse)
	api.POST("/courses/:course_id/archive", h.archiveCourse)
	api.POST("/courses/:course_id/drafts", h.newDraft)
	api.GET("/courses/:course_id/versions", h.listVersions)

	api.GET("/course-versions/:version_id", h.getVersion)
	api.PATCH("/course-versions/:version_id", h.updateVersion)
	api.POST("/course-versions/:version_id/modules", h.addModule)
	api.POST("/course-versions/:version_id/reorder", h.reorder)
	api.POST("/course-versions/:version_id/submit", h.submit)
	api.POST("/course-versions/:version_id/reviews", h.review)
	api.GET("/course-versions/:version_id/reviews", h.listReviews)
	api.GET("/course-versions/:version_id/similar", h.similar)

	api.PATCH("/modules/:module_id", h.updateModule)
	api.DELETE("/modules/:module_id", h.deleteModule)
	api.POST("/modules/:module_id/lessons", h.addLesson)
	api.PATCH("/lessons/:lesson_id", h.updateLesson)
	api.DELETE("/lessons/:lesson_id", h.deleteLesson)
	api.POST("/lessons/:lesson_id/items", h.addItem)
	api.PATCH("/items/:item_id", h.updateItem)
	api.DELETE("/items/:item_id", h.deleteItem)
	api.GET("/items/:item_id/media", h.media)

	api.GET("/learning-paths", h.listPaths)
	api.POST("/learning-paths", h.createPath)
	api.GET("/learning-paths/:path_id", h.getPath)
	api.PATCH("/learning-paths/:path_id", h.updatePath)
	api.DELETE("/learning-paths/:path_id", h.deletePath)
}

// --- requests ---

// nullable is a request field that may be absent, null or a value.
type nullable[T any] struct {
	set   bool
	value *T
}

func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.set = true
	if string(b) == "null" {
		n.value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.value = &v
	return nil
}

func (n nullable[T]) toOptional() Optional[T] { return Optional[T]{Set: n.set, Value: n.value} }

type versionFieldsRequest struct {
	Title          *string             `json:"title"`
	Summary        *string             `json:"summary"`
	Language       *Language           `json:"language"`
	Objectives     *[]string           `json:"objectives"`
	CompetencyTags *[]string           `json:"competency_tags"`
	Tags           *[]string           `json:"tags"`
	DeliveryMode   *DeliveryMode       `json:"delivery_mode"`
	JPCredit       nullable[float64]   `json:"jp_credit"`
	Level          *Level              `json:"level"`
	CoverFileID    nullable[uuid.UUID] `json:"cover_file_id"`
}

func (r versionFieldsRequest) toPatch() VersionPatch {
	return VersionPatch{Title: r.Title, Summary: r.Summary, Language: r.Language, Objectives: r.Objectives,
		CompetencyTags: r.CompetencyTags, Tags: r.Tags, DeliveryMode: r.DeliveryMode, JPCredit: r.JPCredit.toOptional(),
		Level: r.Level, CoverFileID: r.CoverFileID.toOptional()}
}

type createCourseRequest struct {
	OrgID        uuid.UUID   `json:"org_id"`
	Code         string      `json:"code"`
	Sharing      Sharing     `json:"sharing"`
	SharedOrgIDs []uuid.UUID `json:"shared_org_ids"`
	versionFieldsRequest
}

func (r createCourseRequest) toInput() NewCourse {
	return NewCourse{OrgID: r.OrgID, Code: r.Code, Sharing: r.Sharing, SharedOrgIDs: r.SharedOrgIDs, Version: r.toPatch()}
}

type updateCourseRequest struct {
	Code         *string      `json:"code"`
	Sharing      *Sharing     `json:"sharing"`
	SharedOrgIDs *[]uuid.UUID `json:"shared_org_ids"`
}

func (r updateCourseRequest) toPatch() CoursePatch {
	return CoursePatch{Code: r.Code, Sharing: r.Sharing, SharedOrgIDs: r.SharedOrgIDs}
}

type moduleRequest struct {
	Title   *string `json:"title"`
	Summary *string `json:"summary"`
}

func (r moduleRequest) toInput() ModuleInput { return ModuleInput{Title: r.Title, Summary: r.Summary} }

type itemRequest struct {
	Kind               ItemKind            `json:"kind"`
	Title              *string             `json:"title"`
	Required           *bool               `json:"required"`
	EstimatedMinutes   *int                `json:"estimated_minutes"`
	Body               *string             `json:"body"`
	URL                nullable[string]    `json:"url"`
	FileID             nullable[uuid.UUID] `json:"file_id"`
	RefID              nullable[uuid.UUID] `json:"ref_id"`
	ReleaseAt          nullable[time.Time] `json:"release_at"`
	ReleaseAfterItemID nullable[uuid.UUID] `json:"release_after_item_id"`
}

func (r itemRequest) toInput() ItemInput {
	return ItemInput{Kind: r.Kind, Title: r.Title, Required: r.Required, EstimatedMinutes: r.EstimatedMinutes, Body: r.Body,
		URL: r.URL.toOptional(), FileID: r.FileID.toOptional(), RefID: r.RefID.toOptional(),
		ReleaseAt: r.ReleaseAt.toOptional(), ReleaseAfterItemID: r.ReleaseAfterItemID.toOptional()}
}

type reorderRequest struct {
	Modules []struct {
		ID      uuid.UUID `json:"id"`
		Lessons []struct {
			ID      uuid.UUID   `json:"id"`
			ItemIDs []uuid.UUID `json:"item_ids"`
		} `json:"lessons"`
	} `json:"modules"`
}

func (r reorderRequest) toOutline() Outline {
	o := make(Outline, len(r.Modules))
	for i, m := range r.Modules {
		o[i].ID = m.ID
		for _, l := range m.Lessons {
			o[i].Lessons = append(o[i].Lessons, OutlineLesson{ID: l.ID, ItemIDs: l.ItemIDs})
		}
	}
	return o
}

type checklistBody struct {
	Objectives    bool `json:"objectives"`
	Assessment    bool `json:"assessment"`
	JP            bool `json:"jp"`
	Accessibility bool `json:"accessibility"`
}

type reviewRequest struct {
	Decision  Decision      `json:"decision"`
	Checklist checklistBody `json:"checklist"`
	Comments  string        `json:"comments"`
}

func (r reviewRequest) toInput() ReviewInput {
	return ReviewInput{Decision: r.Decision, Checklist: Checklist(r.Checklist), Comments: r.Comments}
}

type stepRequest struct {
	CourseID              uuid.UUID   `json:"course_id"`
	PrerequisiteCourseIDs []uuid.UUID `json:"prerequisite_course_ids"`
}

func toStepInputs(steps []stepRequest) []StepInput {
	out := make([]StepInput, len(steps))
	for i, st := range steps {
		out[i] = StepInput(st)
	}
	return out
}

type createPathRequest struct {
	OrgID        uuid.UUID     `json:"org_id"`
	Code         string        `json:"code"`
	Title        string        `json:"title"`
	Description  string        `json:"description"`
	Sharing      Sharing       `json:"sharing"`
	SharedOrgIDs []uuid.UUID   `json:"shared_org_ids"`
	Steps        []stepRequest `json:"steps"`
}

func (r createPathRequest) toInput() PathInput {
	return PathInput{OrgID: r.OrgID, Code: r.Code, Title: r.Title, Description: r.Description, Sharing: r.Sharing,
		SharedOrgIDs: r.SharedOrgIDs, Steps: toStepInputs(r.Steps)}
}

type updatePathRequest struct {
	Code         *string        `json:"code"`
	Title        *string        `json:"title"`
	Description  *string        `json:"description"`
	Sharing      *Sharing       `json:"sharing"`
	SharedOrgIDs *[]uuid.UUID   `json:"shared_org_ids"`
	Steps        *[]stepRequest `json:"steps"`
}

func (r updatePathRequest) toPatch() PathPatch {
	p := PathPatch{Code: r.Code, Title: r.Title, Description: r.Description, Sharing: r.Sharing, SharedOrgIDs: r.SharedOrgIDs}
	if r.Steps != nil {
		steps := toStepInputs(*r.Steps)
		p.Steps = &steps
	}
	return p
}

// --- responses ---

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

// ifMatch reads the lock version a client expects from If-Match: 0 when the
// header is absent or "*", -1 (which matches nothing) when it names no
// version of ours, such as a weak tag.
func ifMatch(c echo.Context) int {
	raw := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if raw == "" || raw == "*" {
		return 0
	}
	n, err := strconv.Atoi(strings.Trim(raw, `"`))
	if err != nil || !strings.HasPrefix(raw, `"`) || !strings.HasSuffix(raw, `"`) || n <= 0 {
		return -1
	}
	return n
}

func writeVersion(c echo.Context, status int, v Version) error {
	c.Response().Header().Set("ETag", v.ETag())
	return c.JSON(status, toVersionResponse(v))
}

// --- handlers ---

func (h *Handler) catalogue(c echo.Context) error {
	var v apperr.Validation
	f := CatalogueFilter{Query: c.QueryParam("q"), Tag: c.QueryParam("tag"), Competency: c.QueryParam("competency"),
		OrgID: web.QueryID(c, &v, "org_id"), Mode: DeliveryMode(c.QueryParam("mode")), Level: Level(c.QueryParam("level")),
		Language: Language(c.QueryParam("language"))}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "title", "published_at")
	if err != nil {
		return err
	}
	res, err := h.svc.Catalogue(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toCatalogueEntryResponse))
}

func (h *Handler) listCourses(c echo.Context) error {
	var v apperr.Validation
	f := CourseFilter{OrgID: web.QueryID(c, &v, "org_id"), Query: c.QueryParam("q")}
	switch c.QueryParam("archived") {
	case "", "false":
	case "true":
		f.Archived = true
	default:
		v.Add("archived", "harus true atau false", "must be true or false")
	}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "code")
	if err != nil {
		return err
	}
	res, err := h.svc.Courses(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toCourseResponse))
}

func (h *Handler) createCourse(c echo.Context) error {
	var req createCourseRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	course, err := h.svc.CreateCourse(c.Request().Context(), req.toInput())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/courses/"+course.ID.String())
	return c.JSON(http.StatusCreated, toCourseResponse(course))
}

func (h *Handler) getCourse(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	course, err := h.svc.Course(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCourseResponse(course))
}

func (h *Handler) updateCourse(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	var req updateCourseRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	course, err := h.svc.UpdateCourse(c.Request().Context(), id, req.toPatch())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCourseResponse(course))
}

func (h *Handler) archiveCourse(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	course, err := h.svc.ArchiveCourse(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCourseResponse(course))
}

func (h *Handler) newDraft(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	v, err := h.svc.NewDraft(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/course-versions/"+v.ID.String())
	return writeVersion(c, http.StatusCreated, v)
}

func (h *Handler) listVersions(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c)
	if err != nil {
		return err
	}
	versions, err := h.svc.Versions(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(versions, toVersionResponse))
}

func (h *Handler) getVersion(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	v, err := h.svc.Version(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeVersion(c, http.StatusOK, v)
}

func (h *Handler) updateVersion(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	var req versionFieldsRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	v, err := h.svc.UpdateVersion(c.Request().Context(), id, req.toPatch(), ifMatch(c))
	if err != nil {
		return err
	}
	return writeVersion(c, http.StatusOK, v)
}

func (h *Handler) reorder(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	var req reorderRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	v, err := h.svc.Reorder(c.Request().Context(), id, req.toOutline(), ifMatch(c))
	if err != nil {
		return err
	}
	return writeVersion(c, http.StatusOK, v)
}

func (h *Handler) submit(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	v, similar, err := h.svc.Submit(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", v.ETag())
	return c.JSON(http.StatusOK, submitResponse{Version: toVersionResponse(v), Similar: web.ConvertAll(similar, toSimilarResponse)})
}

func (h *Handler) review(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	var req reviewRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	r, v, err := h.svc.Review(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, reviewResultResponse{Review: toReviewResponse(r), Version: toVersionResponse(v)})
}

func (h *Handler) listReviews(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c, "created_at")
	if err != nil {
		return err
	}
	res, err := h.svc.Reviews(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toReviewResponse))
}

func (h *Handler) similar(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	similar, err := h.svc.Similar(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(similar, toSimilarResponse)})
}

func (h *Handler) addModule(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	var req moduleRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	m, err := h.svc.AddModule(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toModuleResponse(m))
}

func (h *Handler) updateModule(c echo.Context) error {
	id, err := web.PathID(c, "module_id", ErrModuleNotFound)
	if err != nil {
		return err
	}
	var req moduleRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	m, err := h.svc.UpdateModule(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	m.Lessons = []Lesson{}
	return c.JSON(http.StatusOK, toModuleResponse(m))
}

func (h *Handler) deleteModule(c echo.Context) error {
	id, err := web.PathID(c, "module_id", ErrModuleNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteModule(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) addLesson(c echo.Context) error {
	id, err := web.PathID(c, "module_id", ErrModuleNotFound)
	if err != nil {
		return err
	}
	var req moduleRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	l, err := h.svc.AddLesson(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toLessonResponse(l))
}

func (h *Handler) updateLesson(c echo.Context) error {
	id, err := web.PathID(c, "lesson_id", ErrLessonNotFound)
	if err != nil {
		return err
	}
	var req moduleRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	l, err := h.svc.UpdateLesson(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	l.Items = []Item{}
	return c.JSON(http.StatusOK, toLessonResponse(l))
}

func (h *Handler) deleteLesson(c echo.Context) error {
	id, err := web.PathID(c, "lesson_id", ErrLessonNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteLesson(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) addItem(c echo.Context) error {
	id, err := web.PathID(c, "lesson_id", ErrLessonNotFound)
	if err != nil {
		return err
	}
	var req itemRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	it, err := h.svc.AddItem(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toItemResponse(it))
}

func (h *Handler) updateItem(c echo.Context) error {
	id, err := web.PathID(c, "item_id", ErrItemNotFound)
	if err != nil {
		return err
	}
	var req itemRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	it, err := h.svc.UpdateItem(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toItemResponse(it))
}

func (h *Handler) deleteItem(c echo.Context) error {
	id, err := web.PathID(c, "item_id", ErrItemNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteItem(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) media(c echo.Context) error {
	id, err := web.PathID(c, "item_id", ErrItemNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.MediaURL(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, mediaResponse{URL: p.URL, Method: p.Method, ExpiresAt: p.ExpiresAt})
}

func (h *Handler) listPaths(c echo.Context) error {
	var v apperr.Validation
	orgID := web.QueryID(c, &v, "org_id")
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "title")
	if err != nil {
		return err
	}
	res, err := h.svc.Paths(c.Request().Context(), orgID, c.QueryParam("q"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toPathResponse))
}

func (h *Handler) createPath(c echo.Context) error {
	var req createPathRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.svc.CreatePath(c.Request().Context(), req.toInput())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/learning-paths/"+p.ID.String())
	return c.JSON(http.StatusCreated, toPathResponse(p))
}

func (h *Handler) getPath(c echo.Context) error {
	id, err := web.PathID(c, "path_id", ErrPathNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.Path(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPathResponse(p))
}

func (h *Handler) updatePath(c echo.Context) error {
	id, err := web.PathID(c, "path_id", ErrPathNotFound)
	if err != nil {
		return err
	}
	var req updatePathRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.svc.UpdatePath(c.Request().Context(), id, req.toPatch())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPathResponse(p))
}

func (h *Handler) deletePath(c echo.Context) error {
	id, err := web.PathID(c, "path_id", ErrPathNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeletePath(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
