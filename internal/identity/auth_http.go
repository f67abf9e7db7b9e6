package identity

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/web"
)

// authLoadTimeout bounds the database work of authenticating one request
// (session, user and grants): a caller whose credentials cannot be checked in
// that time gets ErrAuthUnavailable rather than waiting out the request's
// whole timeout for a connection.
const authLoadTimeout = 3 * time.Second

// ErrAuthUnavailable is a request whose credentials could not be checked
// because the database did not answer (a saturated connection pool, a
// failover): 503 with Retry-After, never 401, so clients retry instead of
// signing their user out. It carries no cause on purpose: a wrapped
// context.DeadlineExceeded would be rewritten by the request-timeout
// middleware into a bare 503.
var ErrAuthUnavailable = apperr.New(apperr.KindUnavailable, "auth.unavailable",
	"Masuk tidak dapat diperiksa saat ini; coba lagi sebentar lagi.",
	"Your sign-in cannot be checked right now; try again in a moment.").WithRetryAfter(1)

// Middleware authenticates every request of the group it guards from its
// "Authorization: Bearer …" header and puts the caller in the request's
// context; a request without valid credentials gets a 401 problem.
func (a *Auth) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			scheme, credential, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
			credential = strings.TrimSpace(credential)
			if !strings.EqualFold(scheme, "Bearer") || credential == "" {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="corpu"`)
				return authz.ErrUnauthenticated
			}
			ctx := c.Request().Context()
			loadCtx, cancel := context.WithTimeout(ctx, authLoadTimeout)
			actor, session, p, err := a.authenticateRequest(loadCtx, credential)
			cancel()
			if err != nil {
				switch apperr.KindOf(err) {
				case apperr.KindUnauthorized:
					c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="corpu", error="invalid_token"`)
				case apperr.KindInternal:
					// The credentials could not be checked (the connection
					// pool is saturated, the database is away): the caller is
					// not signed out, they should retry.
					return ErrAuthUnavailable
				}
				return err
			}
			c.SetRequest(c.Request().WithContext(withPrincipal(withSession(authz.WithActor(ctx, actor), session), p)))
			return next(c)
		}
	}
}

// AuthHandler serves sign-in, sessions, mailed links and personal API tokens.
type AuthHandler struct{ auth *Auth }

// NewAuthHandler returns the sign-in HTTP handler.
func NewAuthHandler(a *Auth) *AuthHandler { return &AuthHandler{auth: a} }

// MountPublic registers the routes that need no sign-in on the /api/v1 group.
func (h *AuthHandler) MountPublic(g *echo.Group) {
	g.POST("/auth/login", h.login)
	g.POST("/auth/refresh", h.refresh)
	g.POST("/auth/logout", h.logout)
	g.POST("/auth/verify-email", h.verifyEmail)
	g.POST("/auth/password-reset", h.requestReset)
	g.POST("/auth/password-reset/confirm", h.confirmReset)
}

// Mount registers the routes of the signed-in caller on the authenticated
// /api/v1 group.
func (h *AuthHandler) Mount(api *echo.Group) {
	api.POST("/auth/logout-everywhere", h.logoutEverywhere)
	api.POST("/me/verify-email", h.requestVerification)
	api.POST("/me/password", h.changePassword)
	api.GET("/me/api-tokens", h.listAPITokens)
	api.POST("/me/api-tokens", h.createAPIToken)
	api.DELETE("/me/api-tokens/:token_id", h.revokeAPIToken)
}

// MountWellKnown serves the public keys that verify access tokens, so other
// services can check them without a shared secret.
func (h *AuthHandler) MountWellKnown(e *echo.Echo) {
	e.GET("/.well-known/jwks.json", func(c echo.Context) error {
		// Short caching: a rotated key must reach verifiers before the
		// tokens it signs do.
		c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, h.auth.keys.JWKS())
	})
}

// --- requests and responses ---

type tokensResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func toTokensResponse(t Tokens) tokensResponse {
	return tokensResponse{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, ExpiresIn: t.ExpiresIn}
}

