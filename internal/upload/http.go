package upload

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves uploads under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the upload HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.POST("/uploads", h.create)
	api.POST("/uploads/:upload_id/complete", h.complete)
}

type createRequest struct {
	Purpose     Purpose   `json:"purpose"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	OrgID       uuid.UUID `json:"org_id"`
}

type pendingResponse struct {
	UploadID  uuid.UUID         `json:"upload_id"`
	URL       string            `json:"url,omitempty"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
	PartSize  int64             `json:"part_size,omitempty"`
	Parts     []partURLResponse `json:"parts,omitempty"`
}

type partURLResponse struct {
	PartNumber int    `json:"part_number"`
	URL        string `json:"url"`
}

func toPendingResponse(p Pending) pendingResponse {
	res := pendingResponse{UploadID: p.UploadID, URL: p.URL, Method: p.Method, Headers: p.Headers, ExpiresAt: p.ExpiresAt.UTC(),
		PartSize: p.PartSize}
	for _, part := range p.Parts {
		res.Parts = append(res.Parts, partURLResponse{PartNumber: part.Number, URL: part.URL})
	}
	return res
}

type completeRequest struct {
	SHA256 string `json:"sha256"`
	Parts  []struct {
		PartNumber int    `json:"part_number"`
		ETag       string `json:"etag"`
	} `json:"parts"`
}

type fileResponse struct {
	FileID      uuid.UUID `json:"file_id"`
	Filename    string    `json:"filename"`
	Purpose     Purpose   `json:"purpose"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	CompletedAt time.Time `json:"completed_at"`
}

func toFileResponse(f File) fileResponse {
	return fileResponse{FileID: f.ID, Filename: f.Filename, Purpose: f.Purpose, Size: f.Size,
		ContentType: f.ContentType, SHA256: f.SHA256, CompletedAt: f.CompletedAt.UTC()}
}

func (h *Handler) create(c echo.Context) error {
	var req createRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.svc.Create(c.Request().Context(), Input{
		Purpose: req.Purpose, Filename: req.Filename, ContentType: req.ContentType, Size: req.Size, OrgID: req.OrgID,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toPendingResponse(p))
}

// complete takes an optional body {"sha256": "<hex>", "parts": [...]};
// without a sha256 the checksum is computed and returned but not compared;
// the parts (number and ETag of each) are required for an upload in parts.
func (h *Handler) complete(c echo.Context) error {
	id, err := web.PathID(c, "upload_id", ErrUploadNotFound)
	if err != nil {
		return err
	}
	var req completeRequest
	if c.Request().ContentLength != 0 {
		if err := web.Bind(c, &req); err != nil {
			return err
		}
	}
	parts := make([]objectstore.Part, len(req.Parts))
	for i, p := range req.Parts {
		parts[i] = objectstore.Part{Number: p.PartNumber, ETag: p.ETag}
	}
	f, err := h.svc.CompleteParts(c.Request().Context(), id, req.SHA256, parts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toFileResponse(f))
}
