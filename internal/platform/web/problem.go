package web

import (
	"context"
	"database/sql/driver"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// ProblemContentType is the media type of every error response (RFC 9457).
const ProblemContentType = "application/problem+json"

// problemTypeBase prefixes an error's stable code to form its problem type URI.
const problemTypeBase = "urn:corpu:problem:"

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one field's validation failure.
type ProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// titles are the human titles per kind, in Indonesian and English.
var titles = map[apperr.Kind]apperr.Text{
	apperr.KindInternal:     {ID: "Kesalahan internal", EN: "Internal error"},
	apperr.KindInvalid:      {ID: "Data tidak valid", EN: "Invalid request"},
	apperr.KindMalformed:    {ID: "Permintaan tidak dapat dibaca", EN: "Malformed request"},
	apperr.KindUnauthorized: {ID: "Belum masuk", EN: "Not signed in"},
	apperr.KindForbidden:    {ID: "Tidak diizinkan", EN: "Forbidden"},
	apperr.KindNotFound:     {ID: "Tidak ditemukan", EN: "Not found"},
	apperr.KindConflict:     {ID: "Konflik dengan data saat ini", EN: "Conflict with the current state"},
	apperr.KindPrecondition: {ID: "Prasyarat gagal", EN: "Precondition failed"},
	apperr.KindTooLarge:     {ID: "Terlalu besar", EN: "Too large"},
	apperr.KindUnsupported:  {ID: "Jenis media tidak didukung", EN: "Unsupported media type"},
	apperr.KindRateLimited:  {ID: "Terlalu banyak permintaan", EN: "Too many requests"},
	apperr.KindUnavailable:  {ID: "Layanan tidak tersedia", EN: "Service unavailable"},
}

// kindByStatus maps the errors Echo raises itself (no route, body too large,
// wrong method) to our kinds.
var kindByStatus = map[int]apperr.Kind{
	http.StatusBadRequest:            apperr.KindMalformed,
	http.StatusUnauthorized:          apperr.KindUnauthorized,
	http.StatusForbidden:             apperr.KindForbidden,
	http.StatusNotFound:              apperr.KindNotFound,
	http.StatusMethodNotAllowed:      apperr.KindNotFound,
	http.StatusRequestEntityTooLarge: apperr.KindTooLarge,
	http.StatusUnsupportedMediaType:  apperr.KindUnsupported,
	http.StatusTooManyRequests:       apperr.KindRateLimited,
	http.StatusServiceUnavailable:    apperr.KindUnavailable,
}

var genericMessages = map[apperr.Kind]apperr.Text{
	apperr.KindNotFound:    {ID: "Sumber daya tidak ditemukan.", EN: "The resource was not found."},
	apperr.KindTooLarge:    {ID: "Isi permintaan melebihi batas ukuran.", EN: "The request body is larger than allowed."},
	apperr.KindMalformed:   {ID: "Permintaan tidak dapat dibaca.", EN: "The request could not be read."},
	apperr.KindUnavailable: {ID: "Layanan sedang tidak tersedia; coba lagi nanti.", EN: "The service is unavailable; try again later."},
	apperr.KindInternal:    {ID: "Terjadi kesalahan internal.", EN: "Internal error."},
}

// languages are the languages Corpu answers in, the default first.
var (
	languages       = []string{"id", "en"}
	languageMatcher = language.NewMatcher([]language.Tag{language.Indonesian, language.English})
	anyLanguage     = language.MustParse("mul") // how "*" parses
)

// Language picks "en" or "id" (the default) from Accept-Language, honouring
// q-values, region tags and "*"; a header that cannot be parsed, or names
// neither language, gets the default.
func Language(r *http.Request) string {
	header := r.Header.Get("Accept-Language")
	if header == "" {
		return languages[0]
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return languages[0]
	}
	// "*" (parsed as "mul") accepts any language: what ranks below it no
	// longer matters, and the default serves it.
	for k, tag := range tags {
		if tag == anyLanguage {
			tags = tags[:k]
			break
		}
	}
	if len(tags) == 0 {
		return languages[0]
	}
	_, i, confidence := languageMatcher.Match(tags...)
	if confidence == language.No {
		return languages[0]
	}
	return languages[i]
}

// toAppError turns any error a handler returned into a domain error.
func toAppError(err error) *apperr.Error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		kind, ok := kindByStatus[he.Code]
		if !ok {
			kind = apperr.KindInternal
		}
		e := &apperr.Error{Kind: kind, Code: codeOf(kind), Message: genericMessages[kind], Err: err}
		if kind == apperr.KindUnavailable {
			// The request timed out (the timeout middleware's 503): a retry
			// may well succeed, so say when.
			e.RetryAfter = 1
		}
		return e
	}
	return apperr.As(err)
}

