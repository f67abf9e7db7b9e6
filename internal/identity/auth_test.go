package identity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/identity/password"
	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/mail"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/platform/web"
)

// cheapParams make password hashes in microseconds instead of the 85 ms of
// the production parameters.
var cheapParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// The passwords of the seeded users: they pass the policy.
const (
	goodPassword  = "Kopi-Tubruk-2024!"
	otherPassword = "Rendang&Sate#Padang9"
)

// authFixture is an Auth over a database and Redis namespace of its own,
// with one root organisation to put people in.
type authFixture struct {
	auth  *Auth
	svc   *Service
	db    *database.DB
	rdb   redis.UniversalClient
	org   Organization
	nips  int
	clock time.Time // zero: the real clock
	mu    sync.Mutex
}

func newTestAuth(t testing.TB, cfg AuthConfig) *authFixture {
	t.Helper()
	db := database.NewTestDB(t)
	rdb, _ := queue.NewTestRedis(t)
	svc := NewService(db, nil)
	svc.audit = audit.NewService(db, svc)
	keys, err := token.GenerateKeySet()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	cfg.KeyPrefix = "test-auth-" + hex.EncodeToString(b) + ":"
	cfg.PublicURL = "https://corpu.test/"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, cfg.KeyPrefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	f := &authFixture{svc: svc, db: db, rdb: rdb}
	f.auth = NewAuth(db, svc, token.NewIssuer(keys, "corpu-test", 15*time.Minute, nil), keys, queue.NewOutbox(db), rdb, cfg)
	f.auth.params = cheapParams
	f.auth.now = f.now

	id := uuid.Must(uuid.NewV7())
	f.org = Organization{ID: id, Path: PathOf("", id), Kind: KindMinistry, Code: "KEMENPAN", Name: "Kementerian PANRB",
		Active: true, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := svc.store.createOrg(context.Background(), f.org); err != nil {
		t.Fatalf("createOrg: %v", err)
	}
	return f
}

func (f *authFixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.clock.IsZero() {
		return time.Now().UTC()
	}
	return f.clock
}

// advance moves the fixture's clock d past the real one.
func (f *authFixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = time.Now().UTC().Add(d)
}

// addUser seeds a user with an e-mail, a NIP and a password ("" for none),
// holding roles on the fixture's organisation.
func (f *authFixture) addUser(t testing.TB, email, plain string, status UserStatus, roles ...authz.Role) userRow {
	t.Helper()
	ctx := context.Background()
	f.mu.Lock()
	f.nips++
	nip := fmt.Sprintf("19850330201001%04d", f.nips)
	f.mu.Unlock()
	now := time.Now().UTC()
	row := toUserRow(User{ID: uuid.Must(uuid.NewV7()), NIP: nip, Name: "Budi Santoso", Email: email, OrgID: f.org.ID,
		Status: status, CreatedAt: now, UpdatedAt: now})
	if plain != "" {
		hash, err := password.HashWith(plain, cheapParams)
		if err != nil {
			t.Fatal(err)
		}
		row.PasswordHash = &hash
	}
	if err := f.svc.store.createUser(ctx, row); err != nil {
		t.Fatalf("createUser: %v", err)
	}
	for _, r := range roles {
		g := RoleGrant{ID: uuid.Must(uuid.NewV7()), UserID: row.ID, Role: r, OrgID: f.org.ID, CreatedAt: now}
		if err := f.svc.store.createGrant(ctx, g); err != nil {
			t.Fatalf("createGrant: %v", err)
		}
	}
	u, err := f.svc.store.user(ctx, row.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn logs in and returns the tokens and a context authenticated with
// the access token, as the middleware would make it.
func (f *authFixture) signIn(t testing.TB, login, plain string) (Tokens, context.Context) {
	t.Helper()
	tokens, err := f.auth.Login(context.Background(), login, plain, "test-agent", "10.0.0.1")
	if err != nil {
		t.Fatalf("Login(%s) = %v, want nil", login, err)
	}
	return tokens, f.authenticated(t, tokens.AccessToken)
}

func (f *authFixture) authenticated(t testing.TB, bearer string) context.Context {
	t.Helper()
	actor, session, err := f.auth.authenticate(context.Background(), bearer)
	if err != nil {
		t.Fatalf("Authenticate() = %v, want nil", err)
	}
	return withSession(authz.WithActor(context.Background(), actor), session)
}

// mails returns the send-mail jobs in the outbox.
func (f *authFixture) mails(t testing.TB) []SendMailPayload {
	t.Helper()
	var rows []struct {
		TaskType string
		Payload  []byte
	}
	if err := f.db.Conn(context.Background()).Raw("SELECT task_type, payload FROM outbox WHERE task_type = ? ORDER BY created_at, id", TypeSendMail).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var out []SendMailPayload
	for _, r := range rows {
		if r.TaskType != TypeSendMail {
			t.Fatalf("outbox task type = %q, want %q", r.TaskType, TypeSendMail)
		}
		var p SendMailPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

var linkToken = regexp.MustCompile(`https://corpu\.test/[a-z-]+\?token=(\S+)`)

// linkIn returns the token of the link in a mail.
func linkIn(t testing.TB, m SendMailPayload) string {
	t.Helper()
	match := linkToken.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("mail text %q has no link", m.Text)
	}
	plain, err := url.QueryUnescape(match[1])
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func authCodeOf(err error) string {
	if err == nil {
		return "<nil>"
	}
	return apperr.As(err).Code
}

func wantAuthCode(t testing.TB, call string, err error, want *apperr.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v (%s), want %s", call, err, authCodeOf(err), want.Code)
	}
}

func (f *authFixture) userRow(t testing.TB, id uuid.UUID) userRow {
	t.Helper()
	u, err := f.svc.store.user(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *authFixture) auditActions(t testing.TB) []string {
	t.Helper()
	var actions []string
	if err := f.db.Conn(context.Background()).Raw("SELECT action FROM audit_log ORDER BY id").Scan(&actions).Error; err != nil {
		t.Fatal(err)
	}
	return actions
}

// --- sign-in ---

func TestLoginSucceedsWithEmailOrNIP(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive, authz.RoleLearner)
	tests := []struct{ name, login string }{
		{"e-mail", "budi@menpan.go.id"},
		{"e-mail in another case with spaces", "  Budi@MenPAN.go.id "},
		{"NIP", database.EmptyIfNull(u.NIP)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens, err := f.auth.Login(context.Background(), tt.login, goodPassword, "test-agent", "10.0.0.1")
			if err != nil {
				t.Fatalf("Login(%q) = %v, want nil", tt.login, err)
			}
			if tokens.TokenType != "Bearer" || tokens.ExpiresIn < 890 || tokens.ExpiresIn > 900 ||
				!strings.HasPrefix(tokens.RefreshToken, token.PrefixRefresh) || tokens.AccessToken == "" {
				t.Errorf("Login(%q) = %+v, want a Bearer access token for 900 s and a refresh token", tt.login, tokens)
			}
			actor, err := f.auth.Authenticate(context.Background(), tokens.AccessToken)
			if err != nil || actor.UserID != u.ID || actor.Scopes != nil {
				t.Errorf("Authenticate(access token) = %+v, %v; want user %s unscoped", actor, err, u.ID)
			}
		})
	}
}

func TestFailedLoginsAllGiveTheSameAnswer(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	active := f.addUser(t, "active@menpan.go.id", goodPassword, StatusActive)
	f.addUser(t, "suspended@menpan.go.id", goodPassword, StatusSuspended)
	f.addUser(t, "retired@menpan.go.id", goodPassword, StatusRetired)
	f.addUser(t, "nopassword@menpan.go.id", "", StatusActive)
	locked := f.addUser(t, "locked@menpan.go.id", goodPassword, StatusActive)
	until := time.Now().Add(time.Hour)
	if err := f.auth.store.updateUserAuth(context.Background(), locked.ID, map[string]any{"failed_logins": 5, "locked_until": until}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, login, password string }{
		{"wrong password", "active@menpan.go.id", "Salah-Sekali-123"},
		{"unknown login", "nobody@menpan.go.id", goodPassword},
		{"unknown NIP", "199001012015031001", goodPassword},
		{"suspended user", "suspended@menpan.go.id", goodPassword},
		{"retired user", "retired@menpan.go.id", goodPassword},
		{"user without a password", "nopassword@menpan.go.id", ""},
		{"locked account with the right password", "locked@menpan.go.id", goodPassword},
		{"oversized password", "active@menpan.go.id", strings.Repeat("a", maxPasswordBytes+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.auth.Login(context.Background(), tt.login, tt.password, "test-agent", "10.0.0.2")
			e := apperr.As(err)
			if e.Code != ErrBadLogin.Code || e.Kind != apperr.KindUnauthorized || e.Message != ErrBadLogin.Message || e.RetryAfter != 0 {
				t.Errorf("Login(%q) = %+v, want exactly ErrBadLogin without Retry-After", tt.login, e)
			}
		})
	}
	if got := f.userRow(t, active.ID).FailedLogins; got != 2 {
		t.Errorf("failed_logins of the active user = %d, want 2 (wrong and oversized password)", got)
	}
}

func TestFailuresSlowSignInWithADoublingDelayThatIsBounded(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	ctx := context.Background()
	for i := range 5 {
		if _, err := f.auth.Login(ctx, u.Email, fmt.Sprintf("Wrong-Guess-%d!", i), "", fmt.Sprintf("10.0.1.%d", i)); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("Login(wrong #%d) = %v, want ErrBadLogin", i+1, err)
		}
	}
	row := f.userRow(t, u.ID)
	if row.FailedLogins != 5 || row.LockedUntil == nil || time.Until(*row.LockedUntil) > 2*time.Second {
		t.Fatalf("after 5 failures: failed_logins %d, locked_until %v; want 5 and about a second ahead", row.FailedLogins, row.LockedUntil)
	}
	// Inside the delay even the right password from a new address is
	// refused, unchecked and uncounted: a guesser gains nothing by trying.
	_, err := f.auth.Login(ctx, u.Email, goodPassword, "", "10.0.1.9")
	wantAuthCode(t, "Login(right password inside the delay)", err, ErrBadLogin)
	_, err = f.auth.Login(ctx, u.Email, "Wrong-Again-1!", "", "10.0.1.9")
	wantAuthCode(t, "Login(wrong password inside the delay)", err, ErrBadLogin)
	if got := f.userRow(t, u.ID).FailedLogins; got != 5 {
		t.Errorf("failed_logins after attempts inside the delay = %d, want 5", got)
	}

	// Each further failure doubles the delay, never past LockDuration.
	if err := f.auth.store.updateUserAuth(ctx, u.ID, map[string]any{"failed_logins": 40, "locked_until": nil}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.Login(ctx, u.Email, "Wrong-Guess-41!", "", "10.0.1.9"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("Login(wrong #41) = %v", err)
	}
	row = f.userRow(t, u.ID)
	if row.LockedUntil == nil || time.Until(*row.LockedUntil) > 15*time.Minute || time.Until(*row.LockedUntil) < 14*time.Minute {
		t.Fatalf("after 41 failures: locked_until %v, want 15 minutes ahead at most", row.LockedUntil)
	}
	f.advance(16 * time.Minute)
	if _, err := f.auth.Login(ctx, u.Email, goodPassword, "", "10.0.1.9"); err != nil {
		t.Fatalf("Login(right password after the delay) = %v, want nil", err)
	}
	row = f.userRow(t, u.ID)
	if row.FailedLogins != 0 || row.LockedUntil != nil {
		t.Errorf("after a sign-in: failed_logins %d, locked_until %v; want 0 and none", row.FailedLogins, row.LockedUntil)
	}
}

func TestOthersFailuresDoNotStopTheOwnerWhereTheySignedInBefore(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	ctx := context.Background()
	f.signIn(t, u.Email, goodPassword) // from 10.0.0.1: the owner's address
	// An attacker fails over and over from five addresses.
	for i := range 15 {
		if _, err := f.auth.Login(ctx, u.Email, fmt.Sprintf("Wrong-Guess-%d!", i), "", fmt.Sprintf("10.6.0.%d", i%5)); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("Login(attacker #%d) = %v, want ErrBadLogin", i+1, err)
		}
	}
	if row := f.userRow(t, u.ID); row.LockedUntil == nil || !row.LockedUntil.After(time.Now()) {
		t.Fatalf("locked_until = %v, want the account slowed", row.LockedUntil)
	}
	if _, err := f.auth.Login(ctx, u.Email, goodPassword, "test-agent", "10.0.0.1"); err != nil {
		t.Errorf("Login(owner, right password, known address) = %v, want nil", err)
	}
	if _, err := f.auth.Login(ctx, u.Email, "Wrong-Guess-99!", "", "10.6.0.1"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("Login(attacker after the owner) = %v", err)
	}
	for i := range 5 {
		_, _ = f.auth.Login(ctx, u.Email, fmt.Sprintf("Wrong-Again-%d!", i), "", "10.6.0.2")
	}
	// An address the owner never signed in from waits out the delay.
	_, err := f.auth.Login(ctx, u.Email, goodPassword, "", "10.7.7.7")
	wantAuthCode(t, "Login(right password, unknown address, slowed account)", err, ErrBadLogin)
}

func TestTooManyFailuresFromOneAddressAreRateLimited(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{IPLimit: 3, IPWindow: time.Minute})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	ctx := context.Background()
	for i := range 3 {
		if _, err := f.auth.Login(ctx, fmt.Sprintf("guess%d@menpan.go.id", i), "Whatever-123!", "", "10.9.9.9"); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("Login(unknown #%d) = %v, want ErrBadLogin", i+1, err)
		}
	}
	_, err := f.auth.Login(ctx, u.Email, goodPassword, "", "10.9.9.9")
	e := apperr.As(err)
	if e.Kind != apperr.KindRateLimited || e.Code != ErrTooManyAttempts.Code || e.RetryAfter <= 0 || e.RetryAfter > 60 {
		t.Errorf("Login(4th attempt from the address) = %+v, want 429 with Retry-After in (0, 60]", e)
	}
	if _, err := f.auth.Login(ctx, u.Email, goodPassword, "", "10.9.9.10"); err != nil {
		t.Errorf("Login(from another address) = %v, want nil", err)
	}
}

