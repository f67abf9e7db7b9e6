package audit

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/csvio"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves the audit log under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the audit HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/audit-events", h.list)
	api.GET("/audit-events/export", h.export)
}

type entryResponse struct {
	ID         uuid.UUID       `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    *uuid.UUID      `json:"actor_id,omitempty"`
	GrantID    *uuid.UUID      `json:"grant_id,omitempty"`
	OrgID      *uuid.UUID      `json:"org_id,omitempty"`
	Action     string          `json:"action"`
	EntityType string          `json:"entity_type"`
	EntityID   string          `json:"entity_id"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	RequestID  string          `json:"request_id"`
	IP         string          `json:"ip"`
}

func toEntryResponse(e Entry) entryResponse {
	return entryResponse{
		ID: e.ID, At: e.At.UTC(), ActorID: e.ActorID, GrantID: e.GrantID, OrgID: e.OrgID,
		Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID,
		Before: e.Before, After: e.After, RequestID: e.RequestID, IP: e.IP,
	}
}

func (h *Handler) list(c echo.Context) error {
	f, err := filterFrom(c)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c)
	if err != nil {
		return err
	}
	res, err := h.svc.List(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toEntryResponse))
}

// export streams every matching entry as CSV, page by page, so memory stays
// flat however long the log is.
func (h *Handler) export(c echo.Context) error {
	f, err := filterFrom(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	req := page.Request{Limit: page.MaxLimit}
	first, err := h.svc.List(ctx, f, req)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="audit-log.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	// Cells a spreadsheet would run as formulas are defused: entity ids,
	// request ids and recorded states may carry what a client wrote.
	w := csvio.NewWriter(c.Response())
	_ = w.Write("id", "at", "actor_id", "grant_id", "org_id", "action", "entity_type", "entity_id", "before", "after", "request_id", "ip")
	for res := first; ; {
		for _, e := range res.Items {
			_ = w.Write(
				e.ID.String(), e.At.UTC().Format(time.RFC3339), idString(e.ActorID), idString(e.GrantID), idString(e.OrgID),
				e.Action, e.EntityType, e.EntityID, string(e.Before), string(e.After), e.RequestID, e.IP,
			)
		}
		w.Flush()
		if res.NextCursor == "" || w.Error() != nil {
			return nil
		}
		req.Cursor = res.NextCursor
		if res, err = h.svc.List(ctx, f, req); err != nil {
			return nil // the header is sent; the truncated file shows the failure, the log has the cause
		}
	}
}

func idString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func filterFrom(c echo.Context) (Filter, error) {
	var v apperr.Validation
	f := Filter{
		EntityType: web.QueryText(c, &v, "entity_type"),
		EntityID:   web.QueryText(c, &v, "entity_id"),
		Action:     web.QueryText(c, &v, "action"),
		OrgID:      web.QueryID(c, &v, "org_id"),
		ActorID:    web.QueryID(c, &v, "actor_id"),
		Since:      web.QueryTime(c, &v, "since"),
		Until:      web.QueryTime(c, &v, "until"),
	}
	v.Check(f.Since.IsZero() || f.Until.IsZero() || f.Since.Before(f.Until), "until",
		"harus sesudah since", "must be after since")
	return f, v.Err()
}
