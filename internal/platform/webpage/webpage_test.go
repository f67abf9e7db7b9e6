package webpage

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// fakeSessions knows one valid access token and one refresh token that
// renews into it.
type fakeSessions struct{ refreshed int }

func (f *fakeSessions) Authenticate(_ context.Context, access string) (*authz.Actor, error) {
	if access != "good-access" {
		return nil, authz.ErrUnauthenticated
	}
	return &authz.Actor{UserID: uuid.New()}, nil
}

func (f *fakeSessions) Refresh(_ context.Context, refresh string) (Credentials, error) {
	if refresh != "good-refresh" {
		return Credentials{}, authz.ErrUnauthenticated
	}
	f.refreshed++
	return Credentials{Access: "good-access", Refresh: "next-refresh"}, nil
}

var testFiles = fstest.MapFS{
	"layout.html":       {Data: []byte(`<html lang="{{.Lang}}"><title>{{block "title" .}}{{end}}</title>{{block "content" .}}{{end}}</html>`)},
	"shared/error.html": {Data: []byte(`{{define "content"}}<h1>{{.Data.Title.In .Lang}}</h1><p>{{.Data.Message}}</p>{{end}}`)},
	"test/form.html":    {Data: []byte(`{{define "content"}}{{.T "Halo" "Hello"}} csrf={{.CSRF}} name={{.Form.Value "name"}} err={{.Form.Error "name"}}{{end}}`)},
}

func newTestSite(t *testing.T) (*echo.Echo, *fakeSessions) {
	t.Helper()
	sessions := &fakeSessions{}
	site, err := New(Options{Files: testFiles, Sessions: sessions, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := echo.New()
	site.Mount(e)
	e.HTTPErrorHandler = site.ErrorHandler(func(err error, c echo.Context) { _ = c.String(599, "api handler") })
	site.Public().POST("/form", func(c echo.Context) error {
		form, ok := FormOf(apperr.Invalid("name", "terlalu pendek", "too short"), Language(c), url.Values{"name": {c.FormValue("name")}}, nil)
		if !ok {
			t.Fatal("FormOf refused a validation error")
		}
		return site.RenderForm(c, http.StatusUnprocessableEntity, "test/form", nil, form)
	})
	site.SignedIn().GET("/private", func(c echo.Context) error { return c.String(http.StatusOK, "private page") })
	site.SignedIn().GET("/broken", func(c echo.Context) error { return errors.New("pq: secret internals at line 42") })
	api := e.Group("/api/v1", site.APIBridge)
	api.GET("/whoami", func(c echo.Context) error { return c.String(http.StatusOK, c.Request().Header.Get("Authorization")) })
	return e, sessions
}

func serve(e *echo.Echo, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

const testCSRF = "0123456789abcdef0123456789abcdef0123456789a"

func TestAFormWithoutTheCSRFTokenOfItsCookieIsRefused(t *testing.T) {
	e, _ := newTestSite(t)
	for _, tc := range []struct {
		name, cookie, field, origin string
		want                        int
	}{
		{"no token at all", "", "", "", http.StatusForbidden},
		{"a token without its cookie", "", testCSRF, "", http.StatusForbidden},
		{"a token that differs from the cookie", testCSRF, strings.Repeat("x", 43), "", http.StatusForbidden},
		{"the right token from another site", testCSRF, testCSRF, "https://evil.example", http.StatusForbidden},
		{"the right token", testCSRF, testCSRF, "", http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(url.Values{"csrf_token": {tc.field}, "name": {"Bu"}}.Encode()))
			r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
			r.Header.Set(echo.HeaderAccept, "text/html")
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tc.cookie})
			}
			w := serve(e, r)
			if w.Code != tc.want {
				t.Fatalf("POST /form = %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if strings.Contains(w.Body.String(), "problem") || !strings.Contains(w.Body.String(), "<html") {
				t.Errorf("the answer is no page: %s", w.Body)
			}
		})
	}
}

func TestAnInvalidFormKeepsWhatWasTypedAndShowsTheErrorInThePageLanguage(t *testing.T) {
	e, _ := newTestSite(t)
	r := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(url.Values{"csrf_token": {testCSRF}, "name": {"Bu <b>"}}.Encode()))
	r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	r.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: testCSRF})
	body := serve(e, r).Body.String()
	for _, want := range []string{`lang="en"`, "Hello", "name=Bu &lt;b&gt;", "err=too short", "csrf=" + testCSRF} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q: %s", want, body)
		}
	}
}

