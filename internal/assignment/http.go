package assignment

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves the assignment endpoints.
type Handler struct{ svc *Service }

// NewHandler returns the handler over svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/assignments/:item_id", h.getAssignment)
	api.PUT("/assignments/:item_id", h.setAssignment)
	api.GET("/classes/:class_id/assignments/:item_id", h.getClassAssignment)
	api.PUT("/classes/:class_id/assignments/:item_id/settings", h.setClassSettings)
	api.PUT("/classes/:class_id/assignments/:item_id/extensions/:user_id", h.setExtension)
	api.GET("/classes/:class_id/assignment-groups", h.listGroups)
	api.POST("/classes/:class_id/assignment-groups", h.createGroup)
	api.POST("/assignment-groups/:group_id/members", h.joinGroup)
	api.POST("/classes/:class_id/assignments/:item_id/submissions", h.submit)
	api.GET("/classes/:class_id/assignments/:item_id/submissions", h.listSubmissions)
	api.POST("/classes/:class_id/assignments/:item_id/submissions/export", h.exportSubmissions)
	api.GET("/assignment-submissions/:submission_id", h.getSubmission)
	api.POST("/assignment-submissions/:submission_id/grades", h.gradeSubmission)
	api.GET("/assignment-submissions/:submission_id/grades", h.listGrades)
	api.POST("/classes/:class_id/assignments/:item_id/release", h.release)
	api.GET("/classes/:class_id/assignments/:item_id/result", h.myResult)
	api.POST("/classes/:class_id/assignments/:item_id/peer-reviews/allocate", h.allocatePeerReviews)
	api.GET("/classes/:class_id/assignments/:item_id/peer-reviews", h.myPeerReviews)
	api.PUT("/peer-reviews/:review_id", h.submitPeerReview)
	api.GET("/assignment-submissions/:submission_id/peer-reviews", h.submissionReviews)
	api.POST("/rubrics", h.createRubric)
	api.GET("/rubrics/:rubric_id", h.getRubric)
	api.PUT("/rubrics/:rubric_id", h.updateRubric)
}

// --- assignments ---

// optionalID is a field that may be absent, null or an id.
type optionalID struct {
	set   bool
	value *uuid.UUID
}

func (o *optionalID) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		return nil
	}
	var id uuid.UUID
	if err := id.UnmarshalText([]byte(strings.Trim(string(b), `"`))); err != nil {
		return err
	}
	o.value = &id
	return nil
}

type assignmentRequest struct {
	Instructions *string     `json:"instructions"`
	Mode         *string     `json:"mode"`
	FileTypes    *[]string   `json:"file_types"`
	MaxFileSize  *int64      `json:"max_file_size"`
	MaxFiles     *int        `json:"max_files"`
	AllowText    *bool       `json:"allow_text"`
	AllowLinks   *bool       `json:"allow_links"`
	MaxPoints    *float64    `json:"max_points"`
	RubricID     optionalID  `json:"rubric_id"`
	Blind        *bool       `json:"blind"`
	PeerReview   *PeerReview `json:"peer_review"`
}

func (r assignmentRequest) toInput() Input {
	in := Input{Instructions: r.Instructions, Mode: r.Mode, FileTypes: r.FileTypes, MaxFileSize: r.MaxFileSize,
		MaxFiles: r.MaxFiles, AllowText: r.AllowText, AllowLinks: r.AllowLinks, MaxPoints: r.MaxPoints, Blind: r.Blind, Peer: r.PeerReview}
	if r.RubricID.set {
		in.RubricID = &r.RubricID.value
	}
	return in
}

