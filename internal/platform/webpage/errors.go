package webpage

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// errorPage is what the error page shows: a title and a message a person
// can act on, never a cause or a stack.
type errorPage struct {
	Status  int
	Title   apperr.Text
	Message string
}

var errorTitles = map[int]apperr.Text{
	http.StatusNotFound:            {ID: "Halaman tidak ditemukan", EN: "Page not found"},
	http.StatusForbidden:           {ID: "Tidak diizinkan", EN: "Not allowed"},
	http.StatusConflict:            {ID: "Tidak dapat dilakukan sekarang", EN: "Not possible now"},
	http.StatusTooManyRequests:     {ID: "Terlalu banyak percobaan", EN: "Too many attempts"},
	http.StatusServiceUnavailable:  {ID: "Layanan sedang sibuk", EN: "The service is busy"},
	http.StatusInternalServerError: {ID: "Terjadi kesalahan", EN: "Something went wrong"},
}

// renderErrors turns a page handler's error into a page: a missing session
// goes to sign-in and back, everything else to the error page.
func (s *Site) renderErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		return s.showError(c, err)
	}
}

func (s *Site) showError(c echo.Context, err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return s.errorPage(c, he.Code, "")
	}
	e := apperr.As(err)
	if e.Kind == apperr.KindUnauthorized {
		return Redirect(c, SignInPath(c))
	}
	status := e.Kind.Status()
	if status >= 500 && e.Kind != apperr.KindUnavailable {
		s.opts.Log.ErrorContext(c.Request().Context(), "page failed", "path", c.Request().URL.Path,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
		return s.errorPage(c, http.StatusInternalServerError, "")
	}
	return s.errorPage(c, status, e.Message.In(Language(c)))
}

func (s *Site) errorPage(c echo.Context, status int, message string) error {
	title, ok := errorTitles[status]
	if !ok {
		title = apperr.Text{ID: "Permintaan tidak dapat diproses", EN: "The request cannot be processed"}
	}
	if status == http.StatusMethodNotAllowed {
		status, title = http.StatusNotFound, errorTitles[http.StatusNotFound]
	}
	return s.Render(c, status, "shared/error", errorPage{Status: status, Title: title, Message: message})
}

// SignInPath is the sign-in page with the way back to the page asked for (a
// GET), or to the page a form was sent from.
func SignInPath(c echo.Context) string {
	back := c.Request().URL.RequestURI()
	if c.Request().Method != http.MethodGet {
		back = "/"
		if ref, err := url.Parse(c.Request().Referer()); err == nil && ref.Host == c.Request().Host {
			back = ref.RequestURI()
		}
	}
	return "/sign-in?next=" + url.QueryEscape(LocalPath(back))
}

// ErrorHandler answers a browser's request outside the API (an unknown
// page) with an error page; every other error goes to api, the
// problem+json handler.
func (s *Site) ErrorHandler(api echo.HTTPErrorHandler) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		r := c.Request()
		if c.Response().Committed || strings.HasPrefix(r.URL.Path, "/api/") || !strings.Contains(r.Header.Get(echo.HeaderAccept), "text/html") {
			api(err, c)
			return
		}
		if rerr := s.showError(c, err); rerr != nil {
			api(err, c)
		}
	}
}
