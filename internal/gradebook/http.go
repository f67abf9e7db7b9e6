package gradebook

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves the gradebook's HTTP API.
type Handler struct{ svc *Service }

// NewHandler returns the gradebook's handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the signed-in API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/me/classes/:class_id/grades", h.myGrades)
	api.GET("/classes/:class_id/gradebook", h.list)
	api.GET("/classes/:class_id/gradebook/settings", h.settings)
	api.PUT("/classes/:class_id/gradebook/settings", h.setSettings)
	api.POST("/classes/:class_id/gradebook/overrides", h.setOverride)
	api.POST("/classes/:class_id/gradebook/exports", h.startExport)
}

type itemResponse struct {
	Item       string   `json:"item"`
	Kind       string   `json:"kind"`
	Category   *string  `json:"category"`
	Percent    *float64 `json:"percent"`
	Overridden bool     `json:"overridden"`
	Dropped    bool     `json:"dropped"`
}

type rowResponse struct {
	ClassID         uuid.UUID      `json:"class_id"`
	UserID          uuid.UUID      `json:"user_id"`
	FinalPercent    *float64       `json:"final_percent"`
	FinalOverridden bool           `json:"final_overridden"`
	Passed          bool           `json:"passed"`
	Items           []itemResponse `json:"items"`
	ComputedAt      *time.Time     `json:"computed_at"`
}

func toRowResponse(r Row) rowResponse {
	out := rowResponse{ClassID: r.ClassID, UserID: r.UserID, FinalPercent: r.FinalPercent, FinalOverridden: r.FinalOverridden,
		Passed: r.Passed, Items: make([]itemResponse, len(r.Items))}
	if !r.ComputedAt.IsZero() {
		at := r.ComputedAt.UTC()
		out.ComputedAt = &at
	}
	for i, it := range r.Items {
		ir := itemResponse{Item: it.Item, Kind: it.Kind, Percent: it.Percent, Overridden: it.Overridden, Dropped: it.Dropped}
		if it.Category != "" {
			cat := it.Category
			ir.Category = &cat
		}
		out.Items[i] = ir
	}
	return out
}

func classID(c echo.Context) (uuid.UUID, error) {
	return web.PathID(c, "class_id", ErrGradebookNotFound)
}

func (h *Handler) myGrades(c echo.Context) error {
	id, err := classID(c)
	if err != nil {
		return err
	}
	r, err := h.svc.MyGrades(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toRowResponse(r))
}

func (h *Handler) list(c echo.Context) error {
	id, err := classID(c)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c)
	if err != nil {
		return err
	}
	var v apperr.Validation
	var f RowFilter
	if raw := c.QueryParam("passed"); raw != "" {
		passed, err := strconv.ParseBool(raw)
		v.Check(err == nil, "passed", "harus true atau false", "must be true or false")
		f.Passed = &passed
	}
	if u := web.QueryID(c, &v, "user_id"); u != uuid.Nil {
		f.UserID = &u
	}
	if err := v.Err(); err != nil {
		return err
	}
	p, err := h.svc.Gradebook(c.Request().Context(), id, f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(p, toRowResponse))
}

type categoryBody struct {
	Key        string   `json:"key"`
	Name       string   `json:"name"`
	Weight     float64  `json:"weight"`
	DropLowest int      `json:"drop_lowest"`
	Items      []string `json:"items"`
}

type settingsRequest struct {
	PassMark   *float64       `json:"pass_mark"`
	Categories []categoryBody `json:"categories"`
}

type gradedItemResponse struct {
	Item string `json:"item"`
	Kind string `json:"kind"`
}

type settingsResponse struct {
	Configured bool                 `json:"configured"`
	PassMark   *float64             `json:"pass_mark"`
	Categories []categoryBody       `json:"categories"`
	Revision   int                  `json:"revision"`
	Items      []gradedItemResponse `json:"items"`
}

func toSettingsResponse(v SettingsView) settingsResponse {
	out := settingsResponse{Configured: v.Configured, Revision: v.Revision, Categories: make([]categoryBody, len(v.Categories)),
		Items: make([]gradedItemResponse, len(v.Items))}
	if v.Configured {
		mark := v.PassMark
		out.PassMark = &mark
	}
	for i, c := range v.Categories {
		out.Categories[i] = categoryBody{Key: c.Key, Name: c.Name, Weight: c.Weight, DropLowest: c.DropLowest, Items: c.Items}
	}
	for i, it := range v.Items {
		out.Items[i] = gradedItemResponse{Item: it.Key, Kind: it.Kind}
	}
	return out
}

func (h *Handler) settings(c echo.Context) error {
	id, err := classID(c)
	if err != nil {
		return err
	}
	v, err := h.svc.Settings(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSettingsResponse(v))
}

func (h *Handler) setSettings(c echo.Context) error {
	id, err := classID(c)
	if err != nil {
		return err
	}
	var req settingsRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if req.PassMark == nil {
		return apperr.Invalid("pass_mark", "wajib diisi", "is required")
	}
	in := SettingsInput{PassMark: *req.PassMark, Categories: make([]Category, len(req.Categories))}
	for i, cat := range req.Categories {
		in.Categories[i] = Category{Key: cat.Key, Name: cat.Name, Weight: cat.Weight, DropLowest: cat.DropLowest, Items: cat.Items}
	}
	v, err := h.svc.SetSettings(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSettingsResponse(v))
}

type overrideRequest struct {
	UserID  uuid.UUID `json:"user_id"`
	Item    string    `json:"item"`
	Percent *float64  `json:"percent"`
	Reason  string    `json:"reason"`
}

func (h *Handler) setOverride(c echo.Context) error {
	id, err := classID(c)
	if err != nil {
		return err
	}
	var req overrideRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if req.Percent == nil {
		return apperr.Invalid("percent", "wajib diisi", "is required")
	}
	r, err := h.svc.SetOverride(c.Request().Context(), id, OverrideInput{UserID: req.UserID, Item: req.Item, Percent: *req.Percent, Reason: req.Reason})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toRowResponse(r))
}

type exportRequest struct {
	Format string `json:"format"`
}

func (h *Handler) startExport(c echo.Context) error {
	id, err := classID(c)
	if err != nil {
		return err
	}
	var req exportRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	j, err := h.svc.StartExport(c.Request().Context(), id, req.Format)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, job.Location(j.ID))
	return c.JSON(http.StatusAccepted, job.NewResponse(j))
}
