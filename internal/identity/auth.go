package identity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/identity/password"
	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

// AuthConfig configures sign-in. Zero fields take the defaults noted.
type AuthConfig struct {
	RefreshTTL      time.Duration // a session ends when not refreshed for this long; 30 days
	VerifyTTL       time.Duration // e-mail verification links; 48 hours
	ResetTTL        time.Duration // password reset links; 1 hour
	PublicURL       string        // the web app's address; mailed links start with it
	MaxFailedLogins int           // failures in a row before sign-in to the account is slowed; 5
	LockDuration    time.Duration // the longest an account is slowed after one failure; 15 minutes
	IPLimit         int           // failed sign-ins from one address per IPWindow; 20
	IPWindow        time.Duration // 5 minutes
	KeyPrefix       string        // prefixes the Redis keys of the counters
}

func (c AuthConfig) withDefaults() AuthConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RefreshTTL, 30*24*time.Hour)
	def(&c.VerifyTTL, 48*time.Hour)
	def(&c.ResetTTL, time.Hour)
	def(&c.LockDuration, 15*time.Minute)
	def(&c.IPWindow, 5*time.Minute)
	if c.MaxFailedLogins <= 0 {
		c.MaxFailedLogins = 5
	}
	if c.IPLimit <= 0 {
		c.IPLimit = 20
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Tokens are what a client gets when it signs in or refreshes: a short-lived
// access token for the Authorization header and a refresh token to get the
// next one.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int // seconds until the access token expires
	TokenType    string
}

// APIToken is a personal API token, for integrations such as an HR system.
// Its secret is shown once when it is created and stored only as a hash.
type APIToken struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Name       string
	Scopes     []authz.Permission
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

// The purposes of one-time tokens, as the one_time_tokens table names them.
const (
	purposeVerifyEmail   = "verify_email"
	purposeResetPassword = "reset_password"
)

// Errors of sign-in.
var (
	// ErrBadLogin is the one answer to every failed sign-in, so it tells no
	// one whether an account exists, is suspended or is locked.
	ErrBadLogin = apperr.New(apperr.KindUnauthorized, "auth.invalid_login",
		"Login atau kata sandi salah, atau akun dikunci sementara.",
		"Wrong login or password, or the account is temporarily locked.")
	ErrTooManyAttempts = apperr.New(apperr.KindRateLimited, "auth.too_many_attempts",
		"Terlalu banyak percobaan masuk dari alamat ini. Coba lagi nanti.",
		"Too many sign-in attempts from this address. Try again later.")
	ErrInvalidRefreshToken = apperr.New(apperr.KindUnauthorized, "auth.invalid_refresh_token",
		"Sesi tidak valid atau sudah berakhir; silakan masuk kembali.",
		"The session is invalid or has ended; sign in again.")
	ErrInvalidLinkToken = func() *apperr.Error {
		e := apperr.New(apperr.KindInvalid, "auth.invalid_link_token",
			"Tautan tidak valid, sudah dipakai, atau sudah kedaluwarsa.",
			"The link is invalid, already used, or expired.")
		e.Fields = []apperr.FieldError{{Field: "token", Message: apperr.Text{
			ID: "tidak valid, sudah dipakai, atau kedaluwarsa", EN: "is invalid, already used, or expired"}}}
		return e
	}()
	ErrSessionRequired = apperr.New(apperr.KindForbidden, "auth.session_required",
		"Tindakan ini memerlukan masuk dengan kata sandi, bukan token API.",
		"This action needs a signed-in session, not an API token.")
	ErrAPITokenNotFound = apperr.New(apperr.KindNotFound, "auth.api_token_not_found",
		"Token API tidak ditemukan.", "API token not found.")
	ErrEmailAlreadyVerified = apperr.New(apperr.KindConflict, "identity.email_already_verified",
		"Alamat e-mail sudah diverifikasi.", "The e-mail address is already verified.")
	errSignInUnavailable = apperr.New(apperr.KindUnavailable, "auth.unavailable",
		"Layanan masuk sedang tidak tersedia; coba lagi nanti.",
		"Sign-in is unavailable right now; try again later.").WithRetryAfter(5)
)

