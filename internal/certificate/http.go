package certificate

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

// Handler serves certificates to signed-in callers under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the certificate HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/me/certificates", h.listMine)
	api.POST("/certificates", h.issue)
	api.GET("/certificates/:certificate_id", h.get)
	api.GET("/certificates/:certificate_id/download", h.download)
	api.GET("/certificates/:certificate_id/credential", h.credential)
	api.POST("/certificates/:certificate_id/revoke", h.revoke)
	api.POST("/certificates/:certificate_id/reissue", h.reissue)
	api.POST("/classes/:class_id/certificates", h.issueForClass)
	api.GET("/organizations/:org_id/certificates/expiring", h.expiring)
	api.POST("/organizations/:org_id/certificate-keys/rotate", h.rotateKey)
	api.GET("/organizations/:org_id/certificate-templates", h.listTemplates)
	api.POST("/organizations/:org_id/certificate-templates", h.createTemplate)
	api.GET("/certificate-templates/:template_id", h.getTemplate)
	api.PUT("/certificate-templates/:template_id", h.updateTemplate)
	api.DELETE("/certificate-templates/:template_id", h.deleteTemplate)
}

type certificateResponse struct {
	ID               uuid.UUID  `json:"id"`
	Serial           string     `json:"serial"`
	Status           Status     `json:"status"`
	OrgID            uuid.UUID  `json:"org_id"`
	EnrolmentID      uuid.UUID  `json:"enrolment_id"`
	ClassID          uuid.UUID  `json:"class_id"`
	CourseID         uuid.UUID  `json:"course_id"`
	UserID           uuid.UUID  `json:"user_id"`
	Source           Source     `json:"source"`
	Reason           string     `json:"reason,omitempty"`
	CourseTitle      string     `json:"course_title"`
	LearnerName      string     `json:"learner_name"`
	JP               float64    `json:"jp"`
	PDFSHA256        string     `json:"pdf_sha256"`
	IssuedAt         time.Time  `json:"issued_at"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"`
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
	RevocationReason string     `json:"revocation_reason,omitempty"`
	ReplacesID       *uuid.UUID `json:"replaces_id,omitempty"`
	SupersededBy     *uuid.UUID `json:"superseded_by,omitempty"`
	VerifyURL        string     `json:"verify_url"`
}

func (h *Handler) toResponse(c Certificate) certificateResponse {
	f, _ := parseFacts(c.Facts) // facts were stored from this struct's JSON
	return certificateResponse{ID: c.ID, Serial: c.Serial, Status: c.StatusAt(h.svc.now()), OrgID: c.OrgID, EnrolmentID: c.EnrolmentID,
		ClassID: c.ClassID, CourseID: c.CourseID, UserID: c.UserID, Source: c.Source, Reason: c.Reason, CourseTitle: f.Course.Title,
		LearnerName: f.Learner.Name, JP: f.Course.JP, PDFSHA256: c.PDFSHA256, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
		RevokedAt: c.RevokedAt, RevocationReason: c.RevocationReason, ReplacesID: c.ReplacesID, SupersededBy: c.SupersededBy,
		VerifyURL: h.svc.VerifyURL(c.Serial)}
}

func certificateID(c echo.Context) (uuid.UUID, error) {
	return web.PathID(c, "certificate_id", ErrNotFound)
}

func (h *Handler) listMine(c echo.Context) error {
	req, err := web.PageRequest(c)
	if err != nil {
		return err
	}
	res, err := h.svc.MyCertificates(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, h.toResponse))
}

func (h *Handler) get(c echo.Context) error {
	id, err := certificateID(c)
	if err != nil {
		return err
	}
	cert, err := h.svc.Certificate(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.toResponse(cert))
}

type downloadResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	SHA256    string    `json:"sha256"`
}

func (h *Handler) download(c echo.Context) error {
	id, err := certificateID(c)
	if err != nil {
		return err
	}
	cert, err := h.svc.Certificate(c.Request().Context(), id)
	if err != nil {
		return err
	}
	link, err := h.svc.Download(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, downloadResponse{URL: link.URL, ExpiresAt: link.ExpiresAt, SHA256: cert.PDFSHA256})
}

type credentialResponse struct {
	Format     string `json:"format"`
	Credential string `json:"credential"`
	JWKSURL    string `json:"jwks_url"`
}

func (h *Handler) credential(c echo.Context) error {
	id, err := certificateID(c)
	if err != nil {
		return err
	}
	cert, err := h.svc.Certificate(c.Request().Context(), id)
	if err != nil {
		return err
	}
	signed, err := h.svc.Credential(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, credentialResponse{Format: "vc+jwt", Credential: signed, JWKSURL: h.svc.IssuerURL(cert.OrgID) + "/jwks.json"})
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

type issueRequestBody struct {
	EnrolmentID uuid.UUID `json:"enrolment_id"`
	Reason      string    `json:"reason"`
}

func (h *Handler) issue(c echo.Context) error {
	var req issueRequestBody
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if req.EnrolmentID == uuid.Nil {
		return apperr.Invalid("enrolment_id", "Pendaftaran wajib dipilih.", "An enrolment is required.")
	}
	cert, err := h.svc.Issue(c.Request().Context(), req.EnrolmentID, req.Reason)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/certificates/"+cert.ID.String())
	return c.JSON(http.StatusCreated, h.toResponse(cert))
}

func (h *Handler) revoke(c echo.Context) error {
	id, err := certificateID(c)
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	cert, err := h.svc.Revoke(c.Request().Context(), id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.toResponse(cert))
}

func (h *Handler) reissue(c echo.Context) error {
	id, err := certificateID(c)
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	cert, err := h.svc.Reissue(c.Request().Context(), id, req.Reason)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/certificates/"+cert.ID.String())
	return c.JSON(http.StatusCreated, h.toResponse(cert))
}

// issueForClass starts a bulk issue and answers 202 with the job to poll.
func (h *Handler) issueForClass(c echo.Context) error {
	classID, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	j, err := h.svc.IssueForClass(c.Request().Context(), classID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, job.Location(j.ID))
	return c.JSON(http.StatusAccepted, job.NewResponse(j))
}

func (h *Handler) expiring(c echo.Context) error {
	orgID, err := web.PathID(c, "org_id", ErrIssuerNotFound)
	if err != nil {
		return err
	}
	days := 90
	if raw := c.QueryParam("within_days"); raw != "" {
		if days, err = strconv.Atoi(raw); err != nil {
			return apperr.Invalid("within_days", "Berupa bilangan bulat.", "Must be a whole number.")
		}
	}
	req, err := web.PageRequest(c)
	if err != nil {
		return err
	}
	res, err := h.svc.Expiring(c.Request().Context(), orgID, days, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, h.toResponse))
}

type rotationResponse struct {
	KeyID   string `json:"key_id"`
	JWKSURL string `json:"jwks_url"`
}

// rotateKey retires the institute's signing key and makes a new one current.
func (h *Handler) rotateKey(c echo.Context) error {
	orgID, err := web.PathID(c, "org_id", ErrIssuerNotFound)
	if err != nil {
		return err
	}
	kid, err := h.svc.RotateKey(c.Request().Context(), orgID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rotationResponse{KeyID: kid, JWKSURL: h.svc.IssuerURL(orgID) + "/jwks.json"})
}
