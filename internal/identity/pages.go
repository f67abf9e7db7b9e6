package identity

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// PageSessions is identity's sign-in as the cookie session of the web pages
// sees it: only access tokens of a signed-in session, never personal API
// tokens, travel in a cookie.
func (a *Auth) PageSessions() webpage.Sessions { return pageSessions{a} }

type pageSessions struct{ auth *Auth }

func (p pageSessions) Authenticate(ctx context.Context, access string) (*authz.Actor, error) {
	if strings.HasPrefix(access, token.PrefixAPIToken) {
		return nil, authz.ErrUnauthenticated
	}
	return p.auth.Authenticate(ctx, access)
}

func (p pageSessions) Refresh(ctx context.Context, refresh string) (webpage.Credentials, error) {
	t, err := p.auth.Refresh(ctx, refresh)
	return webpage.Credentials{Access: t.AccessToken, Refresh: t.RefreshToken}, err
}

// Pages are the sign-in, sign-out and password-reset pages.
type Pages struct {
	auth *Auth
	site *webpage.Site
}

// NewPages returns identity's pages.
func NewPages(a *Auth, site *webpage.Site) *Pages { return &Pages{auth: a, site: site} }

// Mount registers the pages.
func (p *Pages) Mount() {
	pub := p.site.Public()
	pub.GET("/sign-in", p.signInForm)
	pub.POST("/sign-in", p.signIn)
	pub.POST("/sign-out", p.signOut)
	pub.POST("/session/renew", p.site.RenewSession)
	pub.GET("/password-reset", p.resetRequestForm)
	pub.POST("/password-reset", p.requestReset)
	pub.GET("/password-reset/confirm", p.resetConfirmForm)
	pub.POST("/password-reset/confirm", p.confirmReset)
	p.mountAdmin(p.site.SignedIn())
}

type signInPage struct{ Next string }

func (p *Pages) signInForm(c echo.Context) error {
	return p.site.Render(c, http.StatusOK, "identity/sign-in", signInPage{Next: webpage.LocalPath(c.QueryParam("next"))})
}

func (p *Pages) signIn(c echo.Context) error {
	login, plain := strings.TrimSpace(c.FormValue("login")), c.FormValue("password")
	next := webpage.LocalPath(c.FormValue("next"))
	values := url.Values{"login": {login}}
	lang := webpage.Language(c)
	var v apperr.Validation
	v.Check(login != "", "login", "wajib diisi: e-mail atau NIP", "is required: e-mail or NIP")
	v.Check(plain != "", "password", "wajib diisi", "is required")
	err := v.Err()
	var t Tokens
	if err == nil {
		t, err = p.auth.Login(c.Request().Context(), login, plain, c.Request().UserAgent(), c.RealIP())
	}
	if err != nil {
		form, ok := webpage.FormOf(err, lang, values, nil)
		if apperr.KindOf(err) == apperr.KindUnauthorized {
			// A wrong login or password is the visitor's mistake here, not a
			// missing session.
			form, ok = webpage.Form{Values: values, Message: apperr.As(err).Message.In(lang)}, true
		}
		if !ok {
			return err
		}
		return p.site.RenderForm(c, apperr.As(err).Kind.Status(), "identity/sign-in", signInPage{Next: next}, form)
	}
	p.site.StartSession(c, webpage.Credentials{Access: t.AccessToken, Refresh: t.RefreshToken})
	return webpage.Redirect(c, next)
}

func (p *Pages) signOut(c echo.Context) error {
	if refresh := p.site.EndSession(c); refresh != "" {
		if err := p.auth.Logout(c.Request().Context(), refresh); err != nil {
			return err
		}
	}
	return webpage.Redirect(c, "/sign-in")
}

type resetPage struct {
	Sent  bool
	Token string
	Done  bool
}

func (p *Pages) resetRequestForm(c echo.Context) error {
	return p.site.Render(c, http.StatusOK, "identity/password-reset", resetPage{})
}

func (p *Pages) requestReset(c echo.Context) error {
	login := strings.TrimSpace(c.FormValue("login"))
	lang := webpage.Language(c)
	err := apperr.Invalid("login", "wajib diisi: e-mail atau NIP", "is required: e-mail or NIP")
	if login != "" {
		err = p.auth.RequestReset(c.Request().Context(), login, lang)
	}
	if err != nil {
		form, ok := webpage.FormOf(err, lang, url.Values{"login": {login}}, nil)
		if !ok {
			return err
		}
		return p.site.RenderForm(c, apperr.As(err).Kind.Status(), "identity/password-reset", resetPage{}, form)
	}
	// The same answer for known and unknown accounts, as the API gives.
	return p.site.Render(c, http.StatusOK, "identity/password-reset", resetPage{Sent: true})
}

func (p *Pages) resetConfirmForm(c echo.Context) error {
	return p.site.Render(c, http.StatusOK, "identity/password-reset-confirm", resetPage{Token: c.QueryParam("token")})
}

func (p *Pages) confirmReset(c echo.Context) error {
	linkToken, plain, again := c.FormValue("token"), c.FormValue("password"), c.FormValue("password_again")
	lang := webpage.Language(c)
	err := apperr.Invalid("password_again", "tidak sama dengan kata sandi baru", "does not match the new password")
	if plain == again {
		err = p.auth.ResetPassword(c.Request().Context(), linkToken, plain)
	}
	if err != nil {
		form, ok := webpage.FormOf(err, lang, url.Values{}, map[string]string{"new_password": "password"})
		if !ok {
			return err
		}
		return p.site.RenderForm(c, apperr.As(err).Kind.Status(), "identity/password-reset-confirm", resetPage{Token: linkToken}, form)
	}
	return p.site.Render(c, http.StatusOK, "identity/password-reset-confirm", resetPage{Done: true})
}