func codeOf(kind apperr.Kind) string {
	return strings.ToLower(strings.ReplaceAll(http.StatusText(kind.Status()), " ", "_"))
}

// ErrorHandler writes every error as problem+json: the one place where error
// kinds become HTTP statuses. A 5xx says only "internal error"; its cause is
// logged with the request id.
func ErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if clientGone(c, err) {
			// Nobody reads this answer; it is no failure of the server.
			log.InfoContext(c.Request().Context(), "client went away", "request_id",
				c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
			_ = c.NoContent(StatusClientClosedRequest)
			return
		}
		e := toAppError(err)
		status := e.Kind.Status()
		lang := Language(c.Request())
		requestID := c.Response().Header().Get(echo.HeaderXRequestID)
		if status >= 500 && e.Kind != apperr.KindUnavailable {
			log.ErrorContext(c.Request().Context(), "request failed", "request_id", requestID, "err", err)
			e = &apperr.Error{Kind: apperr.KindInternal, Code: "internal", Message: genericMessages[apperr.KindInternal]}
		}
		p := Problem{
			Type:     problemTypeBase + e.Code,
			Title:    titles[e.Kind].In(lang),
			Status:   status,
			Detail:   e.Message.In(lang),
			Instance: requestID,
		}
		for _, f := range e.Fields {
			p.Errors = append(p.Errors, ProblemField{Field: f.Field, Message: f.Message.In(lang)})
		}
		if e.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		c.Response().Header().Set(echo.HeaderContentType, ProblemContentType)
		var werr error
		switch {
		case c.Request().Method == http.MethodHead:
			werr = c.NoContent(status)
		case len(e.Extensions) > 0:
			werr = c.JSON(status, withExtensions(p, e.Extensions))
		default:
			werr = c.JSON(status, p)
		}
		if werr != nil {
			log.ErrorContext(c.Request().Context(), "write problem", "err", werr)
		}
	}
}

// StatusClientClosedRequest is the status recorded (as nginx does) for a
// request whose client went away before the answer: metrics and the access
// log then tell it from a server failure.
const StatusClientClosedRequest = 499

// clientGone reports whether err is only the request's client having gone
// away: the request's own context was cancelled, and err is that
// cancellation or what it left behind. The Postgres driver closes a
// connection whose query is cancelled, and the statement on it can fail with
// ErrBadConn instead of the context's error (three saves of an exam whose
// clients hung up at once were answered 500 so).
func clientGone(c echo.Context, err error) bool {
	return errors.Is(c.Request().Context().Err(), context.Canceled) &&
		(errors.Is(err, context.Canceled) || errors.Is(err, driver.ErrBadConn))
}

// withExtensions returns the problem's members with the extension members
// added; the standard members win over an extension of the same name.
func withExtensions(p Problem, extensions map[string]any) map[string]any {
	out := make(map[string]any, len(extensions)+7)
	for k, v := range extensions {
		out[k] = v
	}
	out["type"], out["title"], out["status"] = p.Type, p.Title, p.Status
	if p.Detail != "" {
		out["detail"] = p.Detail
	}
	if p.Instance != "" {
		out["instance"] = p.Instance
	}
	if len(p.Errors) > 0 {
		out["errors"] = p.Errors
	}
	return out
}