func TestLoginUpgradesAHashMadeWithWeakerParameters(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	f.auth.params = password.DefaultParams
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	f.signIn(t, u.Email, goodPassword)
	hash := database.EmptyIfNull(f.userRow(t, u.ID).PasswordHash)
	if password.NeedsRehash(hash) {
		t.Errorf("stored hash after sign-in = %s, want one made with DefaultParams", hash)
	}
	if ok, err := password.Verify(goodPassword, hash); !ok || err != nil {
		t.Errorf("Verify(password, upgraded hash) = %v, %v; want true", ok, err)
	}
}

// --- sessions ---

func TestRefreshRotatesAndReuseRevokesTheSession(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	ctx := context.Background()
	first, _ := f.signIn(t, u.Email, goodPassword)

	second, err := f.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh(first) = %v, want nil", err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
		t.Fatalf("Refresh(first) = %+v, want a new refresh token", second)
	}
	if _, err := f.auth.Authenticate(ctx, second.AccessToken); err != nil {
		t.Fatalf("Authenticate(refreshed access token) = %v, want nil", err)
	}

	// The first token was used: presenting it again means it was stolen.
	_, err = f.auth.Refresh(ctx, first.RefreshToken)
	wantAuthCode(t, "Refresh(used token)", err, ErrInvalidRefreshToken)
	_, err = f.auth.Refresh(ctx, second.RefreshToken)
	wantAuthCode(t, "Refresh(newest token after reuse)", err, ErrInvalidRefreshToken)
	_, err = f.auth.Authenticate(ctx, second.AccessToken)
	wantAuthCode(t, "Authenticate(access token of the revoked session)", err, token.ErrInvalidToken)
	if actions := f.auditActions(t); !slices.Contains(actions, "session.reuse_detected") {
		t.Errorf("audit actions = %v, want session.reuse_detected", actions)
	}
}

