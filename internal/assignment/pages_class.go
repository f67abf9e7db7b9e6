package assignment

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The class staff's page of an assignment: its due date, cut-off and late
// policy in the class, and an extension for one learner of its roster.

func (p *Pages) mountClassSettings(r webpage.Router) {
	r.GET("/classes/:class_id/assignments/:item_id/settings", p.classSettingsForm)
	r.POST("/classes/:class_id/assignments/:item_id/settings", p.saveClassSettings)
	r.POST("/classes/:class_id/assignments/:item_id/extensions", p.grantExtension)
}

type classSettingsPage struct {
	ClassID    uuid.UUID
	Title      string
	View       ClassView
	Learners   []learnerName
	Extensions []extensionRow
	Saved      string // "settings" or "extension" after a save
}

type learnerName struct {
	ID   uuid.UUID
	Name string
}

type extensionRow struct {
	Name  string
	DueAt time.Time
}

func (p *Pages) classSettingsForm(c echo.Context) error {
	return p.renderClassSettings(c, http.StatusOK, webpage.Form{})
}

func (p *Pages) renderClassSettings(c echo.Context, status int, form webpage.Form) error {
	classID, itemID, err := classItem(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	view, err := p.staffView(ctx, classID, itemID)
	if err != nil {
		return err
	}
	data := classSettingsPage{ClassID: classID, View: view, Saved: c.QueryParam("saved")}
	if data.Title, err = p.title(ctx, view.Assignment); err != nil {
		return err
	}
	ids, err := p.svc.ClassLearners(ctx, classID, itemID)
	if err != nil {
		return err
	}
	exts, err := p.svc.Extensions(ctx, classID, itemID)
	if err != nil {
		return err
	}
	names, err := p.names.PeopleNames(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		data.Learners = append(data.Learners, learnerName{ID: id, Name: names[id]})
		if due, ok := exts[id]; ok {
			data.Extensions = append(data.Extensions, extensionRow{Name: names[id], DueAt: due})
		}
	}
	sort.Slice(data.Learners, func(i, j int) bool { return data.Learners[i].Name < data.Learners[j].Name })
	sort.Slice(data.Extensions, func(i, j int) bool { return data.Extensions[i].Name < data.Extensions[j].Name })
	if !form.Invalid() {
		form.Values = classSettingsValues(view.Settings)
	}
	return p.site.RenderForm(c, status, "assignment/class-settings", data, form)
}

func classSettingsValues(cs ClassSettings) url.Values {
	v := url.Values{"late_policy": {cs.LatePolicy}, "penalty_per_day": {strconv.FormatFloat(cs.PenaltyPerDay, 'f', -1, 64)}}
	if cs.DueAt != nil {
		v.Set("due_at", webpage.DateTimeValue(*cs.DueAt))
	}
	if cs.CutoffAt != nil {
		v.Set("cutoff_at", webpage.DateTimeValue(*cs.CutoffAt))
	}
	return v
}

// optionalTime reads a datetime-local field: nil when empty.
func optionalTime(v *apperr.Validation, form url.Values, field string) *time.Time {
	raw := strings.TrimSpace(form.Get(field))
	if raw == "" {
		return nil
	}
	t, err := webpage.ParseDateTime(raw)
	v.Check(err == nil, field, "tanggal dan jam tidak terbaca", "the date and time cannot be read")
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

func (p *Pages) saveClassSettings(c echo.Context) error {
	classID, itemID, err := classItem(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return apperr.Invalid("due_at", "formulir tidak terbaca", "the form cannot be read")
	}
	// A learner of the class is told the page is not there, as on GET.
	if _, err := p.staffView(c.Request().Context(), classID, itemID); err != nil {
		return err
	}
	values := url.Values{}
	for _, k := range []string{"due_at", "cutoff_at", "late_policy", "penalty_per_day"} {
		values.Set(k, form.Get(k))
	}
	var v apperr.Validation
	in := ClassSettings{ClassID: classID, AssignmentID: itemID, LatePolicy: form.Get("late_policy"),
		DueAt: optionalTime(&v, form, "due_at"), CutoffAt: optionalTime(&v, form, "cutoff_at")}
	if raw := strings.TrimSpace(form.Get("penalty_per_day")); raw != "" {
		pen, perr := webpage.ParseDecimal(raw)
		v.Check(perr == nil, "penalty_per_day", "harus berupa angka", "must be a number")
		in.PenaltyPerDay = pen
	}
	if err := v.Err(); err != nil {
		return webpage.Refuse(c, err, values, nil, p.renderClassSettings)
	}
	if _, err := p.svc.SetClassSettings(c.Request().Context(), in); err != nil {
		return webpage.Refuse(c, err, values, nil, p.renderClassSettings)
	}
	return webpage.Redirect(c, assignmentPath(classID, itemID)+"/settings?saved=settings")
}

// grantExtension gives one learner of the class a later due date, or takes
// it back when the date is left empty.
func (p *Pages) grantExtension(c echo.Context) error {
	classID, itemID, err := classItem(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return apperr.Invalid("extension_due_at", "formulir tidak terbaca", "the form cannot be read")
	}
	ctx := c.Request().Context()
	view, err := p.staffView(ctx, classID, itemID)
	if err != nil {
		return err
	}
	values := classSettingsValues(view.Settings)
	values.Set("user_id", form.Get("user_id"))
	values.Set("extension_due_at", form.Get("extension_due_at"))
	var v apperr.Validation
	userID, uerr := uuid.Parse(form.Get("user_id"))
	v.Check(uerr == nil, "user_id", "pilih peserta", "choose a learner")
	due := optionalTime(&v, form, "extension_due_at")
	if err := v.Err(); err != nil {
		return webpage.Refuse(c, err, values, nil, p.renderClassSettings)
	}
	if err := p.svc.SetExtension(ctx, classID, itemID, userID, due); err != nil {
		// The service's refusals about the learner (not enrolled, the
		// caller themselves) are shown next to the learner's field.
		e := apperr.As(err)
		if len(e.Fields) == 0 && (e.Kind == apperr.KindForbidden || e.Kind == apperr.KindNotFound) && e.Code != ErrAssignmentNotFound.Code {
			form, ok := webpage.FormOf(err, webpage.Language(c), values, nil)
			if ok {
				form.Errors["user_id"], form.Message = form.Message, ""
				return p.renderClassSettings(c, e.Kind.Status(), form)
			}
		}
		return webpage.Refuse(c, err, values, nil, p.renderClassSettings)
	}
	return webpage.Redirect(c, assignmentPath(classID, itemID)+"/settings?saved=extension")
}