// Limits on what clients send.
const (
	maxPasswordBytes  = 1024 // longer input is refused before it is hashed
	maxUserAgentBytes = 512
	maxAPITokenName   = 100
	maxAPITokenLife   = 365 * 24 * time.Hour
	apiTokenTouchGap  = time.Minute         // last_used_at is written at most this often
	resetMailGap      = time.Minute         // one reset mail per account at most this often
	knownAddressAge   = 90 * 24 * time.Hour // a sign-in from an address this recent makes it the owner's
	dummyPassword     = "corpu-dummy-password-for-timing"
)

// Auth signs people in and out, mails verification and reset links, and
// manages personal API tokens. It shares the identity store and audit log
// with Service.
type Auth struct {
	db     *database.DB
	svc    *Service
	store  authStore
	issuer *token.Issuer
	keys   *token.KeySet
	outbox *queue.Outbox
	rdb    redis.UniversalClient
	cfg    AuthConfig
	now    func() time.Time
	actors *actorCache // see actor_cache.go

	// params make new password hashes; tests lower them.
	params password.Params
	// dummyHash is verified against when there is no real hash to check, so
	// an unknown login costs as much time as a known one.
	dummyHash func() string
}

// NewAuth returns the sign-in use cases.
func NewAuth(db *database.DB, svc *Service, issuer *token.Issuer, keys *token.KeySet, outbox *queue.Outbox,
	rdb redis.UniversalClient, cfg AuthConfig) *Auth {
	a := &Auth{db: db, svc: svc, store: authStore{db: db}, issuer: issuer, keys: keys, outbox: outbox, rdb: rdb,
		cfg: cfg.withDefaults(), now: svc.now, params: svc.params}
	a.actors = newActorCache(rdb, a.cfg.KeyPrefix, ActorCacheConfig{})
	svc.store.actors = a.actors
	a.dummyHash = sync.OnceValue(func() string {
		h, err := password.HashWith(dummyPassword, a.params)
		if err != nil {
			panic(fmt.Sprintf("identity: dummy password hash: %v", err)) // only invalid params fail
		}
		return h
	})
	return a
}

// --- sign-in ---

