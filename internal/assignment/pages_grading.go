package assignment

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The grading pages: a class's staff see the latest version of every
// learner or group, grade one by the rubric (a level per criterion, the
// score computed as they choose) or by points, and release the grades.

func (p *Pages) mountGrading(r webpage.Router) {
	r.GET("/classes/:class_id/assignments/:item_id/grading", p.queue)
	r.POST("/classes/:class_id/assignments/:item_id/release", p.release)
	r.GET("/assignment-submissions/:submission_id/grade", p.gradeForm)
	r.POST("/assignment-submissions/:submission_id/grade", p.grade)
}

type queuePage struct {
	ClassID   uuid.UUID
	Title     string
	View      ClassView
	Rows      []queueRow
	Anonymous bool
	Released  string // after a release: how many were released and are pending
	Pending   string
	Author    bool // the caller may open the assignment's author page
}

type queueRow struct {
	Submission Submission
	Who        string
	Graded     bool
	Points     float64
	Flags      int
}

// staffView loads a class's assignment for its staff: a learner of the
// class is told it is not there.
func (p *Pages) staffView(ctx context.Context, classID, itemID uuid.UUID) (ClassView, error) {
	view, err := p.svc.ClassAssignment(ctx, classID, itemID)
	if err != nil {
		return ClassView{}, err
	}
	if !view.Staff {
		return ClassView{}, ErrAssignmentNotFound
	}
	return view, nil
}

func (p *Pages) queue(c echo.Context) error {
	classID, itemID, err := classItem(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	view, err := p.staffView(ctx, classID, itemID)
	if err != nil {
		return err
	}
	data := queuePage{ClassID: classID, View: view, Released: c.QueryParam("released"), Pending: c.QueryParam("pending")}
	if data.Title, err = p.title(ctx, view.Assignment); err != nil {
		return err
	}
	list, err := p.svc.ListSubmissions(ctx, classID, itemID)
	if err != nil {
		return err
	}
	data.Anonymous = list.Anonymous
	if _, aerr := p.svc.AuthorAssignment(ctx, itemID); aerr == nil {
		data.Author = true
	} else if k := apperr.KindOf(aerr); k != apperr.KindNotFound && k != apperr.KindForbidden {
		return aerr
	}
	who, err := p.owners(ctx, classID, view.Assignment, list)
	if err != nil {
		return err
	}
	for _, sub := range list.Items {
		row := queueRow{Submission: sub, Who: who[sub.ID], Flags: len(list.Flags[sub.ID])}
		if g, ok := list.Graded[sub.ID]; ok {
			row.Graded, row.Points = true, g.Points
		}
		data.Rows = append(data.Rows, row)
	}
	return p.site.Render(c, http.StatusOK, "assignment/grading-queue", data)
}

// owners names the owner of each submission as its graders may see it: the
// learner or the group, or a number when grading is blind.
func (p *Pages) owners(ctx context.Context, classID uuid.UUID, a Assignment, list SubmissionList) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(list.Items))
	if list.Anonymous {
		for i, sub := range list.Items {
			out[sub.ID] = fmt.Sprintf("#%d", i+1)
		}
		return out, nil
	}
	if a.Mode == ModeGroup {
		groups, err := p.svc.Groups(ctx, classID)
		if err != nil {
			return nil, err
		}
		names := map[uuid.UUID]string{}
		for _, g := range groups {
			names[g.ID] = g.Name
		}
		for _, sub := range list.Items {
			out[sub.ID] = names[sub.OwnerID]
		}
		return out, nil
	}
	ids := make([]uuid.UUID, 0, len(list.Items))
	for _, sub := range list.Items {
		ids = append(ids, sub.OwnerID)
	}
	names, err := p.names.PeopleNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, sub := range list.Items {
		out[sub.ID] = names[sub.OwnerID]
	}
	return out, nil
}

// release releases the class's grades and shows the queue with what it did.
func (p *Pages) release(c echo.Context) error {
	classID, itemID, err := classItem(c)
	if err != nil {
		return err
	}
	sum, err := p.svc.Release(c.Request().Context(), classID, itemID)
	if err != nil {
		return err
	}
	return webpage.Redirect(c, assignmentPath(classID, itemID)+"/grading?released="+strconv.Itoa(sum.Released+sum.Unchanged)+
		"&pending="+strconv.Itoa(sum.Pending))
}

type gradePage struct {
	View      ClassView
	Title     string
	Sub       SubmissionView
	Who       string
	Rubric    *Rubric
	Criteria  []criterionPage
	MaxRubric float64
	// MaxFeedbackSize is the largest feedback file the upload flow takes.
	MaxFeedbackSize int64
	Grades          []Grade
	Saved           bool
}

type criterionPage struct {
	Criterion
	Chosen string // the level chosen: typed into the refused form, else the grade's
	Error  string
}

