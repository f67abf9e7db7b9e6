package assignment

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// Pages are the assignment pages: for a learner, an assignment of their
// class with its dates and late policy, the hand-in form (files go straight
// to the object store with a progress bar, see assets/web/static/
// assignment.js), the history of their versions, group sign-up and the
// released result by the rubric; for a class's staff, the grading queue and
// a grading page per submission (pages_grading.go).
type Pages struct {
	svc   *Service
	site  *webpage.Site
	names Names
}

// Names are the words pages show for ids the service returns: course items'
// titles and people's names. The app provides them; they authorize nothing,
// so pages ask only about what the service has already shown the caller.
type Names interface {
	// ItemTitles returns the titles of a course version's items by id.
	ItemTitles(ctx context.Context, versionID uuid.UUID) (map[uuid.UUID]string, error)
	// PeopleNames returns users' names by id.
	PeopleNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error)
}

// NewPages returns the assignment pages.
func NewPages(svc *Service, site *webpage.Site, names Names) *Pages {
	return &Pages{svc: svc, site: site, names: names}
}

// Mount registers the pages.
func (p *Pages) Mount() {
	r := p.site.SignedIn()
	r.GET("/classes/:class_id/assignments/:item_id", p.assignment)
	r.POST("/classes/:class_id/assignments/:item_id/submissions", p.submit)
	r.POST("/classes/:class_id/assignment-groups/:group_id/join", p.joinGroup)
	r.GET("/assignment-submissions/:submission_id/files/:file_id", p.download)
	p.mountGrading(r)
	p.mountAuthor(r)
	p.mountClassSettings(r)
}

// classItem reads the class and assignment ids of a page's path.
func classItem(c echo.Context) (classID, itemID uuid.UUID, err error) {
	if classID, err = uuid.Parse(c.Param("class_id")); err != nil {
		return uuid.Nil, uuid.Nil, ErrAssignmentNotFound
	}
	if itemID, err = uuid.Parse(c.Param("item_id")); err != nil {
		return uuid.Nil, uuid.Nil, ErrAssignmentNotFound
	}
	return classID, itemID, nil
}

func assignmentPath(classID, itemID uuid.UUID) string {
	return "/classes/" + classID.String() + "/assignments/" + itemID.String()
}

// learnerPage is what the learner's assignment page shows.
type learnerPage struct {
	ClassID   uuid.UUID
	Title     string
	View      ClassView
	Versions  []Submission
	Result    ResultView
	Rubric    *Rubric
	Group     *Group  // the learner's group of a group assignment
	OpenTeams []Group // self-sign-up groups with room, while the learner has none
	ServerNow time.Time
	Late      bool   // handing in now is late
	Closed    bool   // past the cut-off: nothing is accepted
	Key       string // the hand-in's idempotency key: pressing twice makes one version
	Accept    string // the file input's accept attribute
	Submitted string // the number of the version just handed in
	Extended  bool   // the learner's due date is their extension's
	MaxSize   string // the largest file accepted, readable
}

// SizeText is a file's size as people read it.
func (f SubmittedFile) SizeText() string { return sizeText(f.Size) }

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

func (p *Pages) assignment(c echo.Context) error {
	return p.renderAssignment(c, http.StatusOK, webpage.Form{})
}

