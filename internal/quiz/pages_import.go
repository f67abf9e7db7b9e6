package quiz

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The question bank's import and export pages: the import form sends a
// Moodle XML or GIFT file straight to the object store and starts the
// import through the API (assets/web/static/direct-upload.js); the job's
// page follows its progress and shows, question by question, what was
// imported and what was skipped and why. Export downloads both formats.

func (p *Pages) mountImport(r webpage.Router) {
	r.GET("/teach/banks/:bank_id/import", p.importForm)
	r.GET("/teach/banks/:bank_id/imports/:job_id", p.importReport)
	r.GET("/teach/banks/:bank_id/export", p.export)
}

type importPage struct {
	Bank    Bank
	Formats []string
}

func (p *Pages) importForm(c echo.Context) error {
	id, err := uuid.Parse(c.Param("bank_id"))
	if err != nil {
		return ErrBankNotFound
	}
	// Only the bank's authors import into it; others are told what the
	// service tells them.
	if _, err := p.svc.editBank(c.Request().Context(), id); err != nil {
		return err
	}
	b, err := p.svc.Bank(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return p.site.Render(c, http.StatusOK, "quiz/import", importPage{Bank: b, Formats: []string{FormatMoodleXML, FormatGIFT}})
}

type importReportPage struct {
	Bank   Bank
	Job    job.Job
	Result *ImportResult
}

// importReport is an import's job: its progress while it runs, then the
// report of every question of the file.
func (p *Pages) importReport(c echo.Context) error {
	bankID, err := uuid.Parse(c.Param("bank_id"))
	if err != nil {
		return ErrBankNotFound
	}
	jobID, err := uuid.Parse(c.Param("job_id"))
	if err != nil {
		return job.ErrNotFound
	}
	ctx := c.Request().Context()
	b, err := p.svc.Bank(ctx, bankID)
	if err != nil {
		return err
	}
	if p.svc.jobs == nil {
		return job.ErrNotFound
	}
	j, err := p.svc.jobs.Get(ctx, jobID)
	if err != nil {
		return err
	}
	var params importParams
	if j.Kind != JobKindQuestionImport || json.Unmarshal(j.Params, &params) != nil || params.BankID != bankID {
		return job.ErrNotFound
	}
	data := importReportPage{Bank: b, Job: j}
	if len(j.Result) > 0 {
		var res ImportResult
		if err := json.Unmarshal(j.Result, &res); err == nil {
			data.Result = &res
		}
	}
	return p.site.Render(c, http.StatusOK, "quiz/import-report", data)
}

// export downloads the bank in a format, as the API's export does.
func (p *Pages) export(c echo.Context) error {
	id, err := uuid.Parse(c.Param("bank_id"))
	if err != nil {
		return ErrBankNotFound
	}
	format := c.QueryParam("format")
	e, err := p.svc.ExportBank(c.Request().Context(), id, format)
	if err != nil {
		return err
	}
	return sendExport(c, e, format)
}