func TestASignedInPageRenewsAnExpiredSessionOrSendsTheVisitorToSignInAndBack(t *testing.T) {
	for _, tc := range []struct {
		name, access, refresh string
		want                  int
		location              string
	}{
		{"a valid access token", "good-access", "", http.StatusOK, ""},
		{"an expired access token with a live refresh token", "expired", "good-refresh", http.StatusOK, ""},
		{"an expired session", "expired", "revoked", http.StatusSeeOther, "/sign-in?next=%2Fprivate%3Fpage%3D2"},
		{"no session", "", "", http.StatusSeeOther, "/sign-in?next=%2Fprivate%3Fpage%3D2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, sessions := newTestSite(t)
			r := httptest.NewRequest(http.MethodGet, "/private?page=2", nil)
			if tc.access != "" {
				r.AddCookie(&http.Cookie{Name: accessCookie, Value: tc.access})
			}
			if tc.refresh != "" {
				r.AddCookie(&http.Cookie{Name: refreshCookie, Value: tc.refresh})
			}
			w := serve(e, r)
			if w.Code != tc.want || w.Header().Get("Location") != tc.location {
				t.Fatalf("GET /private = %d to %q, want %d to %q", w.Code, w.Header().Get("Location"), tc.want, tc.location)
			}
			if tc.refresh == "good-refresh" {
				if sessions.refreshed != 1 || !strings.Contains(strings.Join(w.Header().Values("Set-Cookie"), ";"), refreshCookie+"=next-refresh") {
					t.Errorf("the session was not renewed into new cookies: %v", w.Header().Values("Set-Cookie"))
				}
			}
		})
	}
}

func TestErrorPagesShowNeitherCausesNorProblemDocuments(t *testing.T) {
	e, _ := newTestSite(t)
	for _, tc := range []struct {
		path string
		want int
		text string
	}{
		{"/broken", http.StatusInternalServerError, "Terjadi kesalahan"},
		{"/no-such-page", http.StatusNotFound, "Halaman tidak ditemukan"},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		r.Header.Set(echo.HeaderAccept, "text/html,application/xhtml+xml")
		r.AddCookie(&http.Cookie{Name: accessCookie, Value: "good-access"})
		w := serve(e, r)
		body := w.Body.String()
		if w.Code != tc.want || !strings.Contains(body, tc.text) || strings.Contains(body, "pq:") || strings.Contains(body, "application/problem") {
			t.Errorf("GET %s = %d %s, want %d with %q and no cause", tc.path, w.Code, body, tc.want, tc.text)
		}
	}
}

func TestTheAPIBridgeUsesTheSessionCookieOnlyWithTheCSRFHeader(t *testing.T) {
	e, _ := newTestSite(t)
	for _, tc := range []struct {
		name, header, want string
	}{
		{"a script with the token", testCSRF, "Bearer good-access"},
		{"a cross-site request without it", "", ""},
		{"a wrong token", strings.Repeat("y", 43), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/whoami", nil)
			r.AddCookie(&http.Cookie{Name: accessCookie, Value: "good-access"})
			r.AddCookie(&http.Cookie{Name: csrfCookie, Value: testCSRF})
			if tc.header != "" {
				r.Header.Set(csrfHeader, tc.header)
			}
			if got := serve(e, r).Body.String(); got != tc.want {
				t.Errorf("Authorization = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLocalPathKeepsVisitorsOnTheSite(t *testing.T) {
	for in, want := range map[string]string{
		"/classes/1?x=2":        "/classes/1?x=2",
		"":                      "/",
		"https://evil.example/": "/",
		"//evil.example/":       "/",
		"/\\evil.example":       "/",
		"javascript:alert(1)":   "/",
		"catalogue":             "/",
	} {
		if got := LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRefuseShowsTheFormAgainOnlyForWhatTheVisitorCanFix(t *testing.T) {
	notFound := apperr.New(apperr.KindNotFound, "x.not_found", "Tidak ada.", "Not found.")
	forbidden := apperr.New(apperr.KindForbidden, "x.forbidden", "Tidak boleh.", "Not allowed.")
	conflict := apperr.New(apperr.KindConflict, "x.conflict", "Bentrok.", "Clash.")
	for _, tc := range []struct {
		name     string
		err      error
		rendered int // the status the form is shown with; 0 when the error is returned
	}{
		{"a field error", apperr.Invalid("title", "wajib diisi", "is required"), http.StatusUnprocessableEntity},
		{"a conflict", conflict, http.StatusConflict},
		{"something not found", notFound, 0},
		{"something not allowed", forbidden, 0},
		{"an internal error", errors.New("db down"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/", nil), httptest.NewRecorder())
			rendered := 0
			err := Refuse(c, tc.err, url.Values{"title": {"x"}}, nil, func(_ echo.Context, status int, f Form) error {
				rendered = status
				if f.Value("title") != "x" || !f.Invalid() {
					t.Errorf("form = %+v, want the typed value and the error", f)
				}
				return nil
			})
			if rendered != tc.rendered || (tc.rendered == 0) != (err != nil) {
				t.Errorf("Refuse = rendered %d, err %v; want rendered %d", rendered, err, tc.rendered)
			}
		})
	}
}