func TestRefreshRefusesBadTokens(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	tokens, _ := f.signIn(t, u.Email, goodPassword)
	unknown, _ := token.NewSecret(token.PrefixRefresh)
	apiLike, _ := token.NewSecret(token.PrefixAPIToken)
	for name, refresh := range map[string]string{"empty": "", "garbage": "crt_nope", "unknown": unknown, "wrong kind": apiLike} {
		_, err := f.auth.Refresh(context.Background(), refresh)
		wantAuthCode(t, "Refresh("+name+")", err, ErrInvalidRefreshToken)
	}

	f.advance(31 * 24 * time.Hour)
	_, err := f.auth.Refresh(context.Background(), tokens.RefreshToken)
	wantAuthCode(t, "Refresh(expired)", err, ErrInvalidRefreshToken)
}

func TestRefreshStopsWorkingForASuspendedUser(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	tokens, _ := f.signIn(t, u.Email, goodPassword)
	if err := f.svc.store.updateUser(context.Background(), u.ID, map[string]any{"status": string(StatusSuspended)}); err != nil {
		t.Fatal(err)
	}
	_, err := f.auth.Refresh(context.Background(), tokens.RefreshToken)
	wantAuthCode(t, "Refresh(suspended user)", err, ErrInvalidRefreshToken)
	_, err = f.auth.Authenticate(context.Background(), tokens.AccessToken)
	wantAuthCode(t, "Authenticate(suspended user)", err, authz.ErrUnauthenticated)
}