// Login checks a login (e-mail or NIP) and password and starts a session.
// Every failure gives ErrBadLogin, after the same work, whether the account
// is unknown, suspended, without a password, throttled or the password wrong.
// Too many failures from one address give ErrTooManyAttempts with the time
// to wait.
//
// Per account, failures slow sign-in rather than lock it: from the
// MaxFailedLogins-th failure in a row on, each failure shuts the account to
// unknown addresses for a delay that doubles (1 s, 2 s, 4 s, …) up to
// LockDuration, and attempts inside the delay are refused unchecked and
// uncounted. So a password guesser gets a few guesses an hour, while an
// address the owner has signed in from before (a session was started from
// it in the last knownAddressAge) is never held back by others' failures:
// the owner's correct password still works there. Failures are not tied to
// a client-chosen device id (an attacker would send the owner's), and the
// answer stays the one ErrBadLogin, so the throttle tells no one which
// accounts exist. A correct sign-in or a password reset clears the count.
func (a *Auth) Login(ctx context.Context, login, plain, userAgent, ip string) (Tokens, error) {
	ipKey := a.cfg.KeyPrefix + "login:ip:" + ip
	if wait, err := a.ipWait(ctx, ipKey); err != nil {
		return Tokens{}, err
	} else if wait > 0 {
		return Tokens{}, ErrTooManyAttempts.WithRetryAfter(wait)
	}
	now := a.now()
	row, err := a.svc.store.userByLogin(ctx, strings.TrimSpace(login))
	found := err == nil
	if err != nil && !errors.Is(err, ErrUserNotFound) {
		return Tokens{}, err
	}
	hash := ""
	if found && row.PasswordHash != nil {
		hash = *row.PasswordHash
	}
	usable := found && hash != "" && UserStatus(row.Status) == StatusActive
	if !usable {
		hash = a.dummyHash()
	}
	match := false
	if len(plain) <= maxPasswordBytes && login != "" {
		if match, err = password.Verify(plain, hash); err != nil {
			return Tokens{}, fmt.Errorf("verify password of user %s: %w", row.ID, err)
		}
	}
	locked := found && row.LockedUntil != nil && row.LockedUntil.After(now)
	if locked && usable && match {
		// Others' failures do not hold the owner back where they signed in before.
		known, err := a.store.knownAddress(ctx, row.ID, ip, now.Add(-knownAddressAge))
		if err != nil {
			return Tokens{}, err
		}
		locked = !known
	}
	if !usable || !match || locked {
		if usable && !match && !locked {
			if err := a.store.recordFailedLogin(ctx, row.ID, now, a.cfg.MaxFailedLogins, a.cfg.LockDuration); err != nil {
				return Tokens{}, err
			}
		}
		if err := a.countIPFailure(ctx, ipKey); err != nil {
			return Tokens{}, err
		}
		return Tokens{}, ErrBadLogin
	}

	fields := map[string]any{}
	if row.FailedLogins != 0 || row.LockedUntil != nil {
		fields["failed_logins"], fields["locked_until"] = 0, nil
	}
	if a.needsRehash(hash) {
		rehashed, err := password.HashWith(plain, a.params)
		if err != nil {
			return Tokens{}, fmt.Errorf("rehash password: %w", err)
		}
		fields["password_hash"] = rehashed
	}
	var tokens Tokens
	err = a.db.WithTx(ctx, func(ctx context.Context) error {
		if len(fields) > 0 {
			if err := a.store.updateUserAuth(ctx, row.ID, fields); err != nil {
				return err
			}
		}
		familyID := uuid.Must(uuid.NewV7())
		refresh, err := a.newRefresh(ctx, row.ID, familyID, now, userAgent, ip)
		if err != nil {
			return err
		}
		tokens, err = a.tokens(row.ID, familyID, refresh)
		return err
	})
	return tokens, err
}

// needsRehash reports whether a hash should be replaced by one made with the
// configured parameters, stronger or cheaper.
func (a *Auth) needsRehash(hash string) bool {
	return password.NeedsRehashFor(hash, a.params)
}

// ipWait returns how many seconds an address must wait before it may try to
// sign in again, or 0.
func (a *Auth) ipWait(ctx context.Context, key string) (int, error) {
	n, err := a.rdb.Get(ctx, key).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, errSignInUnavailable.Wrap(fmt.Errorf("read sign-in counter: %w", err))
	}
	if n < a.cfg.IPLimit {
		return 0, nil
	}
	ttl, err := a.rdb.PTTL(ctx, key).Result()
	if err != nil {
		return 0, errSignInUnavailable.Wrap(fmt.Errorf("read sign-in counter: %w", err))
	}
	return max(1, int(math.Ceil(ttl.Seconds()))), nil
}

// countIPFailure counts a failed sign-in from an address in the current
// window: the window starts with the first failure (SET NX with expiry) and
// INCR keeps the expiry, both in one MULTI so the counter never outlives it.
func (a *Auth) countIPFailure(ctx context.Context, key string) error {
	pipe := a.rdb.TxPipeline()
	pipe.SetNX(ctx, key, 0, a.cfg.IPWindow)
	pipe.Incr(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		return errSignInUnavailable.Wrap(fmt.Errorf("count failed sign-in: %w", err))
	}
	return nil
}

// newRefresh stores a new refresh token of a session and returns its secret.
func (a *Auth) newRefresh(ctx context.Context, userID, familyID uuid.UUID, now time.Time, userAgent, ip string) (string, error) {
	plain, hash := token.NewSecret(token.PrefixRefresh)
	err := a.store.createRefresh(ctx, refreshRow{
		ID: uuid.Must(uuid.NewV7()), FamilyID: familyID, UserID: userID, TokenHash: hash,
		ExpiresAt: now.Add(a.cfg.RefreshTTL), UserAgent: truncateBytes(userAgent, maxUserAgentBytes), IP: truncateBytes(ip, 64),
		CreatedAt: now,
	})
	return plain, err
}

