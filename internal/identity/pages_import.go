package identity

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/csvio"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// ImportPages are the organisation admin's HR import pages: the form sends
// the CSV straight to the object store and starts the import through the
// API (assets/web/static/direct-upload.js); the job's page follows the
// progress and shows the counts and the rows refused, with their line
// numbers, from the job's error report.
type ImportPages struct {
	im   *Importer
	site *webpage.Site
}

// NewImportPages returns the HR import pages.
func NewImportPages(im *Importer, site *webpage.Site) *ImportPages {
	return &ImportPages{im: im, site: site}
}

// Mount registers the pages.
func (p *ImportPages) Mount() {
	r := p.site.SignedIn()
	r.GET("/admin/imports", p.form)
	r.GET("/admin/imports/:job_id", p.report)
	r.GET("/admin/imports/:job_id/errors.csv", p.errors)
}

type importFormPage struct{ Orgs []Organization }

// form offers the organisations where the admin may import people.
func (p *ImportPages) form(c echo.Context) error {
	ctx := c.Request().Context()
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	data := importFormPage{}
	for _, g := range actor.Grants {
		if !authz.RoleGrants(g.Role, authz.UserImport) || slices.ContainsFunc(data.Orgs, func(o Organization) bool { return o.ID == g.OrgID }) {
			continue
		}
		org, err := p.im.svc.store.org(ctx, g.OrgID)
		if err != nil {
			return err
		}
		data.Orgs = append(data.Orgs, org)
	}
	return p.site.Render(c, http.StatusOK, "identity/import", data)
}

// maxReportRows bounds the refused rows the page shows; the CSV has them all.
const maxReportRows = 500

type importReportPage struct {
	Job       job.Job
	Result    *ImportResult
	Errors    [][]string // line, nip, column, field, message in the page's language
	More      bool       // the report has more rows than the page shows
	HasReport bool
}

// importJob reads the caller's user import; any other job is not found.
func (p *ImportPages) importJob(c echo.Context) (job.Job, error) {
	id, err := uuid.Parse(c.Param("job_id"))
	if err != nil {
		return job.Job{}, job.ErrNotFound
	}
	j, err := p.im.jobs.Get(c.Request().Context(), id)
	if err != nil {
		return j, err
	}
	if j.Kind != JobKindUserImport {
		return job.Job{}, job.ErrNotFound
	}
	return j, nil
}

func (p *ImportPages) report(c echo.Context) error {
	j, err := p.importJob(c)
	if err != nil {
		return err
	}
	data := importReportPage{Job: j, HasReport: j.ErrorReportKey != ""}
	if len(j.Result) > 0 {
		var res ImportResult
		if json.Unmarshal(j.Result, &res) == nil {
			data.Result = &res
		}
	}
	if data.HasReport {
		if data.Errors, data.More, err = p.readReport(c, j.ErrorReportKey); err != nil {
			return err
		}
	}
	return p.site.Render(c, http.StatusOK, "identity/import-report", data)
}

// readReport reads the first rows of an error report, each message in the
// page's language.
func (p *ImportPages) readReport(c echo.Context, key string) ([][]string, bool, error) {
	body, err := p.im.objects.Open(c.Request().Context(), key)
	if err != nil {
		return nil, false, err
	}
	defer body.Close()
	r, err := csvio.NewReader(body)
	if err != nil {
		return nil, false, err
	}
	message := r.Column("pesan")
	if webpage.Language(c) == "en" {
		message = r.Column("message")
	}
	cols := []int{r.Column("line"), r.Column("nip"), r.Column("column"), r.Column("field"), message}
	var rows [][]string
	for {
		rec, _, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, false, nil
		}
		var lineErr *csvio.LineError
		if errors.As(err, &lineErr) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if len(rows) == maxReportRows {
			return rows, true, nil
		}
		row := make([]string, len(cols))
		for i, col := range cols {
			if col >= 0 && col < len(rec) {
				row[i] = rec[col]
			}
		}
		rows = append(rows, row)
	}
}

// errors downloads the whole error report.
func (p *ImportPages) errors(c echo.Context) error {
	j, err := p.importJob(c)
	if err != nil {
		return err
	}
	if j.ErrorReportKey == "" {
		return job.ErrNotFound
	}
	body, err := p.im.objects.Open(c.Request().Context(), j.ErrorReportKey)
	if err != nil {
		return err
	}
	defer body.Close()
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="impor-`+j.ID.String()+`-galat.csv"`)
	return c.Stream(http.StatusOK, "text/csv; charset=utf-8", body)
}
