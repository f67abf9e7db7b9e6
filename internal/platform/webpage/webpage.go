// Package webpage is the plumbing of Corpu's server-rendered pages: layouts
// and templates embedded from assets/web, the language of a page, the cookie
// session over identity's sign-in tokens, CSRF protection, form errors next
// to their field, and error pages that never show a stack trace or a
// problem document. Each domain owns its pages (its pages.go) and mounts
// them on a Site's routers; pages call the same services as the JSON API.
package webpage

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// RouteNamePrefix names every page route, so route listings (the OpenAPI
// check) can tell pages from API operations.
const RouteNamePrefix = "page:"

// Options are what a Site needs from the outside.
type Options struct {
	Files    fs.FS // assets/web: layout.html, partials, <domain>/*.html, static/
	Sessions Sessions
	Secure   bool // cookies only over HTTPS (production)
	Log      *slog.Logger
	// UploadOrigins are the object store's origins: pages' scripts send
	// files straight to them and pages show images from them (presigned
	// URLs), besides the site itself.
	UploadOrigins []string
}

// Site renders pages and holds the routers domains mount them on.
type Site struct {
	opts      Options
	templates map[string]*template.Template // by page name, e.g. "course/catalogue"
	public    Router
	signedIn  Router
	csp       string // the Content-Security-Policy of every page
}

// New parses every page template once; a broken template fails start-up.
func New(opts Options) (*Site, error) {
	s := &Site{opts: opts, templates: map[string]*template.Template{}}
	images := strings.Join(append([]string{"'self'", "data:", "https:"}, opts.UploadOrigins...), " ")
	s.csp = "default-src 'self'; img-src " + images + "; media-src 'self' https: http:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
	if len(opts.UploadOrigins) > 0 {
		s.csp += "; connect-src 'self' " + strings.Join(opts.UploadOrigins, " ")
	}
	base, err := template.New("layout.html").Funcs(templateFuncs()).ParseFS(opts.Files, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("webpage: layout: %w", err)
	}
	pages, err := fs.Glob(opts.Files, "*/*.html")
	if err != nil {
		return nil, fmt.Errorf("webpage: list pages: %w", err)
	}
	for _, p := range pages {
		t, err := template.Must(base.Clone()).ParseFS(opts.Files, p)
		if err != nil {
			return nil, fmt.Errorf("webpage: page %s: %w", p, err)
		}
		s.templates[strings.TrimSuffix(p, ".html")] = t
	}
	return s, nil
}

// Mount serves the static files and the language switch on e, and prepares
// the routers of public and signed-in pages.
func (s *Site) Mount(e *echo.Echo) {
	static, err := fs.Sub(s.opts.Files, "static")
	if err == nil {
		files := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
		r := e.GET("/static/*", func(c echo.Context) error {
			// Files change only with a new binary; a day is a fair bound.
			c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
			files.ServeHTTP(c.Response(), c.Request())
			return nil
		})
		r.Name = RouteNamePrefix + "static"
	}
	// Routes carry their middleware themselves: an Echo group with
	// middleware at "" would catch every unknown path, the API's too.
	s.public = Router{e: e, mw: []echo.MiddlewareFunc{s.securityHeaders, s.renderErrors, s.csrf}}
	s.signedIn = Router{e: e, mw: []echo.MiddlewareFunc{s.securityHeaders, s.renderErrors, s.csrf, s.requireSignIn}}
	s.public.GET("/language", s.switchLanguage)
}

// Router registers page routes with the pages' middleware, naming each as a
// page.
type Router struct {
	e  *echo.Echo
	mw []echo.MiddlewareFunc
}

// GET registers a page that reads.
func (r Router) GET(p string, h echo.HandlerFunc) {
	r.e.GET(p, h, r.mw...).Name = RouteNamePrefix + "GET " + p
}

// POST registers a form's action.
func (r Router) POST(p string, h echo.HandlerFunc) {
	r.e.POST(p, h, r.mw...).Name = RouteNamePrefix + "POST " + p
}

// Public is the router of pages anyone may open (sign-in, password reset).
func (s *Site) Public() Router { return s.public }

// SignedIn is the router of pages that need a session; a visitor without
// one is sent to sign in and back.
func (s *Site) SignedIn() Router { return s.signedIn }

// View is what every template receives: the page's data and what the
// layout needs.
type View struct {
	Lang     string
	Path     string // the current page, for the language switch and sign-in's way back
	CSRF     string
	SignedIn bool
	// Works is true for a signed-in user holding any role beyond learner:
	// the layout then links the staff pages. It only hides links; every
	// page is authorized by its service.
	Works bool
	Data  any
	Form  Form
}

// T picks the text of the page's language: {{.T "Masuk" "Sign in"}}.
func (v View) T(id, en string) string { return apperr.Text{ID: id, EN: en}.In(v.Lang) }

// Render writes the named page ("course/catalogue") with data.
func (s *Site) Render(c echo.Context, status int, name string, data any) error {
	return s.RenderForm(c, status, name, data, Form{})
}

// RenderForm writes a page with a form's values and errors.
func (s *Site) RenderForm(c echo.Context, status int, name string, data any, form Form) error {
	t, ok := s.templates[name]
	if !ok {
		return fmt.Errorf("webpage: no page %q", name)
	}
	actor, err := authz.ActorFrom(c.Request().Context())
	v := View{Lang: Language(c), Path: c.Request().URL.RequestURI(), CSRF: csrfToken(c), SignedIn: err == nil, Data: data, Form: form}
	if err == nil {
		v.Works = slices.ContainsFunc(actor.Grants, func(g authz.Grant) bool { return g.Role != authz.RoleLearner })
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return fmt.Errorf("webpage: render %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// Redirect answers a form with 303 See Other, so reloading the next page
// does not send the form again.
func Redirect(c echo.Context, to string) error { return c.Redirect(http.StatusSeeOther, to) }

// securityHeaders keep pages out of frames and scripts to our own files.
func (s *Site) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

// wib is the time zone pages show times in (Western Indonesia Time); a
// learner's own zone is a later refinement.
var wib = time.FixedZone("WIB", 7*60*60)

// templateFuncs are the helpers every template may call.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"datetime": func(t time.Time) string { return t.In(wib).Format("02-01-2006 15:04 MST") },
		"date":     func(t time.Time) string { return t.In(wib).Format("02-01-2006") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join":     strings.Join,
		"deref":    func(p *float64) float64 { return *p },
		"percent":  func(f float64) int { return int(f*100 + 0.5) },
		"dict":     dict,
		// sanitized marks HTML the services sanitized on write (course texts,
		// question stems) as safe to show; never use it on anything else.
		"sanitized": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // sanitized on write
	}
}

// dict builds a map from "key", value pairs, to pass several values to a
// partial: {{template "field" (dict "V" . "Name" "code" "Label" "Kode")}}.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		key, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
		}
		m[key] = pairs[i+1]
	}
	return m, nil
}