// tokens issues an access token for a session and pairs it with refresh.
func (a *Auth) tokens(userID, familyID uuid.UUID, refresh string) (Tokens, error) {
	access, expiresAt, err := a.issuer.Issue(userID, familyID)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: max(0, int(time.Until(expiresAt).Round(time.Second).Seconds()))}, nil
}

// Refresh trades a refresh token for a new pair. Each refresh token works
// once: presenting one that was already used means two parties hold it, so
// the whole session is revoked and both must sign in again.
func (a *Auth) Refresh(ctx context.Context, refresh string) (Tokens, error) {
	if prefix, _, ok := token.SplitPrefix(refresh); !ok || prefix != token.PrefixRefresh {
		return Tokens{}, ErrInvalidRefreshToken
	}
	now := a.now()
	var tokens Tokens
	reused := false
	// The revocation on reuse must commit although the call fails, so the
	// transaction ends with nil and the error is returned after it.
	err := a.db.WithTx(ctx, func(ctx context.Context) error {
		reused = false
		row, found, err := a.store.refreshForUpdate(ctx, token.HashSecret(refresh))
		if err != nil {
			return err
		}
		if !found || row.RevokedAt != nil || !now.Before(row.ExpiresAt) {
			return ErrInvalidRefreshToken
		}
		user, err := a.svc.store.user(ctx, row.UserID)
		if err != nil {
			return err
		}
		if row.UsedAt != nil {
			reused = true
			if err := a.store.revokeFamily(ctx, row.FamilyID, now); err != nil {
				return err
			}
			a.actors.userChanged(ctx, row.UserID)
			return a.record(ctx, user, "session.reuse_detected", "session", row.FamilyID.String(), nil,
				map[string]any{"family_id": row.FamilyID, "ip": row.IP, "user_agent": row.UserAgent})
		}
		if UserStatus(user.Status) != StatusActive {
			return ErrInvalidRefreshToken
		}
		if err := a.store.markRefreshUsed(ctx, row.ID, now); err != nil {
			return err
		}
		next, err := a.newRefresh(ctx, row.UserID, row.FamilyID, now, row.UserAgent, row.IP)
		if err != nil {
			return err
		}
		tokens, err = a.tokens(row.UserID, row.FamilyID, next)
		return err
	})
	if errors.Is(err, ErrUserNotFound) || (err == nil && reused) {
		return Tokens{}, ErrInvalidRefreshToken
	}
	return tokens, err
}

// Logout ends the session a refresh token belongs to. An unknown token is no
// error: the session it would name is over either way.
func (a *Auth) Logout(ctx context.Context, refresh string) error {
	if prefix, _, ok := token.SplitPrefix(refresh); !ok || prefix != token.PrefixRefresh {
		return nil
	}
	return a.db.WithTx(ctx, func(ctx context.Context) error {
		row, found, err := a.store.refreshForUpdate(ctx, token.HashSecret(refresh))
		if err != nil || !found {
			return err
		}
		a.actors.userChanged(ctx, row.UserID)
		return a.store.revokeFamily(ctx, row.FamilyID, a.now())
	})
}

// LogoutEverywhere ends every session of the caller, on every device. Access
// tokens already issued stop working at once; personal API tokens are
// managed separately and keep working.
func (a *Auth) LogoutEverywhere(ctx context.Context) error {
	actor, err := requireSession(ctx)
	if err != nil {
		return err
	}
	return a.db.WithTx(ctx, func(ctx context.Context) error {
		user, err := a.svc.store.user(ctx, actor.UserID)
		if err != nil {
			return err
		}
		if err := a.store.revokeFamiliesOf(ctx, actor.UserID, uuid.Nil, a.now()); err != nil {
			return err
		}
		a.actors.userChanged(ctx, actor.UserID)
		return a.record(ctx, user, "session.logout_everywhere", "user", user.ID.String(), nil, nil)
	})
}

// --- authenticating requests ---

