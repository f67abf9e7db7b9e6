package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/identity/password"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/web"
)

// newFullHTTP is the API server as cmd/corpu builds it (every middleware of
// web.New), with identity's routes mounted behind its authentication.
func newFullHTTP(t testing.TB, f *authFixture) *echo.Echo {
	t.Helper()
	e := web.New(web.Options{
		Config: config.HTTP{BodyLimitBytes: 1 << 20, RequestTimeoutSeconds: 30},
		Log:    slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
	})
	h := NewAuthHandler(f.auth)
	h.MountPublic(e.Group("/api/v1"))
	api := e.Group("/api/v1", f.auth.Middleware())
	h.Mount(api)
	NewHandler(f.svc).Mount(api)
	return e
}

// BenchmarkMe measures GET /api/v1/me through the whole middleware stack,
// against GET /api/v1/ping as the baseline; profile it with
// go test -run '^$' -bench Me -cpuprofile cpu.out ./internal/identity/.
func BenchmarkMe(b *testing.B) {
	f := newTestAuth(b, AuthConfig{})
	f.addUser(b, "budi@kemenpan.go.id", goodPassword, StatusActive, authz.RoleLearner, authz.RoleInstructor)
	tokens, _ := f.signIn(b, "budi@kemenpan.go.id", goodPassword)
	e := newFullHTTP(b, f)
	for _, path := range []string{"/api/v1/ping", "/api/v1/me"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, path, nil)
					req.Header.Set(echo.HeaderAuthorization, "Bearer "+tokens.AccessToken)
					req.Header.Set(echo.HeaderAcceptEncoding, "gzip")
					rec := httptest.NewRecorder()
					e.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("GET %s = %d, want 200: %s", path, rec.Code, rec.Body)
					}
				}
			})
		})
	}
}

// countQueries counts the statements db sends from now on.
func countQueries(t testing.TB, f *authFixture) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	cb := f.db.Conn(context.Background()).Callback()
	name := "test:count-" + uuid.NewString()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register(name, count),
		cb.Row().After("gorm:row").Register(name, count),
		cb.Raw().After("gorm:raw").Register(name, count),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &n
}