type assignmentResponse struct {
	ID           uuid.UUID  `json:"id"`
	VersionID    uuid.UUID  `json:"version_id"`
	Instructions string     `json:"instructions"`
	Mode         string     `json:"mode"`
	FileTypes    []string   `json:"file_types"`
	MaxFileSize  int64      `json:"max_file_size"`
	MaxFiles     int        `json:"max_files"`
	AllowText    bool       `json:"allow_text"`
	AllowLinks   bool       `json:"allow_links"`
	MaxPoints    float64    `json:"max_points"`
	RubricID     *uuid.UUID `json:"rubric_id"`
	Blind        bool       `json:"blind"`
	PeerReview   PeerReview `json:"peer_review"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func toAssignmentResponse(a Assignment) assignmentResponse {
	return assignmentResponse{ID: a.ItemID, VersionID: a.VersionID, Instructions: a.Instructions, Mode: a.Mode,
		FileTypes: a.FileTypes, MaxFileSize: a.MaxFileSize, MaxFiles: a.MaxFiles, AllowText: a.AllowText, AllowLinks: a.AllowLinks,
		MaxPoints: a.MaxPoints, RubricID: a.RubricID, Blind: a.Blind, PeerReview: a.Peer, UpdatedAt: a.UpdatedAt}
}

func (h *Handler) getAssignment(c echo.Context) error {
	id, err := web.PathID(c, "item_id", ErrAssignmentNotFound)
	if err != nil {
		return err
	}
	a, err := h.svc.GetAssignment(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAssignmentResponse(a))
}

func (h *Handler) setAssignment(c echo.Context) error {
	id, err := web.PathID(c, "item_id", ErrAssignmentNotFound)
	if err != nil {
		return err
	}
	var req assignmentRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	a, created, err := h.svc.SetAssignment(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toAssignmentResponse(a))
}

func classItemIDs(c echo.Context) (classID, itemID uuid.UUID, err error) {
	if classID, err = web.PathID(c, "class_id", ErrAssignmentNotFound); err != nil {
		return
	}
	itemID, err = web.PathID(c, "item_id", ErrAssignmentNotFound)
	return
}

type classSettingsJSON struct {
	DueAt         *time.Time `json:"due_at"`
	CutoffAt      *time.Time `json:"cutoff_at"`
	LatePolicy    string     `json:"late_policy"`
	PenaltyPerDay float64    `json:"penalty_per_day"`
}

type classAssignmentResponse struct {
	Assignment assignmentResponse `json:"assignment"`
	ClassID    uuid.UUID          `json:"class_id"`
	Settings   classSettingsJSON  `json:"settings"`
	YourDueAt  *time.Time         `json:"your_due_at"`
}

func toSettingsJSON(cs ClassSettings) classSettingsJSON {
	return classSettingsJSON{DueAt: cs.DueAt, CutoffAt: cs.CutoffAt, LatePolicy: cs.LatePolicy, PenaltyPerDay: cs.PenaltyPerDay}
}

func (h *Handler) getClassAssignment(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	v, err := h.svc.ClassAssignment(c.Request().Context(), classID, itemID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, classAssignmentResponse{Assignment: toAssignmentResponse(v.Assignment), ClassID: classID,
		Settings: toSettingsJSON(v.Settings), YourDueAt: v.YourDueAt})
}

func (h *Handler) setClassSettings(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	var req classSettingsJSON
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	cs, err := h.svc.SetClassSettings(c.Request().Context(), ClassSettings{ClassID: classID, AssignmentID: itemID,
		DueAt: utcPtr(req.DueAt), CutoffAt: utcPtr(req.CutoffAt), LatePolicy: req.LatePolicy, PenaltyPerDay: req.PenaltyPerDay})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSettingsJSON(cs))
}

func (h *Handler) setExtension(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	userID, err := web.PathID(c, "user_id", ErrAssignmentNotFound)
	if err != nil {
		return err
	}
	var req struct {
		DueAt *time.Time `json:"due_at"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if err := h.svc.SetExtension(c.Request().Context(), classID, itemID, userID, utcPtr(req.DueAt)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// --- groups ---

type groupResponse struct {
	ID         uuid.UUID   `json:"id"`
	ClassID    uuid.UUID   `json:"class_id"`
	Name       string      `json:"name"`
	SelfSignup bool        `json:"self_signup"`
	MaxSize    int         `json:"max_size"`
	Members    []uuid.UUID `json:"members"`
}

func toGroupResponse(g Group) groupResponse {
	return groupResponse{ID: g.ID, ClassID: g.ClassID, Name: g.Name, SelfSignup: g.SelfSignup, MaxSize: g.MaxSize, Members: g.Members}
}

func (h *Handler) createGroup(c echo.Context) error {
	classID, err := web.PathID(c, "class_id", ErrGroupNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Name       string      `json:"name"`
		SelfSignup bool        `json:"self_signup"`
		MaxSize    int         `json:"max_size"`
		Members    []uuid.UUID `json:"members"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	g, err := h.svc.CreateGroup(c.Request().Context(), classID, GroupInput(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toGroupResponse(g))
}

func (h *Handler) listGroups(c echo.Context) error {
	classID, err := web.PathID(c, "class_id", ErrGroupNotFound)
	if err != nil {
		return err
	}
	gs, err := h.svc.Groups(c.Request().Context(), classID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(gs, toGroupResponse)})
}

func (h *Handler) joinGroup(c echo.Context) error {
	id, err := web.PathID(c, "group_id", ErrGroupNotFound)
	if err != nil {
		return err
	}
	g, err := h.svc.JoinGroup(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toGroupResponse(g))
}

// --- rubrics ---

type rubricRequest struct {
	OrgID    uuid.UUID   `json:"org_id"`
	Name     string      `json:"name"`
	Criteria []Criterion `json:"criteria"`
}

type rubricResponse struct {
	ID        uuid.UUID   `json:"id"`
	OrgID     uuid.UUID   `json:"org_id"`
	Name      string      `json:"name"`
	Criteria  []Criterion `json:"criteria"`
	MaxPoints float64     `json:"max_points"`
	Revision  int         `json:"revision"`
	UpdatedAt time.Time   `json:"updated_at"`
}

func writeRubric(c echo.Context, status int, r Rubric) error {
	c.Response().Header().Set("ETag", `"`+strconv.Itoa(r.Revision)+`"`)
	return c.JSON(status, rubricResponse{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Criteria: r.Criteria, MaxPoints: r.MaxPoints(),
		Revision: r.Revision, UpdatedAt: r.UpdatedAt})
}

func (h *Handler) createRubric(c echo.Context) error {
	var req rubricRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.CreateRubric(c.Request().Context(), req.OrgID, req.Name, req.Criteria)
	if err != nil {
		return err
	}
	return writeRubric(c, http.StatusCreated, r)
}

func (h *Handler) getRubric(c echo.Context) error {
	id, err := web.PathID(c, "rubric_id", ErrRubricNotFound)
	if err != nil {
		return err
	}
	r, err := h.svc.GetRubric(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeRubric(c, http.StatusOK, r)
}

func (h *Handler) updateRubric(c echo.Context) error {
	id, err := web.PathID(c, "rubric_id", ErrRubricNotFound)
	if err != nil {
		return err
	}
	var req rubricRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.UpdateRubric(c.Request().Context(), id, ifMatch(c), req.Name, req.Criteria)
	if err != nil {
		return err
	}
	return writeRubric(c, http.StatusOK, r)
}

// ifMatch reads the revision a client expects from If-Match: 0 when the
// header is absent or "*" (no precondition), -1 (which matches nothing)
// when it names no revision of ours.
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
