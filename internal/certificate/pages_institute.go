package certificate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The institute's certificate pages, for its registrars: the templates
// (list, create, edit with a preview of the text), a class's certificates
// with the bulk issue and its progress, and revocation and re-issue with a
// reason. The service keeps every rule (only the institute's issuers, never
// one's own certificate).

func (p *Pages) mountInstitute(r webpage.Router) {
	r.GET("/institute/certificates", p.institute)
	r.GET("/institute/:org_id/certificate-templates/new", p.newTemplate)
	r.POST("/institute/:org_id/certificate-templates", p.createTemplate)
	r.GET("/institute/certificate-templates/:template_id", p.editTemplate)
	r.POST("/institute/certificate-templates/:template_id", p.saveTemplate)
	r.GET("/institute/classes/:class_id/certificates", p.class)
	r.POST("/institute/classes/:class_id/certificates/issue", p.issueForClass)
	r.POST("/institute/certificates/:certificate_id/revoke", p.act(p.svc.Revoke, "revoke"))
	r.POST("/institute/certificates/:certificate_id/reissue", p.act(p.svc.Reissue, "reissue"))
}

// instituteBox is one institute the registrar issues for.
type instituteBox struct {
	Org       Organization
	Templates []Template
	Classes   []ClassRef
}

type institutePage struct{ Institutes []instituteBox }

// institute lists, for every institute where the caller issues
// certificates, its templates and classes.
func (p *Pages) institute(c echo.Context) error {
	ctx := c.Request().Context()
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	data := institutePage{}
	seen := map[uuid.UUID]bool{}
	for _, g := range actor.Grants {
		if seen[g.OrgID] || !authz.RoleGrants(g.Role, authz.CertificateIssue) {
			continue
		}
		seen[g.OrgID] = true
		org, err := p.svc.dir.Organization(ctx, g.OrgID)
		if err != nil {
			return err
		}
		box := instituteBox{Org: org}
		ts, err := p.svc.Templates(ctx, g.OrgID, page.Request{Limit: page.MaxLimit})
		if err != nil {
			return err
		}
		box.Templates = ts.Items
		if box.Classes, err = p.classes.InstituteClasses(ctx, g.OrgID); err != nil {
			return err
		}
		data.Institutes = append(data.Institutes, box)
	}
	return p.site.Render(c, http.StatusOK, "certificate/institute", data)
}

type templatePage struct {
	OrgID        uuid.UUID
	Template     *Template // nil for a new one
	Placeholders []string
	Preview      *templatePreview
	Saved        bool
}

type templatePreview struct{ TitleID, TitleEN, BodyID, BodyEN string }

// sampleFacts fill a template's preview.
var sampleFacts = Facts{Serial: "BPSDM-CONTOH/2026/000123", Institute: PartyFacts{Name: "BPSDM Provinsi Contoh"},
	CourseOwner: PartyFacts{Name: "BPSDM Kemendagri"}, Learner: LearnerFacts{Name: "Budi Santoso", NIP: "199204172019031004"},
	Course: CourseFacts{Title: "Etika dan Integritas ASN", JP: 24, Competencies: []string{"etika", "integritas"}},
	Class:  ClassFacts{Title: "Angkatan I"}, CompletedOn: "2026-08-17", IssuedAt: time.Date(2026, 8, 18, 0, 0, 0, 0, time.UTC)}

func preview(t Template) *templatePreview {
	id, en := placeholderValues(sampleFacts, "id"), placeholderValues(sampleFacts, "en")
	return &templatePreview{TitleID: fill(t.TitleID, id), TitleEN: fill(t.TitleEN, en), BodyID: fill(t.BodyID, id), BodyEN: fill(t.BodyEN, en)}
}

func (p *Pages) newTemplate(c echo.Context) error {
	orgID, err := uuid.Parse(c.Param("org_id"))
	if err != nil {
		return ErrIssuerNotFound
	}
	if _, _, err := p.svc.issuerScope(c.Request().Context(), orgID, ErrIssuerNotFound); err != nil {
		return err
	}
	d := defaultTemplate(orgID)
	form := webpage.Form{Values: url.Values{"orientation": {string(d.Orientation)}, "title_id": {d.TitleID}, "title_en": {d.TitleEN},
		"body_id": {d.BodyID}, "body_en": {d.BodyEN}, "validity_months": {"0"}}}
	return p.renderTemplate(c, http.StatusOK, orgID, nil, form)
}

