package identity

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/web"
)

// ImportHandler serves HR imports of users under /api/v1.
type ImportHandler struct{ im *Importer }

// NewImportHandler returns the HTTP handler of user imports.
func NewImportHandler(im *Importer) *ImportHandler { return &ImportHandler{im: im} }

// Mount registers the routes on the authenticated API group.
func (h *ImportHandler) Mount(api *echo.Group) {
	api.POST("/user-imports", h.create)
}

type importRequest struct {
	FileID uuid.UUID `json:"file_id"`
	OrgID  uuid.UUID `json:"org_id"`
	DryRun bool      `json:"dry_run"`
}

// create starts an import and answers 202 with the job to poll.
func (h *ImportHandler) create(c echo.Context) error {
	var req importRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	j, err := h.im.Start(c.Request().Context(), ImportInput{
		FileID: req.FileID, OrgID: req.OrgID, DryRun: req.DryRun, Lang: web.Language(c.Request()),
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, job.Location(j.ID))
	return c.JSON(http.StatusAccepted, job.NewResponse(j))
}
