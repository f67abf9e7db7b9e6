package certificate

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// JobReader reads a job its caller started; the job service provides it.
type JobReader interface {
	Get(ctx context.Context, id uuid.UUID) (job.Job, error)
}

// ClassRef is a class as the institute's certificate pages name it.
type ClassRef struct {
	ID       uuid.UUID
	Code     string
	Title    string
	StartsOn time.Time
}

// Classes lists an institute's classes for its registrars (authorized as
// the caller) and names one class (not authorized: call it only after a
// service method has authorized the class); delivery provides it.
type Classes interface {
	InstituteClasses(ctx context.Context, orgID uuid.UUID) ([]ClassRef, error)
	Class(ctx context.Context, classID uuid.UUID) (ClassRef, error)
}

// Pages are the certificate pages: a learner's certificates with their
// download and share link, the public verification page the QR code opens,
// and for an institute's registrars the templates, the bulk issue of a
// class, revocation and re-issue (pages_institute.go).
type Pages struct {
	svc     *Service
	site    *webpage.Site
	jobs    JobReader
	classes Classes
}

// NewPages returns the certificate pages.
func NewPages(svc *Service, site *webpage.Site, jobs JobReader, classes Classes) *Pages {
	return &Pages{svc: svc, site: site, jobs: jobs, classes: classes}
}

// Mount registers the pages.
func (p *Pages) Mount() {
	p.site.Public().GET("/verify/:serial", p.verify)
	r := p.site.SignedIn()
	r.GET("/my/certificates", p.mine)
	r.GET("/certificates/:certificate_id/download", p.download)
	p.mountInstitute(r)
}

// certificateCard is one certificate as the pages list it.
type certificateCard struct {
	Certificate
	HolderFacts
	Status    Status
	VerifyURL string
	JP        string
}

func (p *Pages) card(c Certificate) certificateCard {
	f := FactsOf(c)
	return certificateCard{Certificate: c, HolderFacts: f, Status: p.svc.StatusOf(c), VerifyURL: p.svc.VerifyURL(c.Serial),
		JP: strconv.FormatFloat(f.JP, 'f', -1, 64)}
}

type minePage struct{ Certificates []certificateCard }

func (p *Pages) mine(c echo.Context) error {
	res, err := p.svc.MyCertificates(c.Request().Context(), page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	data := minePage{}
	for _, cert := range res.Items {
		data.Certificates = append(data.Certificates, p.card(cert))
	}
	return p.site.Render(c, http.StatusOK, "certificate/mine", data)
}

// download sends the holder or an issuer to a short-lived link to the PDF.
func (p *Pages) download(c echo.Context) error {
	id, err := uuid.Parse(c.Param("certificate_id"))
	if err != nil {
		return ErrNotFound
	}
	link, err := p.svc.Download(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return webpage.Redirect(c, link.URL)
}

type verifyPage struct {
	Asked   string
	Found   bool
	Status  string // valid, revoked, expired, superseded, unknown, malformed
	Good    bool   // valid and signed
	V       Verification
	JP      string
	Grade   string
	APIPath string
	// ReplacedBy is the URL form of the correction's serial, when superseded.
	ReplacedBy string
	// CompletedOn is the completion date as the pages write dates.
	CompletedOn string
}

// verify is the public page a certificate's QR code and share link open:
// anyone, signed in or not, reads whether it is valid.
func (p *Pages) verify(c echo.Context) error {
	asked := serialParam(c)
	v, err := p.svc.Verify(c.Request().Context(), asked)
	status := http.StatusOK
	data := verifyPage{Asked: asked}
	switch {
	case errors.Is(err, ErrNotFound):
		status, data.Status = http.StatusNotFound, "unknown"
	case errors.Is(err, ErrMalformedSerial):
		status, data.Status = http.StatusBadRequest, "malformed"
	case err != nil:
		return err
	default:
		data.Found, data.V, data.Status = true, v, string(v.Status)
		data.Good = v.Status == StatusValid && v.SignatureValid
		data.JP = strconv.FormatFloat(v.Facts.Course.JP, 'f', -1, 64)
		if v.Facts.Grade != nil {
			data.Grade = strconv.FormatFloat(*v.Facts.Grade, 'f', 1, 64)
		}
		data.APIPath = "/api/v1/verify/" + URLSerial(v.Serial)
		data.CompletedOn = v.Facts.CompletedOn
		if d, err := time.Parse(time.DateOnly, v.Facts.CompletedOn); err == nil {
			data.CompletedOn = d.Format("02-01-2006")
		}
		if v.SupersededBy != "" {
			data.ReplacedBy = URLSerial(v.SupersededBy)
		}
	}
	c.Response().Header().Set("Content-Language", webpage.Language(c))
	return p.site.Render(c, status, "certificate/verify", data)
}
