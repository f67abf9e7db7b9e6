package job

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves jobs under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the job HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/jobs/:job_id", h.get)
	api.POST("/jobs/:job_id/cancel", h.cancel)
}

// Progress is how much of a job is done.
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// Response is a job as the API shows it. Domains that start a job answer
// 202 Accepted with it and Location: /api/v1/jobs/{id}.
type Response struct {
	ID             uuid.UUID       `json:"id"`
	Kind           string          `json:"kind"`
	Status         Status          `json:"status"`
	Progress       Progress        `json:"progress"`
	Result         json.RawMessage `json:"result,omitempty"`
	ResultURL      string          `json:"result_url,omitempty"`
	ErrorReportURL string          `json:"error_report_url,omitempty"`
	Error          string          `json:"error,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	StartedAt      *time.Time      `json:"started_at,omitempty"`
	FinishedAt     *time.Time      `json:"finished_at,omitempty"`
}

// NewResponse converts a job, without the download URLs of its files.
func NewResponse(j Job) Response {
	return Response{ID: j.ID, Kind: j.Kind, Status: j.Status, Progress: Progress{Done: j.Done, Total: j.Total},
		Result: j.Result, Error: j.Error, CreatedAt: j.CreatedAt.UTC(), StartedAt: utc(j.StartedAt), FinishedAt: utc(j.FinishedAt)}
}

// Location is the path a client polls for the job.
func Location(id uuid.UUID) string { return "/api/v1/jobs/" + id.String() }

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (h *Handler) respond(c echo.Context, j Job) error {
	resp := NewResponse(j)
	var err error
	if resp.ResultURL, resp.ErrorReportURL, err = h.svc.Links(c.Request().Context(), j); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resp)
}

func (h *Handler) get(c echo.Context) error {
	id, err := web.PathID(c, "job_id", ErrNotFound)
	if err != nil {
		return err
	}
	j, err := h.svc.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.respond(c, j)
}

func (h *Handler) cancel(c echo.Context) error {
	id, err := web.PathID(c, "job_id", ErrNotFound)
	if err != nil {
		return err
	}
	j, err := h.svc.Cancel(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.respond(c, j)
}