func TestLogoutEndsOnlyThatSession(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	ctx := context.Background()
	laptop, _ := f.signIn(t, u.Email, goodPassword)
	phone, _ := f.signIn(t, u.Email, goodPassword)

	if err := f.auth.Logout(ctx, laptop.RefreshToken); err != nil {
		t.Fatalf("Logout() = %v, want nil", err)
	}
	_, err := f.auth.Authenticate(ctx, laptop.AccessToken)
	wantAuthCode(t, "Authenticate(access token after logout)", err, token.ErrInvalidToken)
	_, err = f.auth.Refresh(ctx, laptop.RefreshToken)
	wantAuthCode(t, "Refresh(after logout)", err, ErrInvalidRefreshToken)
	if _, err := f.auth.Authenticate(ctx, phone.AccessToken); err != nil {
		t.Errorf("Authenticate(other session) = %v, want nil", err)
	}
	unknown, _ := token.NewSecret(token.PrefixRefresh)
	if err := f.auth.Logout(ctx, unknown); err != nil {
		t.Errorf("Logout(unknown token) = %v, want nil", err)
	}
}

func TestLogoutEverywhereEndsEverySessionButNotAPITokens(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive, authz.RoleOrgAdmin)
	laptop, ctx := f.signIn(t, u.Email, goodPassword)
	phone, _ := f.signIn(t, u.Email, goodPassword)
	apiToken, _, err := f.auth.CreateAPIToken(ctx, "HR sync", []authz.Permission{authz.UserRead}, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	if err := f.auth.LogoutEverywhere(ctx); err != nil {
		t.Fatalf("LogoutEverywhere() = %v, want nil", err)
	}
	for name, access := range map[string]string{"laptop": laptop.AccessToken, "phone": phone.AccessToken} {
		_, err := f.auth.Authenticate(context.Background(), access)
		wantAuthCode(t, "Authenticate("+name+" after logout everywhere)", err, token.ErrInvalidToken)
	}
	if _, err := f.auth.Authenticate(context.Background(), apiToken); err != nil {
		t.Errorf("Authenticate(api token after logout everywhere) = %v, want nil", err)
	}
	if actions := f.auditActions(t); !slices.Contains(actions, "session.logout_everywhere") {
		t.Errorf("audit actions = %v, want session.logout_everywhere", actions)
	}
}

func TestAuthenticateRefusesForgedAndUnknownCredentials(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	otherKeys, _ := token.GenerateKeySet()
	forged, _, _ := token.NewIssuer(otherKeys, "corpu-test", time.Minute, nil).Issue(u.ID, uuid.Must(uuid.NewV7()))
	unknownSession, _, _ := f.auth.issuer.Issue(u.ID, uuid.Must(uuid.NewV7()))
	noSession, _, _ := f.auth.issuer.Issue(u.ID, uuid.Nil)
	unknownAPI, _ := token.NewSecret(token.PrefixAPIToken)
	for name, bearer := range map[string]string{
		"garbage": "not-a-token", "signed by another key": forged, "unknown session": unknownSession,
		"no session": noSession, "unknown api token": unknownAPI, "malformed api token": "cpat_short",
	} {
		_, err := f.auth.Authenticate(context.Background(), bearer)
		wantAuthCode(t, "Authenticate("+name+")", err, token.ErrInvalidToken)
	}
}

// --- personal API tokens ---

func TestAPITokenActsOnlyWithinItsScopes(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "admin@menpan.go.id", goodPassword, StatusActive, authz.RoleOrgAdmin)
	_, ctx := f.signIn(t, u.Email, goodPassword)
	expires := time.Now().Add(30 * 24 * time.Hour)
	plain, created, err := f.auth.CreateAPIToken(ctx, " HR sync ", []authz.Permission{authz.UserRead, authz.OrgRead, authz.UserRead}, expires)
	if err != nil {
		t.Fatalf("CreateAPIToken() = %v, want nil", err)
	}
	if !strings.HasPrefix(plain, token.PrefixAPIToken) || created.Name != "HR sync" ||
		!slices.Equal(created.Scopes, []authz.Permission{authz.OrgRead, authz.UserRead}) || !created.ExpiresAt.Equal(expires.UTC().Truncate(time.Second)) {
		t.Errorf("CreateAPIToken() = %q, %+v; want a cpat_ token named HR sync with scopes org.read, user.read", plain, created)
	}

	actor, err := f.auth.Authenticate(context.Background(), plain)
	if err != nil {
		t.Fatalf("Authenticate(api token) = %v, want nil", err)
	}
	if !actor.Can(authz.UserRead, f.org.Path) || actor.Can(authz.UserManage, f.org.Path) || actor.IsPlatformAdmin() {
		t.Errorf("api token actor: user.read %v, user.manage %v; want only its scopes", actor.Can(authz.UserRead, f.org.Path), actor.Can(authz.UserManage, f.org.Path))
	}
	listed, err := f.auth.ListAPITokens(ctx)
	if err != nil || len(listed) != 1 || listed[0].ID != created.ID || listed[0].LastUsedAt == nil {
		t.Errorf("ListAPITokens() = %+v, %v; want the one token, used", listed, err)
	}

	// An API token may not manage the account it belongs to.
	tokenCtx := authz.WithActor(context.Background(), actor)
	_, _, err = f.auth.CreateAPIToken(tokenCtx, "child", []authz.Permission{authz.UserRead}, expires)
	wantAuthCode(t, "CreateAPIToken(as an api token)", err, ErrSessionRequired)
	wantAuthCode(t, "ChangePassword(as an api token)", f.auth.ChangePassword(tokenCtx, goodPassword, otherPassword), ErrSessionRequired)

	if err := f.auth.RevokeAPIToken(ctx, created.ID); err != nil {
		t.Fatalf("RevokeAPIToken() = %v, want nil", err)
	}
	_, err = f.auth.Authenticate(context.Background(), plain)
	wantAuthCode(t, "Authenticate(revoked api token)", err, token.ErrInvalidToken)
	wantAuthCode(t, "RevokeAPIToken(again)", f.auth.RevokeAPIToken(ctx, created.ID), ErrAPITokenNotFound)
	actions := f.auditActions(t)
	if !slices.Contains(actions, "api_token.create") || !slices.Contains(actions, "api_token.revoke") {
		t.Errorf("audit actions = %v, want api_token.create and api_token.revoke", actions)
	}
}