// submissionScope loads a submission for its class's staff with its
// assignment as the class runs it.
func (p *Pages) submissionScope(c echo.Context) (SubmissionView, ClassView, error) {
	id, err := uuid.Parse(c.Param("submission_id"))
	if err != nil {
		return SubmissionView{}, ClassView{}, ErrSubmissionNotFound
	}
	ctx := c.Request().Context()
	sub, err := p.svc.GetSubmission(ctx, id)
	if err != nil {
		return SubmissionView{}, ClassView{}, err
	}
	view, err := p.staffView(ctx, sub.Submission.ClassID, sub.Submission.AssignmentID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return SubmissionView{}, ClassView{}, ErrSubmissionNotFound
	}
	return sub, view, err
}

func (p *Pages) gradeForm(c echo.Context) error {
	return p.renderGrade(c, http.StatusOK, webpage.Form{})
}

func (p *Pages) renderGrade(c echo.Context, status int, form webpage.Form) error {
	sub, view, err := p.submissionScope(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	s := sub.Submission
	data := gradePage{View: view, Sub: sub, Saved: c.QueryParam("saved") == "1", MaxFeedbackSize: submissionRule.MaxSize}
	if data.Title, err = p.title(ctx, view.Assignment); err != nil {
		return err
	}
	if data.Grades, err = p.svc.Grades(ctx, s.ID); err != nil {
		return err
	}
	list := SubmissionList{Items: []Submission{s}, Anonymous: sub.Anonymous}
	who, err := p.owners(ctx, s.ClassID, view.Assignment, list)
	if err != nil {
		return err
	}
	data.Who = who[s.ID]
	if data.Rubric, err = p.svc.ClassRubric(ctx, s.ClassID, s.AssignmentID); err != nil {
		return err
	}
	prior := map[string]string{}
	for _, g := range data.Grades {
		if g.Role == RoleFirst {
			prior = g.Levels
			if !form.Invalid() {
				form.Values = url.Values{"feedback": {g.Feedback}, "points": {strconv.FormatFloat(g.Points, 'f', -1, 64)}}
				for _, id := range g.FeedbackFileIDs {
					form.Values.Add("feedback_file_id", id.String())
				}
			}
		}
	}
	if data.Rubric != nil {
		data.MaxRubric = data.Rubric.MaxPoints()
		for _, cr := range data.Rubric.Criteria {
			cp := criterionPage{Criterion: cr, Chosen: prior[cr.ID], Error: form.Error("level-" + cr.ID)}
			if form.Invalid() {
				cp.Chosen = form.Value("level-" + cr.ID)
			}
			data.Criteria = append(data.Criteria, cp)
		}
	}
	return p.site.RenderForm(c, status, "assignment/grade", data, form)
}

// grade saves a grade: the level of every criterion of a rubric assignment,
// else the points, with the feedback.
func (p *Pages) grade(c echo.Context) error {
	id, err := uuid.Parse(c.Param("submission_id"))
	if err != nil {
		return ErrSubmissionNotFound
	}
	form, err := c.FormParams()
	if err != nil {
		return apperr.Invalid("feedback", "formulir tidak terbaca", "the form cannot be read")
	}
	in := GradeInput{Role: form.Get("role"), Feedback: form.Get("feedback"), Levels: map[string]string{}}
	values := url.Values{"feedback": {in.Feedback}, "points": {form.Get("points")}, "role": {in.Role}, "feedback_file_id": form["feedback_file_id"]}
	renames := map[string]string{"feedback_file_ids": "feedback_files"}
	for i, raw := range form["feedback_file_id"] {
		id, perr := uuid.Parse(raw)
		if perr != nil {
			return webpage.Refuse(c, apperr.Invalid("feedback_files", "berkas tidak ditemukan", "file not found"), values, nil, p.renderGrade)
		}
		in.FeedbackFileIDs = append(in.FeedbackFileIDs, id)
		renames[fmt.Sprintf("feedback_file_ids[%d]", i)] = "feedback_files"
	}
	for name := range form {
		if crit, ok := strings.CutPrefix(name, "level-"); ok {
			in.Levels[crit] = form.Get(name)
			values.Set(name, form.Get(name))
		}
	}
	// A criterion left without a level is sent as absent: the service names it.
	for _, crit := range strings.Split(form.Get("criteria"), ",") {
		if crit != "" {
			renames["levels."+crit] = "level-" + crit
			if in.Levels[crit] == "" {
				delete(in.Levels, crit)
			}
		}
	}
	if raw := strings.TrimSpace(form.Get("points")); raw != "" {
		pts, perr := webpage.ParseDecimal(raw)
		if perr != nil {
			return webpage.Refuse(c, apperr.Invalid("points", "harus berupa angka", "must be a number"), values, nil, p.renderGrade)
		}
		in.Points = &pts
	}
	if len(in.Levels) == 0 {
		in.Levels = nil
	}
	if _, err := p.svc.GradeSubmission(c.Request().Context(), id, in); err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return err
		}
		return webpage.Refuse(c, err, values, renames, p.renderGrade)
	}
	return webpage.Redirect(c, "/assignment-submissions/"+id.String()+"/grade?saved=1")
}
