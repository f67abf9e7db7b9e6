package webpage

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Form is what a page shows of a form sent back to it: the values the
// visitor typed and the errors next to each field, in the page's language.
type Form struct {
	Values  url.Values
	Errors  map[string]string // by field name
	Message string            // an error about the whole form
}

// Value is what the visitor typed in a field.
func (f Form) Value(name string) string { return f.Values.Get(name) }

// Error is the message for a field, empty when it is fine.
func (f Form) Error(name string) string { return f.Errors[name] }

// Invalid reports whether the form has any error.
func (f Form) Invalid() bool { return len(f.Errors) > 0 || f.Message != "" }

// FormOf turns a service's error into a form to show again: field errors
// next to their fields (renamed by fields, from the service's names to the
// form's), every other user-facing error above the form. It reports false
// for an error that is no user's mistake (an internal error, a missing
// session), which the page must return instead.
func FormOf(err error, lang string, values url.Values, fields map[string]string) (Form, bool) {
	e := apperr.As(err)
	switch e.Kind {
	case apperr.KindInternal, apperr.KindUnauthorized, apperr.KindUnavailable:
		return Form{}, false
	}
	f := Form{Values: values, Errors: map[string]string{}}
	for _, fe := range e.Fields {
		name := fe.Field
		if renamed, ok := fields[name]; ok {
			name = renamed
		}
		f.Errors[name] = fe.Message.In(lang)
	}
	if len(e.Fields) == 0 {
		f.Message = e.Message.In(lang)
	}
	return f, true
}

// Refuse answers a form the service refused: the form again (by render)
// with the errors next to their fields and the status of the refusal. An
// error no change to the form can fix — internal, a missing session, a
// thing not found or not allowed — is returned for the error page.
func Refuse(c echo.Context, err error, values url.Values, renames map[string]string, render func(echo.Context, int, Form) error) error {
	switch apperr.KindOf(err) {
	case apperr.KindNotFound, apperr.KindForbidden:
		return err
	}
	form, ok := FormOf(err, Language(c), values, renames)
	if !ok {
		return err
	}
	return render(c, apperr.As(err).Kind.Status(), form)
}

// Lines splits a textarea's value into its non-blank lines, trimmed: the
// lists forms take one per line (NIPs, objectives, options).
func Lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ParseDecimal reads a number as people in Indonesia type it, with a comma
// or a point before the decimals ("2,5" or "2.5"), around spaces.
func ParseDecimal(s string) (float64, error) {
	return strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", "."), 64)
}

// dateTimeLayout is how an <input type="datetime-local"> sends a time.
const dateTimeLayout = "2006-01-02T15:04"

// ParseDateTime reads a datetime-local field's value as a time in WIB, the
// zone pages show times in.
func ParseDateTime(s string) (time.Time, error) {
	return time.ParseInLocation(dateTimeLayout, strings.TrimSpace(s), wib)
}

// DateTimeValue is a time as a datetime-local field shows it, in WIB.
func DateTimeValue(t time.Time) string { return t.In(wib).Format(dateTimeLayout) }