func TestExpiredAPITokenIsRefused(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "admin@menpan.go.id", goodPassword, StatusActive, authz.RoleOrgAdmin)
	_, ctx := f.signIn(t, u.Email, goodPassword)
	plain, _, err := f.auth.CreateAPIToken(ctx, "HR sync", []authz.Permission{authz.UserRead}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Hour)
	_, err = f.auth.Authenticate(context.Background(), plain)
	wantAuthCode(t, "Authenticate(expired api token)", err, token.ErrInvalidToken)
}

func TestSomeoneElsesAPITokenIsNotFound(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	owner := f.addUser(t, "owner@menpan.go.id", goodPassword, StatusActive, authz.RoleOrgAdmin)
	other := f.addUser(t, "other@menpan.go.id", goodPassword, StatusActive, authz.RoleOrgAdmin)
	_, ownerCtx := f.signIn(t, owner.Email, goodPassword)
	_, otherCtx := f.signIn(t, other.Email, goodPassword)
	plain, created, err := f.auth.CreateAPIToken(ownerCtx, "HR sync", []authz.Permission{authz.UserRead}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantAuthCode(t, "RevokeAPIToken(someone else's)", f.auth.RevokeAPIToken(otherCtx, created.ID), ErrAPITokenNotFound)
	if listed, _ := f.auth.ListAPITokens(otherCtx); len(listed) != 0 {
		t.Errorf("ListAPITokens(other user) = %+v, want none", listed)
	}
	if _, err := f.auth.Authenticate(context.Background(), plain); err != nil {
		t.Errorf("Authenticate(token after someone else tried to revoke it) = %v, want nil", err)
	}
}

func TestCreateAPITokenRefusesBadRequests(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "learner@menpan.go.id", goodPassword, StatusActive, authz.RoleLearner)
	_, ctx := f.signIn(t, u.Email, goodPassword)
	now := time.Now()
	tests := []struct {
		name      string
		tokenName string
		scopes    []authz.Permission
		expiresAt time.Time
		wantField string
	}{
		{"scope not held", "x", []authz.Permission{authz.UserManage}, now.Add(time.Hour), "scopes[0]"},
		{"unknown permission", "x", []authz.Permission{authz.OrgRead, "root.everything"}, now.Add(time.Hour), "scopes[1]"},
		{"no scopes", "x", nil, now.Add(time.Hour), "scopes"},
		{"no name", "  ", []authz.Permission{authz.OrgRead}, now.Add(time.Hour), "name"},
		{"no expiry", "x", []authz.Permission{authz.OrgRead}, time.Time{}, "expires_at"},
		{"expiry in the past", "x", []authz.Permission{authz.OrgRead}, now.Add(-time.Minute), "expires_at"},
		{"expiry beyond a year", "x", []authz.Permission{authz.OrgRead}, now.AddDate(1, 0, 2), "expires_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.auth.CreateAPIToken(ctx, tt.tokenName, tt.scopes, tt.expiresAt)
			e := apperr.As(err)
			if e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.wantField {
				t.Errorf("CreateAPIToken(%s) = %v (fields %+v), want 422 on %s", tt.name, err, e.Fields, tt.wantField)
			}
		})
	}
	if listed, _ := f.auth.ListAPITokens(ctx); len(listed) != 0 {
		t.Errorf("ListAPITokens() after refusals = %+v, want none", listed)
	}
}

// --- e-mail verification ---

func TestVerificationLinkWorksOnce(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	_, ctx := f.signIn(t, u.Email, goodPassword)
	if err := f.auth.RequestVerification(ctx, "en"); err != nil {
		t.Fatalf("RequestVerification() = %v, want nil", err)
	}
	mails := f.mails(t)
	if len(mails) != 1 || mails[0].To != u.Email || mails[0].Subject != "Verify your Corpu e-mail address" ||
		!strings.Contains(mails[0].Text, "https://corpu.test/verify-email?token=cev_") || !strings.Contains(mails[0].Text, "48 hours") {
		t.Fatalf("outbox mails = %+v, want one English verification mail to %s", mails, u.Email)
	}
	plain := linkIn(t, mails[0])

	if err := f.auth.VerifyEmail(context.Background(), plain); err != nil {
		t.Fatalf("VerifyEmail() = %v, want nil", err)
	}
	if f.userRow(t, u.ID).EmailVerifiedAt == nil {
		t.Error("email_verified_at after VerifyEmail = nil, want set")
	}
	err := f.auth.VerifyEmail(context.Background(), plain)
	wantAuthCode(t, "VerifyEmail(second use)", err, ErrInvalidLinkToken)
	if apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("VerifyEmail(second use) kind = %v, want 422", apperr.KindOf(err))
	}
	wantAuthCode(t, "RequestVerification(verified)", f.auth.RequestVerification(ctx, "id"), ErrEmailAlreadyVerified)
}