type sessionKey struct{}

// withSession returns ctx carrying the session a request was authenticated
// with; uuid.Nil (an API token) carries none.
func withSession(ctx context.Context, session uuid.UUID) context.Context {
	if session == uuid.Nil {
		return ctx
	}
	return context.WithValue(ctx, sessionKey{}, session)
}

// sessionFrom returns the session (refresh-token family) of the request, or
// uuid.Nil for a request made with an API token.
func sessionFrom(ctx context.Context) uuid.UUID {
	id, _ := ctx.Value(sessionKey{}).(uuid.UUID)
	return id
}

// Authenticate turns a bearer credential into the caller: a personal API
// token (narrowed to its scopes) or an access token whose session is still
// signed in. Every failure is a 401.
func (a *Auth) Authenticate(ctx context.Context, bearer string) (*authz.Actor, error) {
	actor, _, err := a.authenticate(ctx, bearer)
	return actor, err
}

func (a *Auth) authenticate(ctx context.Context, bearer string) (*authz.Actor, uuid.UUID, error) {
	actor, session, _, err := a.authenticateRequest(ctx, bearer)
	return actor, session, err
}

// authenticateRequest is authenticate that also returns the signed-in user
// as it loaded them (nil for an API token), for /me to answer from.
func (a *Auth) authenticateRequest(ctx context.Context, bearer string) (*authz.Actor, uuid.UUID, *principal, error) {
	if strings.HasPrefix(bearer, token.PrefixAPIToken) {
		actor, err := a.authenticateAPIToken(ctx, bearer)
		return actor, uuid.Nil, nil, err
	}
	e, err := a.authenticateSession(ctx, bearer)
	if err != nil {
		return nil, uuid.Nil, nil, err
	}
	return e.actorOf(), e.session, e.principal, nil
}

func (a *Auth) authenticateAPIToken(ctx context.Context, plain string) (*authz.Actor, error) {
	if prefix, _, ok := token.SplitPrefix(plain); !ok || prefix != token.PrefixAPIToken {
		return nil, token.ErrInvalidToken
	}
	row, found, err := a.store.apiTokenByHash(ctx, token.HashSecret(plain))
	if err != nil {
		return nil, err
	}
	now := a.now()
	if !found || row.RevokedAt != nil || !now.Before(row.ExpiresAt) {
		return nil, token.ErrInvalidToken
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= apiTokenTouchGap {
		if err := a.store.touchAPIToken(ctx, row.ID, now, apiTokenTouchGap); err != nil {
			return nil, err
		}
	}
	actor, err := a.svc.Actor(ctx, row.UserID)
	if err != nil {
		return nil, err
	}
	actor.Scopes = make([]authz.Permission, 0, len(row.Scopes))
	for _, s := range row.Scopes {
		actor.Scopes = append(actor.Scopes, authz.Permission(s))
	}
	return actor, nil
}

// requireSession returns the caller when they signed in with a password. A
// personal API token may act within its scopes but not manage the account:
// it cannot mint tokens, change the password or end sessions.
func requireSession(ctx context.Context) (*authz.Actor, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if actor.Scopes != nil {
		return nil, ErrSessionRequired
	}
	return actor, nil
}

// sessionUser is the user of a caller signed in with a session (see
// requireSession).
func (a *Auth) sessionUser(ctx context.Context) (userRow, error) {
	actor, err := requireSession(ctx)
	if err != nil {
		return userRow{}, err
	}
	return a.svc.store.user(ctx, actor.UserID)
}

// --- helpers ---

// record writes an audit entry about a user's account, filed under the
// user's home organisation.
func (a *Auth) record(ctx context.Context, user userRow, action, entityType, entityID string, before, after any) error {
	if a.svc.audit == nil {
		return nil
	}
	return a.svc.audit.Record(ctx, authz.UserRead, audit.Change{Action: action, EntityType: entityType,
		EntityID: entityID, OrgID: user.OrgID, OrgPath: user.OrgPath, Before: before, After: after})
}

// truncateBytes cuts s to at most n bytes without splitting a character.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
