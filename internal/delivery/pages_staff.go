package delivery

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The class staff's pages: the roster and a session's roll call. The
// service decides who may open them (the class's staff and those who read
// the institute's classes), as for the API.

type rosterPage struct {
	Class      Class
	Enrolments []Enrolment
	Next       string
}

func (p *Pages) roster(c echo.Context) error {
	id, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrClassNotFound
	}
	ctx := c.Request().Context()
	class, err := p.svc.Class(ctx, id)
	if err != nil {
		return err
	}
	res, err := p.svc.ClassEnrolments(ctx, id, EnrolmentFilter{}, page.Request{Limit: page.MaxLimit, Cursor: c.QueryParam("cursor")})
	if err != nil {
		return err
	}
	data := rosterPage{Class: class, Enrolments: res.Items}
	if res.NextCursor != "" {
		data.Next = url.Values{"cursor": {res.NextCursor}}.Encode()
	}
	return p.site.Render(c, http.StatusOK, "delivery/roster", data)
}

type rollCallPage struct {
	Session Session
	Rows    []rollCallRow
	Saved   bool
}

type rollCallRow struct {
	Learner Learner
	Status  AttendanceStatus // empty when nothing is recorded yet
	Method  AttendanceMethod
}

func (p *Pages) rollCallForm(c echo.Context) error {
	data, err := p.rollCall(c)
	if err != nil {
		return err
	}
	data.Saved = c.QueryParam("saved") == "1"
	return p.site.Render(c, http.StatusOK, "delivery/roll-call", data)
}

// rollCall lists the class's active and completed learners with what is
// recorded of them at the session.
func (p *Pages) rollCall(c echo.Context) (rollCallPage, error) {
	s, err := p.session(c)
	if err != nil {
		return rollCallPage{}, err
	}
	ctx := c.Request().Context()
	records, err := p.svc.Attendance(ctx, s.ID, page.Request{Limit: MaxRollCall})
	if err != nil {
		return rollCallPage{}, err
	}
	recorded := make(map[uuid.UUID]Attendance, len(records.Items))
	for _, a := range records.Items {
		recorded[a.UserID] = a
	}
	data := rollCallPage{Session: s}
	for _, status := range []EnrolmentStatus{EnrolmentActive, EnrolmentCompleted} {
		res, err := p.svc.ClassEnrolments(ctx, s.ClassID, EnrolmentFilter{Status: status}, page.Request{Limit: page.MaxLimit})
		if err != nil {
			return rollCallPage{}, err
		}
		for _, e := range res.Items {
			if e.Learner == nil {
				continue
			}
			a := recorded[e.UserID]
			data.Rows = append(data.Rows, rollCallRow{Learner: *e.Learner, Status: a.Status, Method: a.Method})
		}
	}
	return data, nil
}

// saveRollCall records the statuses chosen in the form; a learner left
// without a choice keeps what they have.
func (p *Pages) saveRollCall(c echo.Context) error {
	s, err := p.session(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return apperr.Invalid("attendance", "formulir tidak terbaca", "the form cannot be read")
	}
	var records []RollCallRecord
	for key, values := range form {
		userID, err := uuid.Parse(key)
		if err != nil || len(values) == 0 || values[0] == "" {
			continue
		}
		records = append(records, RollCallRecord{UserID: userID, Status: AttendanceStatus(values[0])})
	}
	if len(records) > 0 {
		if _, err := p.svc.RollCall(c.Request().Context(), s.ID, records); err != nil {
			return err
		}
	}
	return webpage.Redirect(c, "/sessions/"+s.ID.String()+"/attendance?saved=1")
}

type codePage struct {
	Session   Session
	Code      CheckInCode
	QR        template.URL // a data: URL of the PNG
	Link      string       // what the QR code opens: the check-in page with the code filled in
	RefreshIn int          // seconds until the code rotates
}

// projectCode is the page staff show on a projector during a session: the
// rotating code, and a QR code that opens the check-in page with the code
// filled in. It reloads itself when the code rotates.
func (p *Pages) projectCode(c echo.Context) error {
	s, err := p.session(c)
	if err != nil {
		return err
	}
	code, err := p.svc.CheckInCode(c.Request().Context(), s.ID)
	if err != nil {
		return err
	}
	link := p.publicURL + "/sessions/" + s.ID.String() + "/check-in?code=" + url.QueryEscape(code.Code)
	png, err := qrPNG(link)
	if err != nil {
		return err
	}
	return p.site.Render(c, http.StatusOK, "delivery/code", codePage{Session: s, Code: code, Link: link,
		QR:        template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), //nolint:gosec // our own PNG
		RefreshIn: max(2, int(time.Until(code.ExpiresAt).Seconds())+1)})
}