func TestOnlyTheLatestVerificationLinkWorks(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	_, ctx := f.signIn(t, u.Email, goodPassword)
	for range 2 {
		if err := f.auth.RequestVerification(ctx, "id"); err != nil {
			t.Fatal(err)
		}
	}
	mails := f.mails(t)
	if len(mails) != 2 || mails[0].Subject != "Verifikasi alamat e-mail Corpu Anda" || !strings.Contains(mails[0].Text, "48 jam") {
		t.Fatalf("outbox mails = %+v, want two Indonesian verification mails", mails)
	}
	wantAuthCode(t, "VerifyEmail(older link)", f.auth.VerifyEmail(context.Background(), linkIn(t, mails[0])), ErrInvalidLinkToken)
	if err := f.auth.VerifyEmail(context.Background(), linkIn(t, mails[1])); err != nil {
		t.Errorf("VerifyEmail(latest link) = %v, want nil", err)
	}
}

func TestAVerificationLinkStopsWorkingWhenTheAddressChanges(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	_, ctx := f.signIn(t, u.Email, goodPassword)
	if err := f.auth.RequestVerification(ctx, "id"); err != nil {
		t.Fatal(err)
	}
	admin := f.addUser(t, "admin@menpan.go.id", goodPassword, StatusActive, authz.RoleOrgAdmin)
	adminActor, err := f.svc.Actor(context.Background(), admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	changed := UserInput{Name: u.Name, Email: "budi.baru@menpan.go.id", OrgID: u.OrgID}
	if _, err := f.svc.UpdateUser(authz.WithActor(context.Background(), adminActor), u.ID, changed); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	wantAuthCode(t, "VerifyEmail(link to the old address)", f.auth.VerifyEmail(context.Background(), linkIn(t, f.mails(t)[0])), ErrInvalidLinkToken)
	if f.userRow(t, u.ID).EmailVerifiedAt != nil {
		t.Error("email_verified_at after the address changed is set, want nil")
	}
}

// --- password reset ---

func TestResetRequestRevealsNothingAboutAccounts(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	f.addUser(t, "suspended@menpan.go.id", goodPassword, StatusSuspended)
	for _, login := range []string{"nobody@menpan.go.id", "199001012015031001", "suspended@menpan.go.id", ""} {
		if err := f.auth.RequestReset(context.Background(), login, "id"); err != nil {
			t.Errorf("RequestReset(%q) = %v, want nil", login, err)
		}
	}
	if mails := f.mails(t); len(mails) != 0 {
		t.Errorf("outbox mails = %+v, want none", mails)
	}
}

func TestResetMailsAreThrottledPerAccount(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	other := f.addUser(t, "siti@menpan.go.id", goodPassword, StatusActive)
	for _, login := range []string{u.Email, database.EmptyIfNull(u.NIP), u.Email, other.Email} {
		if err := f.auth.RequestReset(context.Background(), login, "en"); err != nil {
			t.Fatalf("RequestReset(%q) = %v, want nil", login, err)
		}
	}
	mails := f.mails(t)
	if len(mails) != 2 || mails[0].To != u.Email || mails[1].To != other.Email || mails[0].Subject != "Reset your Corpu password" {
		t.Errorf("outbox mails = %+v, want one English reset mail for each account", mails)
	}
}

func TestResetAnswersAlikeAndMailsLaterWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	a := NewAuth(f.db, f.svc, f.auth.issuer, f.auth.keys, queue.NewOutbox(f.db), down, f.auth.cfg)
	a.params, a.now = cheapParams, f.now
	for _, login := range []string{u.Email, "nobody@menpan.go.id", u.Email} {
		if err := a.RequestReset(context.Background(), login, "id"); err != nil {
			t.Errorf("RequestReset(%q) with Redis down = %v, want nil (202) for every login", login, err)
		}
	}
	mails := f.mails(t)
	if len(mails) != 1 || mails[0].To != u.Email {
		t.Fatalf("outbox mails = %+v, want one reset mail to %s, waiting for Redis", mails, u.Email)
	}
	if err := a.ResetPassword(context.Background(), linkIn(t, mails[0]), otherPassword); err != nil {
		t.Errorf("ResetPassword(link from the outbox) = %v, want nil", err)
	}
}