func (p *Pages) renderTemplate(c echo.Context, status int, orgID uuid.UUID, t *Template, form webpage.Form) error {
	data := templatePage{OrgID: orgID, Template: t, Placeholders: Placeholders, Saved: c.QueryParam("saved") == "1" && status == http.StatusOK}
	if t != nil {
		data.Preview = preview(*t)
	}
	return p.site.RenderForm(c, status, "certificate/template", data, form)
}

// templateFromForm reads the form: signatories one per line as "Name |
// Title".
func templateFromForm(form url.Values) (TemplateInput, int, error) {
	in := TemplateInput{Name: strings.TrimSpace(form.Get("name")), Orientation: Orientation(form.Get("orientation")),
		TitleID: strings.TrimSpace(form.Get("title_id")), TitleEN: strings.TrimSpace(form.Get("title_en")),
		BodyID: strings.TrimSpace(form.Get("body_id")), BodyEN: strings.TrimSpace(form.Get("body_en")),
		RecertificationURL: strings.TrimSpace(form.Get("recertification_url"))}
	for _, line := range webpage.Lines(form.Get("signatories")) {
		name, title, _ := strings.Cut(line, "|")
		in.Signatories = append(in.Signatories, Signatory{Name: strings.TrimSpace(name), Title: strings.TrimSpace(title)})
	}
	var v apperr.Validation
	if s := strings.TrimSpace(form.Get("validity_months")); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil, "validity_months", "harus bilangan bulat", "must be a whole number")
		in.ValidityMonths = n
	}
	revision, _ := strconv.Atoi(form.Get("revision"))
	return in, revision, v.Err()
}

func (p *Pages) createTemplate(c echo.Context) error {
	orgID, err := uuid.Parse(c.Param("org_id"))
	if err != nil {
		return ErrIssuerNotFound
	}
	form, _ := c.FormParams()
	in, _, err := templateFromForm(form)
	if err == nil {
		in.OrgID = orgID
		var t Template
		if t, err = p.svc.CreateTemplate(c.Request().Context(), in); err == nil {
			return webpage.Redirect(c, "/institute/certificate-templates/"+t.ID.String()+"?saved=1")
		}
	}
	return webpage.Refuse(c, err, form, nil, func(c echo.Context, status int, f webpage.Form) error {
		return p.renderTemplate(c, status, orgID, nil, f)
	})
}

func (p *Pages) editTemplate(c echo.Context) error {
	id, err := uuid.Parse(c.Param("template_id"))
	if err != nil {
		return ErrTemplateNotFound
	}
	t, err := p.svc.Template(c.Request().Context(), id)
	if err != nil {
		return err
	}
	var sigs []string
	for _, s := range t.Signatories {
		sigs = append(sigs, s.Name+" | "+s.Title)
	}
	form := webpage.Form{Values: url.Values{"name": {t.Name}, "orientation": {string(t.Orientation)}, "title_id": {t.TitleID},
		"title_en": {t.TitleEN}, "body_id": {t.BodyID}, "body_en": {t.BodyEN}, "signatories": {strings.Join(sigs, "\n")},
		"validity_months": {strconv.Itoa(t.ValidityMonths)}, "recertification_url": {t.RecertificationURL},
		"revision": {strconv.Itoa(t.Revision)}}}
	return p.renderTemplate(c, http.StatusOK, t.OrgID, &t, form)
}

