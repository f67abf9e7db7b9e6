package gradebook

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// Pages are the gradebook's pages: a learner's grades in a class with their
// final grade, and for a class's staff the class's gradebook with its
// export (a job the page follows until its file can be downloaded).
type Pages struct {
	svc   *Service
	site  *webpage.Site
	names Names
	jobs  PageJobs
}

// Names are the words pages show for the ids rows hold. The app provides
// them; they authorize nothing, so pages ask only about classes the service
// has already shown the caller.
type Names interface {
	// ClassItemTitles returns the titles of a class's course items by id.
	ClassItemTitles(ctx context.Context, classID uuid.UUID) (map[string]string, error)
	// PeopleNames returns users' names by id.
	PeopleNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error)
}

// PageJobs is what the export page reads of its job; the job service
// provides it and shows a job only to who started it.
type PageJobs interface {
	Get(ctx context.Context, id uuid.UUID) (job.Job, error)
	Links(ctx context.Context, j job.Job) (resultURL, errorReportURL string, err error)
}

// NewPages returns the gradebook's pages.
func NewPages(svc *Service, site *webpage.Site, names Names, jobs PageJobs) *Pages {
	return &Pages{svc: svc, site: site, names: names, jobs: jobs}
}

// Mount registers the pages.
func (p *Pages) Mount() {
	r := p.site.SignedIn()
	r.GET("/classes/:class_id/grades", p.myGrades)
	r.GET("/classes/:class_id/gradebook", p.gradebook)
	r.POST("/classes/:class_id/gradebook/exports", p.startExport)
	r.GET("/classes/:class_id/gradebook/exports/:job_id", p.download)
}

func pageClassID(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return uuid.Nil, ErrGradebookNotFound
	}
	return id, nil
}

// itemPage is an item of a row as pages show it.
type itemPage struct {
	ItemResult
	Title string
}

func (p *Pages) items(r Row, titles map[string]string) []itemPage {
	out := make([]itemPage, len(r.Items))
	for i, it := range r.Items {
		out[i] = itemPage{ItemResult: it, Title: titles[it.Item]}
	}
	return out
}

type myGradesPage struct {
	ClassID uuid.UUID
	Row     Row
	Items   []itemPage
}

func (p *Pages) myGrades(c echo.Context) error {
	classID, err := pageClassID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	row, err := p.svc.MyGrades(ctx, classID)
	if err != nil {
		return err
	}
	titles, err := p.names.ClassItemTitles(ctx, classID)
	if err != nil {
		return err
	}
	return p.site.Render(c, http.StatusOK, "gradebook/my-grades", myGradesPage{ClassID: classID, Row: row, Items: p.items(row, titles)})
}

type gradebookPage struct {
	ClassID uuid.UUID
	Columns []itemPage // the class's items, in order
	Rows    []rowPage
	Next    string
	Export  *exportState
}

type rowPage struct {
	Row
	Name  string
	Items []itemPage
}

type exportState struct {
	ID     uuid.UUID
	Status job.Status
	Error  string
}

// Done reports whether the export's file is ready.
func (e exportState) Done() bool { return e.Status == job.StatusSucceeded }

// Over reports whether the export ended without a file.
func (e exportState) Over() bool { return e.Status.Final() && e.Status != job.StatusSucceeded }

const gradebookPageSize = 100

func (p *Pages) gradebook(c echo.Context) error {
	classID, err := pageClassID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	res, err := p.svc.Gradebook(ctx, classID, RowFilter{}, page.Request{Limit: gradebookPageSize, Cursor: c.QueryParam("after")})
	if err != nil {
		return err
	}
	titles, err := p.names.ClassItemTitles(ctx, classID)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(res.Items))
	for i, r := range res.Items {
		ids[i] = r.UserID
	}
	names, err := p.names.PeopleNames(ctx, ids)
	if err != nil {
		return err
	}
	data := gradebookPage{ClassID: classID, Next: res.NextCursor}
	for _, r := range res.Items {
		data.Rows = append(data.Rows, rowPage{Row: r, Name: names[r.UserID], Items: p.items(r, titles)})
	}
	if len(res.Items) > 0 {
		data.Columns = data.Rows[0].Items
	}
	if id, err := uuid.Parse(c.QueryParam("export")); err == nil {
		j, err := p.jobs.Get(ctx, id)
		if err != nil {
			return err
		}
		data.Export = &exportState{ID: j.ID, Status: j.Status, Error: j.Error}
	}
	return p.site.Render(c, http.StatusOK, "gradebook/gradebook", data)
}

// startExport starts the export job and shows the gradebook following it.
func (p *Pages) startExport(c echo.Context) error {
	classID, err := pageClassID(c)
	if err != nil {
		return err
	}
	j, err := p.svc.StartExport(c.Request().Context(), classID, c.FormValue("format"))
	if err != nil {
		return err
	}
	return webpage.Redirect(c, "/classes/"+classID.String()+"/gradebook?export="+j.ID.String()+"#export")
}

// download sends the browser to a short-lived URL of a finished export.
func (p *Pages) download(c echo.Context) error {
	id, err := uuid.Parse(c.Param("job_id"))
	if err != nil {
		return job.ErrNotFound
	}
	ctx := c.Request().Context()
	j, err := p.jobs.Get(ctx, id)
	if err != nil {
		return err
	}
	if j.Kind != JobKindExport || j.Status != job.StatusSucceeded {
		return job.ErrNotFound
	}
	u, _, err := p.jobs.Links(ctx, j)
	if err != nil {
		return err
	}
	if u == "" {
		return job.ErrNotFound
	}
	return c.Redirect(http.StatusFound, u)
}
