package course

import (
	"net/http"
	"net/url"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The review queue: the drafts in review among the courses the reviewer
// reads, each with its outline, the similar programmes already published,
// the earlier reviews and the checklist to decide with. The service keeps
// the four-eyes rule (no one reviews a version they wrote).

func (p *Pages) mountReview(r webpage.Router) {
	r.GET("/review", p.reviewQueue)
	r.GET("/review/versions/:version_id", p.reviewVersion)
	r.POST("/review/versions/:version_id", p.decide)
}

type reviewQueuePage struct{ Courses []Course }

func (p *Pages) reviewQueue(c echo.Context) error {
	res, err := p.svc.Courses(c.Request().Context(), CourseFilter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	var waiting []Course
	for _, course := range res.Items {
		if course.Open != nil && course.Open.Status == StatusInReview {
			waiting = append(waiting, course)
		}
	}
	return p.site.Render(c, http.StatusOK, "course/review-queue", reviewQueuePage{Courses: waiting})
}

type reviewPage struct {
	Version Version
	Similar []Similar
	Reviews []Review
}

func (p *Pages) reviewVersion(c echo.Context) error {
	return p.renderReview(c, http.StatusOK, webpage.Form{})
}

func (p *Pages) renderReview(c echo.Context, status int, form webpage.Form) error {
	v, err := p.version(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	similar, err := p.svc.Similar(ctx, v.ID)
	if err != nil {
		return err
	}
	reviews, err := p.svc.Reviews(ctx, v.ID, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	return p.site.RenderForm(c, status, "course/review", reviewPage{Version: v, Similar: similar, Reviews: reviews.Items}, form)
}

func (p *Pages) decide(c echo.Context) error {
	id, err := uuid.Parse(c.Param("version_id"))
	if err != nil {
		return ErrVersionNotFound
	}
	form, _ := c.FormParams()
	in := ReviewInput{Decision: Decision(form.Get("decision")), Comments: form.Get("comments"), Checklist: Checklist{
		Objectives: form.Get("objectives") == "on", Assessment: form.Get("assessment") == "on",
		JP: form.Get("jp") == "on", Accessibility: form.Get("accessibility") == "on"}}
	if _, _, err := p.svc.Review(c.Request().Context(), id, in); err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderReview)
	}
	return webpage.Redirect(c, "/review?"+url.Values{"decided": {id.String()}}.Encode())
}