// saveTemplate replaces a template; a template changed by someone else
// since the form was opened is refused with the form kept.
func (p *Pages) saveTemplate(c echo.Context) error {
	id, err := uuid.Parse(c.Param("template_id"))
	if err != nil {
		return ErrTemplateNotFound
	}
	ctx := c.Request().Context()
	current, err := p.svc.Template(ctx, id)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	in, revision, err := templateFromForm(form)
	if err == nil {
		// What the form does not show stays as it is.
		in.CourseID, in.LogoFileID, in.BackgroundFileID = current.CourseID, current.LogoFileID, current.BackgroundFileID
		for i := range in.Signatories {
			if i < len(current.Signatories) {
				in.Signatories[i].SignatureFileID = current.Signatories[i].SignatureFileID
			}
		}
		if _, err = p.svc.UpdateTemplate(ctx, id, revision, in); err == nil {
			return webpage.Redirect(c, "/institute/certificate-templates/"+id.String()+"?saved=1")
		}
	}
	return webpage.Refuse(c, err, form, nil, func(c echo.Context, status int, f webpage.Form) error {
		return p.renderTemplate(c, status, current.OrgID, &current, f)
	})
}

type classPage struct {
	Class        ClassRef
	Certificates []certificateCard
	Job          *job.Job
	Result       *BulkResult
	Done         string // the act just done: revoke or reissue
}

func (p *Pages) class(c echo.Context) error { return p.renderClass(c, http.StatusOK, webpage.Form{}) }

func (p *Pages) renderClass(c echo.Context, status int, form webpage.Form) error {
	classID, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrClassNotFound
	}
	ctx := c.Request().Context()
	certs, err := p.svc.ClassCertificates(ctx, classID)
	if err != nil {
		return err
	}
	data := classPage{}
	if done := c.QueryParam("done"); (done == "revoke" || done == "reissue") && status == http.StatusOK {
		data.Done = done
	}
	if data.Class, err = p.classes.Class(ctx, classID); err != nil {
		return err
	}
	for _, cert := range certs {
		data.Certificates = append(data.Certificates, p.card(cert))
	}
	if raw := c.QueryParam("job"); raw != "" {
		if data.Job, data.Result, err = p.bulkJob(c, raw, classID); err != nil {
			return err
		}
	}
	return p.site.RenderForm(c, status, "certificate/class", data, form)
}

// bulkJob reads the caller's bulk issue of the class; any other job is not
// found.
func (p *Pages) bulkJob(c echo.Context, raw string, classID uuid.UUID) (*job.Job, *BulkResult, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, nil, job.ErrNotFound
	}
	j, err := p.jobs.Get(c.Request().Context(), id)
	if err != nil {
		return nil, nil, err
	}
	var params struct {
		ClassID uuid.UUID `json:"class_id"`
	}
	if j.Kind != JobKindBulkIssue || json.Unmarshal(j.Params, &params) != nil || params.ClassID != classID {
		return nil, nil, job.ErrNotFound
	}
	var res *BulkResult
	if len(j.Result) > 0 {
		res = &BulkResult{}
		if err := json.Unmarshal(j.Result, res); err != nil {
			res = nil
		}
	}
	return &j, res, nil
}

func (p *Pages) issueForClass(c echo.Context) error {
	classID, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrClassNotFound
	}
	j, err := p.svc.IssueForClass(c.Request().Context(), classID)
	if err != nil {
		return webpage.Refuse(c, err, url.Values{"form": {"issue"}}, nil, p.renderClass)
	}
	return webpage.Redirect(c, "/institute/classes/"+classID.String()+"/certificates?job="+j.ID.String())
}

// act is the form of a manual act on one certificate (revoke, re-issue)
// with its reason; a refused one shows the error next to that
// certificate's reason field.
func (p *Pages) act(do func(ctx context.Context, id uuid.UUID, reason string) (Certificate, error), name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := uuid.Parse(c.Param("certificate_id"))
		if err != nil {
			return ErrNotFound
		}
		ctx := c.Request().Context()
		cert, err := p.svc.Certificate(ctx, id)
		if err != nil {
			return err
		}
		form, _ := c.FormParams()
		form.Set("form", name+"-"+id.String())
		if _, err := do(ctx, id, form.Get("reason")); err != nil {
			c.SetParamNames("class_id")
			c.SetParamValues(cert.ClassID.String())
			return webpage.Refuse(c, err, form, nil, p.renderClass)
		}
		return webpage.Redirect(c, "/institute/classes/"+cert.ClassID.String()+"/certificates?done="+name)
	}
}
