package delivery

import (
	"net/http"
	"net/url"
	"slices"
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

// Pages are delivery's pages: for learners, classes with their schedule,
// enrolment and withdrawal, my classes and progress, check-in and my JP;
// for a class's staff, the roster, the roll call and the projected
// check-in code (pages_staff.go).
type Pages struct {
	svc       *Service
	site      *webpage.Site
	publicURL string // where learners' phones reach Corpu, for the check-in QR code
}

// NewPages returns delivery's pages.
func NewPages(svc *Service, site *webpage.Site, publicURL string) *Pages {
	return &Pages{svc: svc, site: site, publicURL: strings.TrimSuffix(publicURL, "/")}
}

// Mount registers the pages.
func (p *Pages) Mount() {
	r := p.site.SignedIn()
	r.GET("/classes", p.classes)
	r.GET("/classes/:class_id", p.class)
	r.POST("/classes/:class_id/enrol", p.enrol)
	r.POST("/enrolments/:enrolment_id/withdraw", p.withdraw)
	r.POST("/enrolments/:enrolment_id/items/:item_id/done", p.itemDone)
	r.GET("/my/classes", p.myClasses)
	r.GET("/my/jp", p.myJP)
	r.GET("/sessions/:session_id/check-in", p.checkInForm)
	r.POST("/sessions/:session_id/check-in", p.checkIn)
	r.GET("/sessions/:session_id/code", p.projectCode)
	r.GET("/classes/:class_id/roster", p.roster)
	r.GET("/sessions/:session_id/attendance", p.rollCallForm)
	r.POST("/sessions/:session_id/attendance", p.saveRollCall)
	p.mountManage(r)
	p.mountTeam(r)
}

const pageLimit = 50

type classesPage struct {
	Classes []Class
	Now     time.Time
}

func (p *Pages) classes(c echo.Context) error {
	var f ClassFilter
	if id, err := uuid.Parse(c.QueryParam("course_id")); err == nil {
		f.CourseID = id
	}
	res, err := p.svc.Classes(c.Request().Context(), f, page.Request{Limit: pageLimit})
	if err != nil {
		return err
	}
	return p.site.Render(c, http.StatusOK, "delivery/classes", classesPage{Classes: res.Items, Now: time.Now()})
}

type classPage struct {
	Class     Class
	Sessions  []Session
	Enrolment *Enrolment // the caller's, when they hold one that is not over
	Teaches   bool       // the caller is on the class's staff: the projector page's link
	Now       time.Time
}

func (p *Pages) class(c echo.Context) error {
	id, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrClassNotFound
	}
	ctx := c.Request().Context()
	class, err := p.svc.Class(ctx, id)
	if err != nil {
		return err
	}
	sessions, err := p.svc.Sessions(ctx, id, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	mine, err := p.svc.MyEnrolments(ctx, EnrolmentFilter{ClassID: id}, page.Request{Limit: pageLimit})
	if err != nil {
		return err
	}
	data := classPage{Class: class, Sessions: sessions.Items, Now: time.Now()}
	if actor, err := authz.ActorFrom(ctx); err == nil {
		data.Teaches = slices.ContainsFunc(class.Staff, func(s Staff) bool { return s.UserID == actor.UserID })
	}
	for i, e := range mine.Items {
		if e.Status != EnrolmentWithdrawn && e.Status != EnrolmentRejected {
			data.Enrolment = &mine.Items[i]
		}
	}
	return p.site.Render(c, http.StatusOK, "delivery/class", data)
}

func (p *Pages) enrol(c echo.Context) error {
	id, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrClassNotFound
	}
	if _, _, err := p.svc.Enrol(c.Request().Context(), id); err != nil {
		return err
	}
	return webpage.Redirect(c, "/classes/"+id.String())
}

func (p *Pages) withdraw(c echo.Context) error {
	id, err := uuid.Parse(c.Param("enrolment_id"))
	if err != nil {
		return ErrEnrolmentNotFound
	}
	e, err := p.svc.Withdraw(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return webpage.Redirect(c, "/classes/"+e.ClassID.String())
}

// itemDone records that the learner read a text, link or document item and
// goes back to the course player.
func (p *Pages) itemDone(c echo.Context) error {
	enrolmentID, err := uuid.Parse(c.Param("enrolment_id"))
	if err != nil {
		return ErrEnrolmentNotFound
	}
	itemID, err := uuid.Parse(c.Param("item_id"))
	if err != nil {
		return ErrEnrolmentNotFound
	}
	if _, err := p.svc.RecordProgress(c.Request().Context(), enrolmentID, ProgressInput{ItemID: itemID, Event: EventViewed}); err != nil {
		return err
	}
	return webpage.Redirect(c, webpage.LocalPath(c.FormValue("back"))+"#item-"+itemID.String())
}

type myClassesPage struct{ Enrolments []Enrolment }

func (p *Pages) myClasses(c echo.Context) error {
	res, err := p.svc.MyEnrolments(c.Request().Context(), EnrolmentFilter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	return p.site.Render(c, http.StatusOK, "delivery/my-classes", myClassesPage{Enrolments: res.Items})
}

type jpPage struct {
	Ledger JPLedger
	Years  []int
}

func (p *Pages) myJP(c echo.Context) error {
	year := time.Now().Year()
	if y, err := strconv.Atoi(c.QueryParam("year")); err == nil {
		year = y
	}
	ledger, err := p.svc.MyJP(c.Request().Context(), year)
	if err != nil {
		return err
	}
	now := time.Now().Year()
	return p.site.Render(c, http.StatusOK, "delivery/my-jp", jpPage{Ledger: ledger, Years: []int{now, now - 1, now - 2}})
}

type checkInPage struct {
	Session Session
	Done    bool
}

func (p *Pages) checkInForm(c echo.Context) error {
	s, err := p.session(c)
	if err != nil {
		return err
	}
	return p.site.RenderForm(c, http.StatusOK, "delivery/check-in", checkInPage{Session: s}, webpage.Form{Values: url.Values{"code": {c.QueryParam("code")}}})
}

// checkIn takes the rotating code a learner typed (or a QR code's link
// filled in); a wrong or expired code shows next to the field.
func (p *Pages) checkIn(c echo.Context) error {
	s, err := p.session(c)
	if err != nil {
		return err
	}
	code := strings.TrimSpace(c.FormValue("code"))
	if _, _, err := p.svc.CheckIn(c.Request().Context(), s.ID, code); err != nil {
		form, ok := webpage.FormOf(err, webpage.Language(c), url.Values{"code": {code}}, nil)
		if !ok {
			return err
		}
		if form.Message != "" && len(form.Errors) == 0 {
			// A refused code is about the one field the form has.
			form.Errors["code"], form.Message = form.Message, ""
		}
		return p.site.RenderForm(c, apperr.As(err).Kind.Status(), "delivery/check-in", checkInPage{Session: s}, form)
	}
	return p.site.Render(c, http.StatusOK, "delivery/check-in", checkInPage{Session: s, Done: true})
}

func (p *Pages) session(c echo.Context) (Session, error) {
	id, err := uuid.Parse(c.Param("session_id"))
	if err != nil {
		return Session{}, ErrSessionNotFound
	}
	return p.svc.Session(c.Request().Context(), id)
}