type apiTokenResponse struct {
	ID         uuid.UUID          `json:"id"`
	Name       string             `json:"name"`
	Scopes     []authz.Permission `json:"scopes"`
	ExpiresAt  time.Time          `json:"expires_at"`
	LastUsedAt *time.Time         `json:"last_used_at"`
	CreatedAt  time.Time          `json:"created_at"`
	Token      string             `json:"token,omitempty"` // only in the answer to its creation
}

func toAPITokenResponse(t APIToken) apiTokenResponse {
	return apiTokenResponse{ID: t.ID, Name: t.Name, Scopes: t.Scopes, ExpiresAt: t.ExpiresAt,
		LastUsedAt: t.LastUsedAt, CreatedAt: t.CreatedAt}
}

// noStore keeps credentials in a response out of every cache (RFC 6749 §5.1).
func noStore(c echo.Context) {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
}

// --- handlers ---

func (h *AuthHandler) login(c echo.Context) error {
	var req struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	var v apperr.Validation
	v.Check(strings.TrimSpace(req.Login) != "", "login", "wajib diisi: e-mail atau NIP", "is required: e-mail or NIP")
	v.Check(req.Password != "", "password", "wajib diisi", "is required")
	if err := v.Err(); err != nil {
		return err
	}
	t, err := h.auth.Login(c.Request().Context(), req.Login, req.Password, c.Request().UserAgent(), c.RealIP())
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(http.StatusOK, toTokensResponse(t))
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (h *AuthHandler) refresh(c echo.Context) error {
	var req refreshRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	t, err := h.auth.Refresh(c.Request().Context(), req.RefreshToken)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(http.StatusOK, toTokensResponse(t))
}

func (h *AuthHandler) logout(c echo.Context) error {
	var req refreshRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if err := h.auth.Logout(c.Request().Context(), req.RefreshToken); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *AuthHandler) logoutEverywhere(c echo.Context) error {
	if err := h.auth.LogoutEverywhere(c.Request().Context()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *AuthHandler) verifyEmail(c echo.Context) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if err := h.auth.VerifyEmail(c.Request().Context(), req.Token); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *AuthHandler) requestVerification(c echo.Context) error {
	if err := h.auth.RequestVerification(c.Request().Context(), web.Language(c.Request())); err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

func (h *AuthHandler) requestReset(c echo.Context) error {
	var req struct {
		Login string `json:"login"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Login) == "" {
		return apperr.Invalid("login", "wajib diisi: e-mail atau NIP", "is required: e-mail or NIP")
	}
	if err := h.auth.RequestReset(c.Request().Context(), req.Login, web.Language(c.Request())); err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

func (h *AuthHandler) confirmReset(c echo.Context) error {
	var req struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if err := h.auth.ResetPassword(c.Request().Context(), req.Token, req.Password); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *AuthHandler) changePassword(c echo.Context) error {
	var req struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if err := h.auth.ChangePassword(c.Request().Context(), req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *AuthHandler) listAPITokens(c echo.Context) error {
	tokens, err := h.auth.ListAPITokens(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(tokens, toAPITokenResponse)})
}

func (h *AuthHandler) createAPIToken(c echo.Context) error {
	var req struct {
		Name      string             `json:"name"`
		Scopes    []authz.Permission `json:"scopes"`
		ExpiresAt time.Time          `json:"expires_at"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	plain, t, err := h.auth.CreateAPIToken(c.Request().Context(), req.Name, req.Scopes, req.ExpiresAt)
	if err != nil {
		return err
	}
	res := toAPITokenResponse(t)
	res.Token = plain
	noStore(c)
	return c.JSON(http.StatusCreated, res)
}

func (h *AuthHandler) revokeAPIToken(c echo.Context) error {
	id, err := web.PathID(c, "token_id", ErrAPITokenNotFound)
	if err != nil {
		return err
	}
	if err := h.auth.RevokeAPIToken(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