func (p *Pages) renderAssignment(c echo.Context, status int, form webpage.Form) error {
	classID, itemID, err := classItem(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	lv, err := p.svc.LearnerPage(ctx, classID, itemID)
	if err != nil {
		return err
	}
	view := lv.ClassView
	if view.Staff && !view.Learner {
		return webpage.Redirect(c, assignmentPath(classID, itemID)+"/grading")
	}
	data := learnerPage{ClassID: classID, View: view, ServerNow: p.svc.now(), Key: uuid.NewString(),
		Accept:   strings.Join(view.Assignment.FileTypes, ","),
		MaxSize:  sizeText(view.Assignment.MaxFileSize),
		Versions: lv.Versions, Result: lv.Result, Rubric: lv.Rubric, Group: lv.Group, OpenTeams: lv.OpenGroups}
	if view.YourDueAt != nil && view.Settings.DueAt != nil && !view.YourDueAt.Equal(*view.Settings.DueAt) {
		data.Extended = true
	}
	if n, err := strconv.Atoi(c.QueryParam("submitted")); err == nil && n > 0 {
		data.Submitted = strconv.Itoa(n)
	}
	if form.Invalid() && form.Value("key") != "" {
		data.Key = form.Value("key") // the same hand-in, tried again
	}
	if _, err := view.Settings.Judge(data.ServerNow, view.YourDueAt); err != nil {
		data.Closed = true
	} else if view.YourDueAt != nil && data.ServerNow.After(*view.YourDueAt) {
		data.Late = true
	}
	if data.Title, err = p.title(ctx, view.Assignment); err != nil {
		return err
	}
	return p.site.RenderForm(c, status, "assignment/assignment", data, form)
}

// title is the assignment's course item title.
func (p *Pages) title(ctx context.Context, a Assignment) (string, error) {
	titles, err := p.names.ItemTitles(ctx, a.VersionID)
	if err != nil {
		return "", err
	}
	return titles[a.ItemID], nil
}

// submitFields are the form's names of the service's fields.
var submitFields = map[string]string{"file_ids": "files"}

// submit hands in a version: the text, the links (one a line) and the files
// the page's script uploaded. The form's key makes a second press (or a
// resend after a dropped connection) return the first version.
func (p *Pages) submit(c echo.Context) error {
	classID, itemID, err := classItem(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return apperr.Invalid("text", "formulir tidak terbaca", "the form cannot be read")
	}
	in := SubmitInput{Text: form.Get("text"), Links: webpage.Lines(form.Get("links")), IdempotencyKey: form.Get("key")}
	values := url.Values{"text": {in.Text}, "links": {form.Get("links")}, "key": {in.IdempotencyKey}, "file_id": form["file_id"]}
	for _, raw := range form["file_id"] {
		id, perr := uuid.Parse(raw)
		if perr != nil {
			return webpage.Refuse(c, apperr.Invalid("files", "berkas tidak ditemukan", "file not found"), values, nil, p.renderAssignment)
		}
		in.FileIDs = append(in.FileIDs, id)
	}
	sub, _, err := p.svc.Submit(c.Request().Context(), classID, itemID, in)
	if err != nil {
		return webpage.Refuse(c, err, values, submitRenames(err), p.renderAssignment)
	}
	return webpage.Redirect(c, assignmentPath(classID, itemID)+"?submitted="+strconv.Itoa(sub.Number)+"#history")
}

// submitRenames maps the service's indexed field names (links[2],
// file_ids[0]) to the form's fields.
func submitRenames(err error) map[string]string {
	renames := map[string]string{}
	for k, v := range submitFields {
		renames[k] = v
	}
	e := apperr.As(err)
	for _, f := range e.Fields {
		switch {
		case strings.HasPrefix(f.Field, "links["):
			renames[f.Field] = "links"
		case strings.HasPrefix(f.Field, "file_ids["):
			renames[f.Field] = "files"
		}
	}
	return renames
}

// joinGroup signs the learner up to a group and goes back to the assignment.
func (p *Pages) joinGroup(c echo.Context) error {
	groupID, err := uuid.Parse(c.Param("group_id"))
	if err != nil {
		return ErrGroupNotFound
	}
	g, err := p.svc.JoinGroup(c.Request().Context(), groupID)
	if err != nil {
		return err
	}
	back := webpage.LocalPath(c.FormValue("back"))
	if !strings.HasPrefix(back, "/classes/"+g.ClassID.String()+"/") {
		back = "/classes/" + g.ClassID.String()
	}
	return webpage.Redirect(c, back)
}

// download sends the browser to a short-lived URL of a submission's file:
// its learner, their group and the class's graders may.
func (p *Pages) download(c echo.Context) error {
	id, err := uuid.Parse(c.Param("submission_id"))
	if err != nil {
		return ErrSubmissionNotFound
	}
	fileID, err := uuid.Parse(c.Param("file_id"))
	if err != nil {
		return ErrSubmissionNotFound
	}
	view, err := p.svc.GetSubmission(c.Request().Context(), id)
	if err != nil {
		return err
	}
	u, ok := view.Downloads[fileID]
	if !ok {
		return ErrSubmissionNotFound
	}
	return c.Redirect(http.StatusFound, u)
}