func TestChangingTheAddressVoidsEveryLinkMailedToTheOldOne(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	admin := f.addUser(t, "admin@menpan.go.id", goodPassword, StatusActive, authz.RoleOrgAdmin)
	actor, err := f.svc.Actor(context.Background(), admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.auth.RequestReset(context.Background(), u.Email, "id"); err != nil {
		t.Fatal(err)
	}
	plain := linkIn(t, f.mails(t)[0])
	in := UserInput{Name: u.Name, Email: "budi.baru@menpan.go.id", OrgID: u.OrgID}
	if _, err := f.svc.UpdateUser(authz.WithActor(context.Background(), actor), u.ID, in); err != nil {
		t.Fatalf("UpdateUser(new address) = %v %+v", err, apperr.As(err).Fields)
	}
	wantAuthCode(t, "ResetPassword(link mailed to the old address)", f.auth.ResetPassword(context.Background(), plain, otherPassword), ErrInvalidLinkToken)
}

func TestPasswordResetSetsANewPasswordOnce(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	ctx := context.Background()
	before, _ := f.signIn(t, u.Email, goodPassword)
	if err := f.auth.store.updateUserAuth(ctx, u.ID, map[string]any{"failed_logins": 5, "locked_until": time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := f.auth.RequestReset(ctx, database.EmptyIfNull(u.NIP), "id"); err != nil {
		t.Fatalf("RequestReset(NIP) = %v, want nil", err)
	}
	mails := f.mails(t)
	if len(mails) != 1 || mails[0].To != u.Email || !strings.Contains(mails[0].Text, "https://corpu.test/reset-password?token=cpr_") ||
		!strings.Contains(mails[0].Text, "1 jam") {
		t.Fatalf("outbox mails = %+v, want one Indonesian reset mail to %s", mails, u.Email)
	}
	plain := linkIn(t, mails[0])
	hashBefore := database.EmptyIfNull(f.userRow(t, u.ID).PasswordHash)

	err := f.auth.ResetPassword(ctx, plain, "password123")
	if e := apperr.As(err); e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "password" {
		t.Fatalf("ResetPassword(weak) = %v, want 422 on password", err)
	}
	if got := database.EmptyIfNull(f.userRow(t, u.ID).PasswordHash); got != hashBefore {
		t.Error("password hash changed after a refused reset")
	}

	if err := f.auth.ResetPassword(ctx, plain, otherPassword); err != nil {
		t.Fatalf("ResetPassword(strong, after a refusal) = %v, want nil", err)
	}
	wantAuthCode(t, "ResetPassword(second use)", f.auth.ResetPassword(ctx, plain, "Yet-Another-Pass-42"), ErrInvalidLinkToken)
	_, err = f.auth.Authenticate(ctx, before.AccessToken)
	wantAuthCode(t, "Authenticate(session from before the reset)", err, token.ErrInvalidToken)
	if _, err := f.auth.Login(ctx, u.Email, goodPassword, "", "10.0.2.1"); !errors.Is(err, ErrBadLogin) {
		t.Errorf("Login(old password) = %v, want ErrBadLogin", err)
	}
	if _, err := f.auth.Login(ctx, u.Email, otherPassword, "", "10.0.2.1"); err != nil {
		t.Errorf("Login(new password, account was locked) = %v, want nil", err)
	}
	if row := f.userRow(t, u.ID); row.EmailVerifiedAt == nil {
		t.Error("email_verified_at after a reset = nil, want set (the link proved the address)")
	}
	if actions := f.auditActions(t); !slices.Contains(actions, "user.password_reset") {
		t.Errorf("audit actions = %v, want user.password_reset", actions)
	}
}

func TestExpiredResetLinkIsRefused(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	if err := f.auth.RequestReset(context.Background(), u.Email, "en"); err != nil {
		t.Fatal(err)
	}
	plain := linkIn(t, f.mails(t)[0])
	f.advance(61 * time.Minute)
	wantAuthCode(t, "ResetPassword(expired link)", f.auth.ResetPassword(context.Background(), plain, otherPassword), ErrInvalidLinkToken)
	wantAuthCode(t, "ResetPassword(verification token)", f.auth.ResetPassword(context.Background(), "cev_"+plain[4:], otherPassword), ErrInvalidLinkToken)
}

func TestChangePasswordKeepsOnlyTheCurrentSession(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@menpan.go.id", goodPassword, StatusActive)
	current, ctx := f.signIn(t, u.Email, goodPassword)
	other, _ := f.signIn(t, u.Email, goodPassword)
	tests := []struct {
		name, current, next, wantField string
	}{
		{"wrong current password", "Not-My-Password-1", otherPassword, "current_password"},
		{"weak new password", goodPassword, "short", "new_password"},
		{"the same password", goodPassword, goodPassword, "new_password"},
	}
	for _, tt := range tests {
		err := f.auth.ChangePassword(ctx, tt.current, tt.next)
		if e := apperr.As(err); e.Kind != apperr.KindInvalid || len(e.Fields) == 0 || e.Fields[0].Field != tt.wantField {
			t.Errorf("ChangePassword(%s) = %v (fields %+v), want 422 on %s", tt.name, err, e.Fields, tt.wantField)
		}
	}
	if err := f.auth.ChangePassword(ctx, goodPassword, otherPassword); err != nil {
		t.Fatalf("ChangePassword() = %v, want nil", err)
	}
	if _, err := f.auth.Authenticate(context.Background(), current.AccessToken); err != nil {
		t.Errorf("Authenticate(the session that changed it) = %v, want nil", err)
	}
	_, err := f.auth.Authenticate(context.Background(), other.AccessToken)
	wantAuthCode(t, "Authenticate(another session)", err, token.ErrInvalidToken)
	f.signIn(t, u.Email, otherPassword)
}

// --- the mail task ---

type fakeSender struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (s *fakeSender) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	return nil
}

func TestSendMailTaskDeliversThroughTheSender(t *testing.T) {
	t.Parallel()
	a := &Auth{}
	sender := &fakeSender{}
	handle := a.HandleSendMail(sender)
	payload, _ := json.Marshal(SendMailPayload{To: "budi@menpan.go.id", Subject: "Halo", Text: "Isi"})
	if err := handle(context.Background(), asynq.NewTask(TypeSendMail, payload)); err != nil {
		t.Fatalf("handler(good payload) = %v, want nil", err)
	}
	want := mail.Message{To: "budi@menpan.go.id", Subject: "Halo", Text: "Isi"}
	if len(sender.sent) != 1 || sender.sent[0] != want {
		t.Errorf("sent = %+v, want [%+v]", sender.sent, want)
	}
	for name, bad := range map[string][]byte{"not json": []byte("{oops"), "no recipient": []byte(`{"subject":"x"}`)} {
		if err := handle(context.Background(), asynq.NewTask(TypeSendMail, bad)); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("handler(%s) = %v, want an error wrapping asynq.SkipRetry", name, err)
		}
	}
	if len(sender.sent) != 1 {
		t.Errorf("sent after bad payloads = %d mails, want 1", len(sender.sent))
	}
}

// --- HTTP ---

func newAuthHTTP(t testing.TB, f *authFixture) *echo.Echo {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = web.ErrorHandler(slog.New(slog.DiscardHandler))
	h := NewAuthHandler(f.auth)
	h.MountWellKnown(e)
	h.MountPublic(e.Group("/api/v1"))
	h.Mount(e.Group("/api/v1", f.auth.Middleware()))
	return e
}

func serveAuth(e *echo.Echo, method, path, bearer, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	if bearer != "" {
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestAuthEndpointsSpeakTheAPIConventions(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{IPLimit: 2})
	u := f.addUser(t, "admin@menpan.go.id", goodPassword, StatusActive, authz.RoleOrgAdmin)
	e := newAuthHTTP(t, f)

	rec := serveAuth(e, "POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"login":%q,"password":%q}`, u.Email, goodPassword))
	var tokens map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &tokens) != nil || tokens["token_type"] != "Bearer" ||
		tokens["access_token"] == "" || tokens["refresh_token"] == "" || tokens["expires_in"] == nil || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("POST /auth/login = %d %s (Cache-Control %q), want 200 with tokens, not stored", rec.Code, rec.Body, rec.Header().Get("Cache-Control"))
	}
	access := tokens["access_token"].(string)

	if rec := serveAuth(e, "GET", "/api/v1/me/api-tokens", "", ""); rec.Code != http.StatusUnauthorized ||
		!strings.Contains(rec.Body.String(), "urn:corpu:problem:unauthenticated") || rec.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("GET /me/api-tokens without a token = %d %s, want 401 unauthenticated with WWW-Authenticate", rec.Code, rec.Body)
	}
	rec = serveAuth(e, "POST", "/api/v1/me/api-tokens", access, `{"name":"HR","scopes":["user.read"],"expires_at":"`+
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`"}`)
	var created map[string]any
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &created) != nil ||
		!strings.HasPrefix(fmt.Sprint(created["token"]), token.PrefixAPIToken) || created["id"] == nil {
		t.Fatalf("POST /me/api-tokens = %d %s, want 201 with the token", rec.Code, rec.Body)
	}
	rec = serveAuth(e, "GET", "/api/v1/me/api-tokens", access, "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"scopes":["user.read"]`) || strings.Contains(rec.Body.String(), `"token"`) {
		t.Errorf("GET /me/api-tokens = %d %s, want 200 listing it without its secret", rec.Code, rec.Body)
	}
	// A token manages no tokens: listing them needs the owner's session.
	rec = serveAuth(e, "GET", "/api/v1/me/api-tokens", created["token"].(string), "")
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "auth.session_required") {
		t.Errorf("GET /me/api-tokens with the api token = %d %s, want 403 session required", rec.Code, rec.Body)
	}
	if rec := serveAuth(e, "DELETE", "/api/v1/me/api-tokens/not-an-id", access, ""); rec.Code != http.StatusNotFound {
		t.Errorf("DELETE /me/api-tokens/not-an-id = %d, want 404", rec.Code)
	}
	if rec := serveAuth(e, "DELETE", "/api/v1/me/api-tokens/"+fmt.Sprint(created["id"]), access, ""); rec.Code != http.StatusNoContent {
		t.Errorf("DELETE /me/api-tokens/{id} = %d %s, want 204", rec.Code, rec.Body)
	}
	if rec := serveAuth(e, "POST", "/api/v1/auth/password-reset", "", `{"login":"nobody@menpan.go.id"}`); rec.Code != http.StatusAccepted {
		t.Errorf("POST /auth/password-reset (unknown) = %d %s, want 202", rec.Code, rec.Body)
	}
	if rec := serveAuth(e, "POST", "/api/v1/auth/verify-email", "", `{"token":"cev_nope"}`); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("POST /auth/verify-email (bad token) = %d %s, want 422", rec.Code, rec.Body)
	}
	if rec := serveAuth(e, "POST", "/api/v1/auth/logout-everywhere", access, ""); rec.Code != http.StatusNoContent {
		t.Errorf("POST /auth/logout-everywhere = %d %s, want 204", rec.Code, rec.Body)
	}
	if rec := serveAuth(e, "GET", "/api/v1/me/api-tokens", access, ""); rec.Code != http.StatusUnauthorized ||
		!strings.Contains(rec.Body.String(), "auth.invalid_token") {
		t.Errorf("GET /me/api-tokens after logout everywhere = %d %s, want 401 invalid token", rec.Code, rec.Body)
	}

	for range 2 {
		serveAuth(e, "POST", "/api/v1/auth/login", "", `{"login":"nobody@menpan.go.id","password":"Whatever-123!"}`)
	}
	rec = serveAuth(e, "POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"login":%q,"password":%q}`, u.Email, goodPassword))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("POST /auth/login over the address limit = %d (Retry-After %q), want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}

	rec = serveAuth(e, "GET", "/.well-known/jwks.json", "", "")
	var jwks struct {
		Keys []struct{ Kty, Crv, Kid string } `json:"keys"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &jwks) != nil || len(jwks.Keys) != 1 || jwks.Keys[0].Crv != "Ed25519" {
		t.Errorf("GET /.well-known/jwks.json = %d %s, want one Ed25519 key", rec.Code, rec.Body)
	}
}
