package delivery

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// An institute's class management: opening a class of a published course,
// scheduling its sessions and assigning learners by NIP. The services
// decide who may (the institute's registrars and admins), as for the API.

func (p *Pages) mountManage(r webpage.Router) {
	r.GET("/teach/classes/new", p.newClassForm)
	r.POST("/teach/classes", p.createClass)
	r.GET("/classes/:class_id/manage", p.manage)
	r.POST("/classes/:class_id/sessions", p.createSession)
	r.POST("/classes/:class_id/enrolments/bulk", p.enrolInBulk)
}

type newClassPage struct{ VersionID string }

func (p *Pages) newClassForm(c echo.Context) error {
	return p.renderNewClass(c, http.StatusOK, webpage.Form{Values: url.Values{"version_id": {c.QueryParam("version_id")},
		"capacity": {"30"}, "policy": {string(PolicyOpen)}}})
}

func (p *Pages) renderNewClass(c echo.Context, status int, form webpage.Form) error {
	return p.site.RenderForm(c, status, "delivery/new-class", newClassPage{}, form)
}

// createClass opens a class run by the caller's own organisation.
func (p *Pages) createClass(c echo.Context) error {
	ctx := c.Request().Context()
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	var v apperr.Validation
	versionID, err := uuid.Parse(form.Get("version_id"))
	v.Check(err == nil, "version_id", "versi kursus tidak dikenal", "unknown course version")
	startsOn, err := time.Parse(time.DateOnly, form.Get("starts_on"))
	v.Check(err == nil, "starts_on", "harus tanggal, mis. 2026-12-01", "must be a date such as 2026-12-01")
	endsOn, err := time.Parse(time.DateOnly, form.Get("ends_on"))
	v.Check(err == nil, "ends_on", "harus tanggal, mis. 2026-12-31", "must be a date such as 2026-12-31")
	capacity, err := strconv.Atoi(strings.TrimSpace(form.Get("capacity")))
	v.Check(err == nil, "capacity", "harus bilangan bulat", "must be a whole number")
	if err := v.Err(); err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderNewClass)
	}
	class, err := p.svc.CreateClass(ctx, ClassInput{VersionID: versionID, OrgID: actor.HomeOrgID, Code: strings.TrimSpace(form.Get("code")),
		StartsOn: startsOn, EndsOn: endsOn, Capacity: capacity, Waitlist: form.Get("waitlist") == "on",
		Policy: Policy(form.Get("policy")), RegionCode: strings.TrimSpace(form.Get("region_code"))})
	if err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderNewClass)
	}
	return webpage.Redirect(c, "/classes/"+class.ID.String()+"/manage")
}

type managePage struct {
	Class    Class
	Sessions []Session
	Learners int
	Bulk     *BulkEnrolResult
}

func (p *Pages) manage(c echo.Context) error {
	return p.renderManage(c, http.StatusOK, webpage.Form{}, nil)
}

func (p *Pages) renderManage(c echo.Context, status int, form webpage.Form, bulk *BulkEnrolResult) error {
	id, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrClassNotFound
	}
	ctx := c.Request().Context()
	class, err := p.svc.Class(ctx, id)
	if err != nil {
		return err
	}
	// Reading the roster is what the class's managers may do: it gates the page.
	roster, err := p.svc.ClassEnrolments(ctx, id, EnrolmentFilter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	sessions, err := p.svc.Sessions(ctx, id, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	return p.site.RenderForm(c, status, "delivery/manage", managePage{Class: class, Sessions: sessions.Items,
		Learners: len(roster.Items), Bulk: bulk}, form)
}

func (p *Pages) renderManageForm(c echo.Context, status int, form webpage.Form) error {
	return p.renderManage(c, status, form, nil)
}

// createSession schedules a session from a date and WIB times; a clash with
// the staff's other sessions is refused unless the form says to go ahead.
func (p *Pages) createSession(c echo.Context) error {
	id, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrClassNotFound
	}
	form, _ := c.FormParams()
	var v apperr.Validation
	day, err := time.ParseInLocation(time.DateOnly, form.Get("date"), wib)
	v.Check(err == nil, "date", "harus tanggal, mis. 2026-12-08", "must be a date such as 2026-12-08")
	starts, errStart := clockOn(day, form.Get("starts_at"))
	v.Check(errStart == nil, "starts_at", "harus jam, mis. 09:00", "must be a time such as 09:00")
	ends, errEnd := clockOn(day, form.Get("ends_at"))
	v.Check(errEnd == nil, "ends_at", "harus jam, mis. 12:00", "must be a time such as 12:00")
	if err := v.Err(); err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderManageForm)
	}
	kind, title, venue := SessionKind(form.Get("kind")), form.Get("title"), form.Get("venue")
	in := SessionInput{Kind: &kind, Title: &title, StartsAt: &starts, EndsAt: &ends, Venue: &venue}
	if u := strings.TrimSpace(form.Get("meeting_url")); u != "" {
		in.MeetingURL = &u
	}
	if _, err := p.svc.CreateSession(c.Request().Context(), id, in, form.Get("force") == "on"); err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderManageForm)
	}
	return webpage.Redirect(c, "/classes/"+id.String()+"/manage")
}

func clockOn(day time.Time, hhmm string) (time.Time, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(hhmm))
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, wib).UTC(), nil
}

// enrolInBulk assigns the learners whose NIPs were pasted, one per line,
// and shows who was enrolled, wait-listed or skipped and why.
func (p *Pages) enrolInBulk(c echo.Context) error {
	id, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrClassNotFound
	}
	form, _ := c.FormParams()
	res, err := p.svc.EnrolInBulk(c.Request().Context(), id, BulkEnrolInput{NIPs: webpage.Lines(form.Get("nips"))})
	if err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderManageForm)
	}
	return p.renderManage(c, http.StatusOK, webpage.Form{}, &res)
}
