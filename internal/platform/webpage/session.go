package webpage

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/web"
)

// Credentials are a signed-in session's tokens, as identity issues them.
type Credentials struct {
	Access  string
	Refresh string
}

// Sessions is what pages need of identity's sign-in: the caller an access
// token names, and a new pair for a refresh token. The cookie session is a
// carrier of these tokens, not a second account system: signing out or
// revoking the session in identity ends the cookie session too.
type Sessions interface {
	Authenticate(ctx context.Context, access string) (*authz.Actor, error)
	Refresh(ctx context.Context, refresh string) (Credentials, error)
}

const (
	accessCookie   = "corpu_access"
	refreshCookie  = "corpu_refresh"
	languageCookie = "corpu_lang"
)

// StartSession stores a new session's tokens in cookies. They are session
// cookies (no Max-Age): on a shared office computer closing the browser
// signs out, while the refresh token keeps a long open tab signed in.
func (s *Site) StartSession(c echo.Context, cred Credentials) {
	s.setCookie(c, accessCookie, cred.Access, 0)
	s.setCookie(c, refreshCookie, cred.Refresh, 0)
}

// EndSession clears the session cookies and returns the refresh token they
// held, for identity to revoke.
func (s *Site) EndSession(c echo.Context) (refresh string) {
	if ck, err := c.Cookie(refreshCookie); err == nil {
		refresh = ck.Value
	}
	s.setCookie(c, accessCookie, "", -1)
	s.setCookie(c, refreshCookie, "", -1)
	return refresh
}

func (s *Site) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
}

// requireSignIn puts the session's caller in the request's context. An
// expired access token is renewed with the refresh token; a session that
// cannot be renewed sends the visitor to sign in, and back here after.
func (s *Site) requireSignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		actor, err := s.sessionActor(c)
		if err != nil {
			return err
		}
		c.SetRequest(c.Request().WithContext(authz.WithActor(c.Request().Context(), actor)))
		return next(c)
	}
}

func (s *Site) sessionActor(c echo.Context) (*authz.Actor, error) {
	ctx := c.Request().Context()
	if ck, err := c.Cookie(accessCookie); err == nil && ck.Value != "" {
		actor, err := s.opts.Sessions.Authenticate(ctx, ck.Value)
		if err == nil {
			return actor, nil
		}
		if apperr.KindOf(err) != apperr.KindUnauthorized {
			return nil, err
		}
	}
	cred, err := s.renew(c)
	if err != nil {
		return nil, err
	}
	return s.opts.Sessions.Authenticate(ctx, cred.Access)
}

// renew trades the refresh cookie for new tokens and stores them.
func (s *Site) renew(c echo.Context) (Credentials, error) {
	ck, err := c.Cookie(refreshCookie)
	if err != nil || ck.Value == "" {
		return Credentials{}, authz.ErrUnauthenticated
	}
	cred, err := s.opts.Sessions.Refresh(c.Request().Context(), ck.Value)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindUnauthorized {
			s.EndSession(c)
		}
		return Credentials{}, err
	}
	s.StartSession(c, cred)
	return cred, nil
}

// RenewSession is the page scripts' way to keep a long page signed in: a
// 204 with fresh cookies, or 401 when the session is over. The quiz page
// calls it when the API answers 401, then sends again.
func (s *Site) RenewSession(c echo.Context) error {
	if _, err := s.renew(c); err != nil {
		if apperr.KindOf(err) == apperr.KindUnauthorized {
			return c.NoContent(http.StatusUnauthorized)
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// APIBridge lets a page's script call the JSON API with the session cookie:
// a request without an Authorization header, carrying the access cookie and
// the CSRF token in the X-CSRF-Token header, is authenticated as if it had
// sent the access token as a bearer. Without the header (a cross-site form
// or link) the cookie is ignored and the API answers 401 as always. It runs
// before identity's middleware on /api/v1.
func (s *Site) APIBridge(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Header.Get(echo.HeaderAuthorization) == "" && validCSRF(c, r.Header.Get(csrfHeader)) {
			if ck, err := c.Cookie(accessCookie); err == nil && ck.Value != "" {
				r.Header.Set(echo.HeaderAuthorization, "Bearer "+ck.Value)
			}
		}
		return next(c)
	}
}

// Language is the page's language: the visitor's choice from the language
// switch, else their browser's Accept-Language ("id" by default).
func Language(c echo.Context) string {
	if ck, err := c.Cookie(languageCookie); err == nil && (ck.Value == "id" || ck.Value == "en") {
		return ck.Value
	}
	return web.Language(c.Request())
}

func (s *Site) switchLanguage(c echo.Context) error {
	lang := c.QueryParam("to")
	if lang != "en" {
		lang = "id"
	}
	c.SetCookie(&http.Cookie{Name: languageCookie, Value: lang, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
	return Redirect(c, LocalPath(c.QueryParam("next")))
}

// LocalPath returns p when it is a path on this site, else "/": a "next"
// parameter must never send a visitor to another site.
func LocalPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return p
}
