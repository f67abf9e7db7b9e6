package webpage

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
)

const (
	csrfCookie = "corpu_csrf"
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
	csrfKey    = "webpage.csrf"
)

// ErrCSRF is a form or script request without the page's CSRF token: sent
// from another site, or from a page older than the visitor's cookies.
var ErrCSRF = apperr.New(apperr.KindForbidden, "csrf",
	"Formulir ini sudah kedaluwarsa atau tidak berasal dari Corpu. Muat ulang halaman dan coba lagi.",
	"This form has expired or did not come from Corpu. Reload the page and try again.")

// csrf is a double-submit token: a random value in an HttpOnly cookie that
// every form repeats in a hidden field (and every script in X-CSRF-Token). A
// site that cannot read the cookie cannot repeat it. A request whose Origin
// is another site is refused as well.
func (s *Site) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
			token = ck.Value
		} else {
			token = newCSRFToken()
			c.SetCookie(&http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true,
				Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
		}
		c.Set(csrfKey, token)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		sent := c.Request().Header.Get(csrfHeader)
		if sent == "" {
			sent = c.FormValue(csrfField)
		}
		if !sameOrigin(c) || !validCSRF(c, sent) {
			return ErrCSRF
		}
		return next(c)
	}
}

// csrfToken is the token the page's forms and scripts repeat.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(csrfKey).(string)
	return t
}

// validCSRF reports whether sent is the token of the request's cookie.
func validCSRF(c echo.Context, sent string) bool {
	ck, err := c.Cookie(csrfCookie)
	if err != nil || len(ck.Value) < 32 || sent == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ck.Value), []byte(sent)) == 1
}

// sameOrigin refuses a request whose Origin header names another host;
// browsers send it on every cross-site POST.
func sameOrigin(c echo.Context) bool {
	origin := c.Request().Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == c.Request().Host
}

func newCSRFToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
