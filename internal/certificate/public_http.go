package certificate

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/web"
)

// PublicHandler serves verification to anyone, without signing in.
type PublicHandler struct {
	svc      *Service
	pdfLimit int64
}

// DefaultPDFLimit bounds a PDF sent for checking unless configured.
const DefaultPDFLimit = 10 << 20

// NewPublicHandler returns the public handler; a PDF to check may be up to
// pdfLimit bytes (0 for DefaultPDFLimit).
func NewPublicHandler(svc *Service, pdfLimit int64) *PublicHandler {
	if pdfLimit <= 0 {
		pdfLimit = DefaultPDFLimit
	}
	return &PublicHandler{svc: svc, pdfLimit: pdfLimit}
}

// MountAPI mounts GET /verify/{serial} and POST /verify/{serial}/pdf on the
// /api/v1 group that needs no sign-in.
func (h *PublicHandler) MountAPI(g *echo.Group) {
	g.GET("/verify/:serial", h.verify)
	g.POST("/verify/:serial/pdf", h.checkPDF)
	g.GET("/issuers/:org_id", h.issuer)
	g.GET("/issuers/:org_id/jwks.json", h.jwks)
}

// issuer is the institute's Open Badges issuer profile.
func (h *PublicHandler) issuer(c echo.Context) error {
	orgID, err := web.PathID(c, "org_id", ErrIssuerNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.IssuerProfile(c.Request().Context(), orgID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// jwks is the institute's key set: every key that verifies its
// certificates and credentials, the current one first.
func (h *PublicHandler) jwks(c echo.Context) error {
	orgID, err := web.PathID(c, "org_id", ErrIssuerNotFound)
	if err != nil {
		return err
	}
	if _, err := h.svc.IssuerProfile(c.Request().Context(), orgID); err != nil {
		return err
	}
	set, err := h.svc.JWKS(c.Request().Context(), orgID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.JSONBlob(http.StatusOK, set)
}

type verificationResponse struct {
	Serial           string          `json:"serial"`
	Status           Status          `json:"status"`
	SignatureValid   bool            `json:"signature_valid"`
	KeyID            string          `json:"key_id"`
	IssuedAt         time.Time       `json:"issued_at"`
	ExpiresAt        *time.Time      `json:"expires_at,omitempty"`
	RevokedAt        *time.Time      `json:"revoked_at,omitempty"`
	RevocationReason string          `json:"revocation_reason,omitempty"`
	SupersededBy     string          `json:"superseded_by,omitempty"`
	PDFSHA256        string          `json:"pdf_sha256"`
	Facts            json.RawMessage `json:"facts"`
	VerifyURL        string          `json:"verify_url"`
}

func (h *PublicHandler) toResponse(v Verification) verificationResponse {
	facts, _ := json.Marshal(v.Facts) // facts were decoded from JSON and encode again
	return verificationResponse{Serial: v.Serial, Status: v.Status, SignatureValid: v.SignatureValid, KeyID: v.KeyID,
		IssuedAt: v.IssuedAt, ExpiresAt: v.ExpiresAt, RevokedAt: v.RevokedAt, RevocationReason: v.RevocationReason,
		SupersededBy: v.SupersededBy, PDFSHA256: v.PDFSHA256, Facts: facts, VerifyURL: h.svc.VerifyURL(v.Serial)}
}

// serialParam is the serial of the path: its dash form, or the printed form
// with its slashes URL-escaped, which the router leaves escaped.
func serialParam(c echo.Context) string {
	if s, err := url.PathUnescape(c.Param("serial")); err == nil {
		return s
	}
	return c.Param("serial")
}

func (h *PublicHandler) verify(c echo.Context) error {
	v, err := h.svc.Verify(c.Request().Context(), serialParam(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.toResponse(v))
}

type pdfCheckResponse struct {
	Original    bool                 `json:"original"`
	SHA256      string               `json:"sha256"`
	Certificate verificationResponse `json:"certificate"`
}

// checkPDF takes the PDF itself (application/pdf) or {"sha256": "…"}.
func (h *PublicHandler) checkPDF(c echo.Context) error {
	digest, err := h.digestOf(c)
	if err != nil {
		return err
	}
	v, original, err := h.svc.CheckPDF(c.Request().Context(), serialParam(c), digest)
	if errors.Is(err, ErrMalformedDigest) {
		return apperr.Invalid("sha256", "Berikan sha256 berupa 64 digit heksadesimal.", "Give the sha256 as 64 hexadecimal digits.")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pdfCheckResponse{Original: original, SHA256: strings.ToLower(digest), Certificate: h.toResponse(v)})
}

func (h *PublicHandler) digestOf(c echo.Context) (string, error) {
	mediaType, _, _ := strings.Cut(c.Request().Header.Get(echo.HeaderContentType), ";")
	switch strings.TrimSpace(mediaType) {
	case "application/pdf":
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, h.pdfLimit+1))
		if err != nil {
			return "", web.BodyError(err)
		}
		if int64(len(body)) > h.pdfLimit {
			return "", ErrPDFTooLarge
		}
		if !bytes.HasPrefix(body, []byte("%PDF-")) {
			return "", ErrNotPDF
		}
		return PDFDigest(body), nil
	case echo.MIMEApplicationJSON:
		var in struct {
			SHA256 string `json:"sha256"`
		}
		if err := web.Bind(c, &in); err != nil {
			return "", err
		}
		return in.SHA256, nil
	}
	return "", ErrNotPDF
}
