package certificate

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

type templateBody struct {
	CourseID           *uuid.UUID  `json:"course_id"`
	Name               string      `json:"name"`
	Orientation        Orientation `json:"orientation"`
	TitleID            string      `json:"title_id"`
	TitleEN            string      `json:"title_en"`
	BodyID             string      `json:"body_id"`
	BodyEN             string      `json:"body_en"`
	Signatories        []Signatory `json:"signatories"`
	LogoFileID         *uuid.UUID  `json:"logo_file_id"`
	BackgroundFileID   *uuid.UUID  `json:"background_file_id"`
	ValidityMonths     int         `json:"validity_months"`
	RecertificationURL string      `json:"recertification_url"`
}

func (b templateBody) toInput(orgID uuid.UUID) TemplateInput {
	return TemplateInput{OrgID: orgID, CourseID: b.CourseID, Name: b.Name, Orientation: b.Orientation, TitleID: b.TitleID,
		TitleEN: b.TitleEN, BodyID: b.BodyID, BodyEN: b.BodyEN, Signatories: b.Signatories, ValidityMonths: b.ValidityMonths,
		LogoFileID: b.LogoFileID, BackgroundFileID: b.BackgroundFileID,
		RecertificationURL: b.RecertificationURL}
}

type templateResponse struct {
	ID                 uuid.UUID   `json:"id"`
	OrgID              uuid.UUID   `json:"org_id"`
	CourseID           *uuid.UUID  `json:"course_id"`
	Name               string      `json:"name"`
	Orientation        Orientation `json:"orientation"`
	TitleID            string      `json:"title_id"`
	TitleEN            string      `json:"title_en"`
	BodyID             string      `json:"body_id"`
	BodyEN             string      `json:"body_en"`
	Signatories        []Signatory `json:"signatories"`
	LogoFileID         *uuid.UUID  `json:"logo_file_id"`
	BackgroundFileID   *uuid.UUID  `json:"background_file_id"`
	ValidityMonths     int         `json:"validity_months"`
	RecertificationURL string      `json:"recertification_url"`
	Placeholders       []string    `json:"placeholders"`
	Revision           int         `json:"revision"`
	CreatedAt          time.Time   `json:"created_at"`
	UpdatedAt          time.Time   `json:"updated_at"`
}

func toTemplateResponse(t Template) templateResponse {
	return templateResponse{ID: t.ID, OrgID: t.OrgID, CourseID: t.CourseID, Name: t.Name, Orientation: t.Orientation,
		TitleID: t.TitleID, TitleEN: t.TitleEN, BodyID: t.BodyID, BodyEN: t.BodyEN, Signatories: t.Signatories,
		ValidityMonths: t.ValidityMonths, RecertificationURL: t.RecertificationURL, Placeholders: Placeholders,
		LogoFileID: t.LogoFileID, BackgroundFileID: t.BackgroundFileID,
		Revision: t.Revision, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func writeTemplate(c echo.Context, status int, t Template) error {
	c.Response().Header().Set("ETag", fmt.Sprintf("%q", strconv.Itoa(t.Revision)))
	return c.JSON(status, toTemplateResponse(t))
}

func (h *Handler) listTemplates(c echo.Context) error {
	orgID, err := web.PathID(c, "org_id", ErrTemplateNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c)
	if err != nil {
		return err
	}
	res, err := h.svc.Templates(c.Request().Context(), orgID, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toTemplateResponse))
}

func (h *Handler) createTemplate(c echo.Context) error {
	orgID, err := web.PathID(c, "org_id", ErrTemplateNotFound)
	if err != nil {
		return err
	}
	var body templateBody
	if err := web.Bind(c, &body); err != nil {
		return err
	}
	t, err := h.svc.CreateTemplate(c.Request().Context(), body.toInput(orgID))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/certificate-templates/"+t.ID.String())
	return writeTemplate(c, http.StatusCreated, t)
}

func (h *Handler) getTemplate(c echo.Context) error {
	id, err := web.PathID(c, "template_id", ErrTemplateNotFound)
	if err != nil {
		return err
	}
	t, err := h.svc.Template(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeTemplate(c, http.StatusOK, t)
}

// updateTemplate replaces a template; If-Match with its ETag guards against
// overwriting someone else's change (412).
func (h *Handler) updateTemplate(c echo.Context) error {
	id, err := web.PathID(c, "template_id", ErrTemplateNotFound)
	if err != nil {
		return err
	}
	var body templateBody
	if err := web.Bind(c, &body); err != nil {
		return err
	}
	t, err := h.svc.UpdateTemplate(c.Request().Context(), id, web.IfMatch(c), body.toInput(uuid.Nil))
	if err != nil {
		return err
	}
	return writeTemplate(c, http.StatusOK, t)
}

func (h *Handler) deleteTemplate(c echo.Context) error {
	id, err := web.PathID(c, "template_id", ErrTemplateNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteTemplate(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