func TestASignedInRequestUsuallyCostsNoQuery(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@kemenpan.go.id", goodPassword, StatusActive, authz.RoleLearner)
	tokens, err := f.auth.Login(context.Background(), u.Email, goodPassword, "test-agent", "10.0.0.1")
	must(t, err)
	e := newFullHTTP(t, f)
	queries := countQueries(t, f)

	var first map[string]any
	for i := range 5 {
		rec := serveAuth(e, http.MethodGet, "/api/v1/me", tokens.AccessToken, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /me = %d, want 200: %s", rec.Code, rec.Body)
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = body
			if got := queries.Load(); got != 2 {
				t.Errorf("first GET /me ran %d queries, want 2 (the session's user, grants)", got)
			}
			continue
		}
		if got, _ := json.Marshal(body); string(got) != mustJSON(t, first) {
			t.Errorf("GET /me from the cache = %s, want %s", got, mustJSON(t, first))
		}
	}
	if got := queries.Load(); got != 2 {
		t.Errorf("five GET /me ran %d queries, want the first one's 2 only", got)
	}
	if hits, misses := f.auth.ActorCacheStats(); hits != 4 || misses != 1 {
		t.Errorf("ActorCacheStats() = %d hits, %d misses; want 4, 1", hits, misses)
	}
	user, _ := first["user"].(map[string]any)
	grants, _ := first["grants"].([]any)
	if user["email"] != u.Email || len(grants) != 1 {
		t.Errorf("GET /me = %v, want the user and their one grant", first)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// secondProcess is another API process over the same database and Redis:
// an Auth of its own, with its own actor cache.
func (f *authFixture) secondProcess(t testing.TB) *Auth {
	t.Helper()
	svc := NewService(f.db, nil)
	svc.audit = audit.NewService(f.db, svc)
	b := NewAuth(f.db, svc, f.auth.issuer, f.auth.keys, f.auth.outbox, f.rdb, f.auth.cfg)
	b.params = cheapParams
	return b
}

func TestAChangeStopsTheCachedCallerAtOnceInEveryProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// change is made in the first process, as admin, to the learner.
		change func(t *testing.T, f *authFixture, admin context.Context, learner userRow, tokens Tokens)
		// wantRole, when set, means the session still works but without it.
		stillSignedIn bool
	}{
		{"signing out", func(t *testing.T, f *authFixture, _ context.Context, _ userRow, tokens Tokens) {
			must(t, f.auth.Logout(context.Background(), tokens.RefreshToken))
		}, false},
		{"signing out everywhere", func(t *testing.T, f *authFixture, _ context.Context, _ userRow, tokens Tokens) {
			must(t, f.auth.LogoutEverywhere(f.authenticated(t, tokens.AccessToken)))
		}, false},
		{"suspension", func(t *testing.T, f *authFixture, admin context.Context, learner userRow, _ Tokens) {
			_, err := f.svc.SetStatus(admin, learner.ID, StatusSuspended)
			must(t, err)
		}, false},
		{"a password reset elsewhere", func(t *testing.T, f *authFixture, _ context.Context, learner userRow, _ Tokens) {
			_, other := f.signIn(t, learner.Email, goodPassword)
			must(t, f.auth.ChangePassword(other, goodPassword, otherPassword))
		}, false},
		{"a revoked grant", func(t *testing.T, f *authFixture, admin context.Context, learner userRow, _ Tokens) {
			grants, err := f.svc.Grants(admin, learner.ID)
			must(t, err)
			for _, g := range grants {
				must(t, f.svc.Revoke(admin, g.ID))
			}
		}, true},
		{"a transfer", func(t *testing.T, f *authFixture, admin context.Context, learner userRow, _ Tokens) {
			id := uuid.Must(uuid.NewV7())
			now := time.Now().UTC()
			org := Organization{ID: id, ParentID: &f.org.ID, Path: PathOf(f.org.Path, id), Kind: KindProvince,
				Code: "JABAR-" + id.String()[:8], Name: "Jawa Barat", Active: true, CreatedAt: now, UpdatedAt: now}
			must(t, f.svc.store.createOrg(context.Background(), org))
			_, err := f.svc.TransferUser(admin, learner.ID, TransferInput{ToOrgID: org.ID, Reason: "mutasi"})
			must(t, err)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestAuth(t, AuthConfig{})
			second := f.secondProcess(t)
			f.addUser(t, "admin@kemenpan.go.id", goodPassword, StatusActive, authz.RolePlatformAdmin)
			_, admin := f.signIn(t, "admin@kemenpan.go.id", goodPassword)
			learner := f.addUser(t, "budi@kemenpan.go.id", goodPassword, StatusActive, authz.RoleInstructor)
			tokens, _ := f.signIn(t, learner.Email, goodPassword)
			var before *authz.Actor
			for _, a := range []*Auth{f.auth, second, f.auth, second} { // both caches hold the caller
				actor, err := a.Authenticate(context.Background(), tokens.AccessToken)
				must(t, err)
				before = actor
			}
			if hits, _ := second.ActorCacheStats(); hits != 1 {
				t.Fatalf("second process: %d cache hits, want 1", hits)
			}

			tt.change(t, f, admin, learner, tokens)

			for name, a := range map[string]*Auth{"this process": f.auth, "another process": second} {
				actor, err := a.Authenticate(context.Background(), tokens.AccessToken)
				switch {
				case !tt.stillSignedIn && err == nil:
					t.Errorf("%s: Authenticate after %s = %+v, want 401", name, tt.name, actor)
				case tt.stillSignedIn && err != nil:
					t.Errorf("%s: Authenticate after %s = %v, want the changed caller", name, tt.name, err)
				case tt.stillSignedIn && mustJSON(t, actor) == mustJSON(t, before):
					t.Errorf("%s: Authenticate after %s = %+v, the caller from before", name, tt.name, actor)
				}
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestTheActorCacheStaysWithinItsSize(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	f.auth.SetActorCache(ActorCacheConfig{Size: 10})
	u := f.addUser(t, "budi@kemenpan.go.id", goodPassword, StatusActive)
	for range 25 {
		tokens, _ := f.signIn(t, u.Email, goodPassword)
		_, err := f.auth.Authenticate(context.Background(), tokens.AccessToken)
		must(t, err)
		f.auth.actors.mu.RLock()
		n := len(f.auth.actors.entries)
		f.auth.actors.mu.RUnlock()
		if n > 10 {
			t.Fatalf("the cache holds %d entries, want at most 10", n)
		}
	}
}

func TestWithoutRedisRequestsAreAuthenticatedFromTheDatabase(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	u := f.addUser(t, "budi@kemenpan.go.id", goodPassword, StatusActive)
	tokens, err := f.auth.Login(context.Background(), u.Email, goodPassword, "test-agent", "10.0.0.1")
	must(t, err)
	f.auth.actors.rdb = redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	for range 3 {
		_, err := f.auth.Authenticate(context.Background(), tokens.AccessToken)
		must(t, err)
	}
	if hits, misses := f.auth.ActorCacheStats(); hits != 0 || misses != 3 {
		t.Errorf("ActorCacheStats() = %d hits, %d misses; want 0, 3", hits, misses)
	}
	must(t, f.svc.store.updateUser(context.Background(), u.ID, map[string]any{"status": string(StatusSuspended)}))
	if _, err := f.auth.Authenticate(context.Background(), tokens.AccessToken); err == nil {
		t.Errorf("Authenticate(suspended user, Redis down) = nil, want 401")
	}
}

func TestAChangeMadeWhileRedisWasDownIsSeenOnceRedisAnswersAgain(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	second := f.secondProcess(t)
	ctx := context.Background()
	ani := f.addUser(t, "ani@kemenpan.go.id", goodPassword, StatusActive)
	budi := f.addUser(t, "budi@kemenpan.go.id", goodPassword, StatusActive)
	aniTokens, err := f.auth.Login(ctx, ani.Email, goodPassword, "test-agent", "10.0.0.1")
	must(t, err)
	budiTokens, err := f.auth.Login(ctx, budi.Email, goodPassword, "test-agent", "10.0.0.2")
	must(t, err)
	for _, tok := range []string{aniTokens.AccessToken, budiTokens.AccessToken} {
		_, err = second.Authenticate(ctx, tok)
		must(t, err) // cached in the second process, under the versions Redis holds now
	}

	// Redis goes away. The second process notices it on Ani's request; the
	// first suspends Budi and cannot publish it.
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	working := f.rdb
	f.auth.actors.rdb, second.actors.rdb = down, down
	_, err = second.Authenticate(ctx, aniTokens.AccessToken)
	must(t, err) // answered from the database
	must(t, f.svc.store.updateUser(ctx, budi.ID, map[string]any{"status": string(StatusSuspended)}))

	// Redis returns with the versions Budi's cached caller was loaded under.
	f.auth.actors.rdb, second.actors.rdb = working, working
	second.actors.redisDownUntil.Store(0)
	if _, err := second.Authenticate(ctx, budiTokens.AccessToken); err == nil {
		t.Errorf("Authenticate(suspended while Redis was down) = nil, want 401: the cached caller outlived the outage")
	}
	if _, err := second.Authenticate(ctx, aniTokens.AccessToken); err != nil {
		t.Errorf("Authenticate(Ani after the outage) = %v, want her caller reloaded", err)
	}
}

// mgetGate counts the MGETs a client sends and holds the first one until
// release is closed.
type mgetGate struct {
	mgets   atomic.Int64
	release chan struct{}
}

func (g *mgetGate) DialHook(next redis.DialHook) redis.DialHook { return next }
func (g *mgetGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (g *mgetGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "mget" && g.mgets.Add(1) == 1 {
			<-g.release
		}
		return next(ctx, cmd)
	}
}

func TestRequestsArrivingWhileTheVersionsAreReadShareTheNextRead(t *testing.T) {
	t.Parallel()
	f := newTestAuth(t, AuthConfig{})
	const learners = 12
	tokens := make([]string, learners)
	for i := range tokens {
		u := f.addUser(t, fmt.Sprintf("peserta%d@kemenpan.go.id", i), goodPassword, StatusActive, authz.RoleLearner)
		tok, _ := f.signIn(t, u.Email, goodPassword)
		tokens[i] = tok.AccessToken
		_, err := f.auth.Authenticate(context.Background(), tok.AccessToken) // cached from now on
		must(t, err)
	}
	gate := &mgetGate{release: make(chan struct{})}
	gated := redis.NewClient(f.rdb.(*redis.Client).Options())
	gated.AddHook(gate)
	t.Cleanup(func() { gated.Close() })
	f.auth.actors.rdb = gated
	hitsBefore, _ := f.auth.ActorCacheStats()

	errs := make(chan error, learners)
	for _, tok := range tokens {
		go func() {
			_, err := f.auth.Authenticate(context.Background(), tok)
			errs <- err
		}()
	}
	// The first request's read is held; the other eleven queue behind it.
	queued := f.auth.actors.reads.Queued
	for deadline := time.Now().Add(10 * time.Second); queued() < learners-1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued for the next read, want %d", queued(), learners-1)
		}
	}
	close(gate.release)
	for range tokens {
		if err := <-errs; err != nil {
			t.Errorf("Authenticate = %v, want the cached caller", err)
		}
	}
	if got := gate.mgets.Load(); got != 2 {
		t.Errorf("%d requests sent %d MGETs, want 2: the held one and one for the %d queued behind it", learners, got, learners-1)
	}
	if hits, _ := f.auth.ActorCacheStats(); hits-hitsBefore != learners {
		t.Errorf("%d of %d requests found their caller in the cache, want all", hits-hitsBefore, learners)
	}
}

// BenchmarkLogin measures a whole sign-in (hash check, session, audit) with
// the production hashing cost, from several addresses as an exam's learners
// sign in; profile it with
// go test -run '^$' -bench Login -cpuprofile cpu.out ./internal/identity/.
func BenchmarkLogin(b *testing.B) {
	f := newTestAuth(b, AuthConfig{})
	f.auth.params = password.DefaultParams
	f.addUser(b, "budi@kemenpan.go.id", goodPassword, StatusActive, authz.RoleLearner)
	f.auth.Login(context.Background(), "budi@kemenpan.go.id", goodPassword, "bench", "10.0.0.1") //nolint:errcheck // upgrades the stored hash to the production cost
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ip := fmt.Sprintf("10.1.%d.%d", n.Add(1)/250%250, n.Load()%250)
			if _, err := f.auth.Login(context.Background(), "budi@kemenpan.go.id", goodPassword, "bench", ip); err != nil {
				b.Fatalf("Login = %v", err)
			}
		}
	})
}
