package delivery

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The supervisor's team page: the enrolment requests waiting for them and
// the team's other enrolments. Deciding keeps the service's rules (no one
// decides their own request; the grant must cover the learner).

func (p *Pages) mountTeam(r webpage.Router) {
	r.GET("/team", p.team)
	r.POST("/enrolments/:enrolment_id/approve", p.decide(p.svc.Approve))
	r.POST("/enrolments/:enrolment_id/reject", p.decide(p.svc.Reject))
}

type teamPage struct {
	Pending []Enrolment
	Others  []Enrolment
}

func (p *Pages) team(c echo.Context) error {
	ctx := c.Request().Context()
	res, err := p.svc.TeamEnrolments(ctx, EnrolmentFilter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	var data teamPage
	for _, e := range res.Items {
		if e.Status == EnrolmentPending {
			data.Pending = append(data.Pending, e)
		} else {
			data.Others = append(data.Others, e)
		}
	}
	return p.site.Render(c, http.StatusOK, "delivery/team", data)
}

func (p *Pages) decide(decision func(ctx context.Context, id uuid.UUID) (Enrolment, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := uuid.Parse(c.Param("enrolment_id"))
		if err != nil {
			return ErrEnrolmentNotFound
		}
		if _, err := decision(c.Request().Context(), id); err != nil {
			return err
		}
		return webpage.Redirect(c, "/team")
	}
}
