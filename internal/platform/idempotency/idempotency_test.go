package idempotency_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/idempotency"
	"github.com/corpu/corpu/internal/platform/web"
)

const (
	ttl        = time.Hour
	userHeader = "X-Test-User"
)

// clock is a settable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// server is a small API: a fake sign-in that trusts X-Test-User, the
// middleware, and handlers that count how often they ran.
type server struct {
	e     *echo.Echo
	db    *database.DB
	clock *clock
	calls atomic.Int64
}

type thing struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{db: database.NewTestDB(t), clock: &clock{now: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}}
	if err := s.db.Conn(context.Background()).Exec("CREATE TABLE things (id uuid PRIMARY KEY, name text NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	s.e = web.New(web.Options{
		Config:   config.HTTP{BodyLimitBytes: 1 << 20, RequestTimeoutSeconds: 10},
		Log:      discardLog(),
		Registry: prometheus.NewRegistry(),
	})
	api := s.e.Group("/api/v1", fakeAuth, idempotency.Middleware(s.db, idempotency.Options{
		TTL: ttl, LockTimeout: time.Minute, Now: s.clock.Now, Log: discardLog(),
	}))
	api.POST("/things", s.createThing)
	api.POST("/slow-things", func(c echo.Context) error {
		time.Sleep(300 * time.Millisecond)
		return s.createThing(c)
	})
	api.POST("/big", func(c echo.Context) error {
		s.calls.Add(1)
		return c.JSON(http.StatusCreated, map[string]string{"id": uuid.NewString(), "padding": strings.Repeat("abc ", 2000)})
	})
	api.POST("/broken", func(echo.Context) error {
		s.calls.Add(1)
		return errors.New("the disk is on fire")
	})
	api.POST("/panics", func(echo.Context) error {
		s.calls.Add(1)
		panic("boom")
	})
	api.POST("/busy", func(echo.Context) error {
		s.calls.Add(1)
		return apperr.New(apperr.KindRateLimited, "rate_limited", "Terlalu sering.", "Too often.").WithRetryAfter(5)
	})
	api.POST("/fails-after-answering", func(c echo.Context) error {
		s.calls.Add(1)
		if err := c.JSON(http.StatusOK, map[string]string{"status": "half done"}); err != nil {
			return err
		}
		return errors.New("failed after the answer was written")
	})
	return s
}

func (s *server) createThing(c echo.Context) error {
	s.calls.Add(1)
	var req struct {
		Name string `json:"name"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return apperr.Invalid("name", "wajib diisi", "is required")
	}
	th := thing{ID: uuid.New(), Name: req.Name}
	if err := s.db.Conn(c.Request().Context()).Exec("INSERT INTO things (id, name) VALUES (?, ?)", th.ID, th.Name).Error; err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/things/"+th.ID.String())
	c.Response().Header().Set("ETag", `"1"`)
	return c.JSON(http.StatusCreated, th)
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func fakeAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if id, err := uuid.Parse(c.Request().Header.Get(userHeader)); err == nil {
			ctx := authz.WithActor(c.Request().Context(), &authz.Actor{UserID: id})
			c.SetRequest(c.Request().WithContext(ctx))
		}
		return next(c)
	}
}

// call is one request: user uuid.Nil is not signed in, key "" sends no key.
type call struct {
	user uuid.UUID
	path string
	key  string
	body string
}

func (s *server) do(t *testing.T, r call) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, r.path, strings.NewReader(r.body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	req.Header.Set("Accept-Language", "en")
	if r.user != uuid.Nil {
		req.Header.Set(userHeader, r.user.String())
	}
	if r.key != "" {
		req.Header.Set(idempotency.HeaderKey, r.key)
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

func (s *server) count(t *testing.T, table string) int64 {
	t.Helper()
	var n int64
	if err := s.db.Conn(context.Background()).Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func problemType(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := rec.Header().Get(echo.HeaderContentType); ct != web.ProblemContentType {
		t.Errorf("Content-Type = %q, want %q", ct, web.ProblemContentType)
	}
	var p web.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body.String(), err)
	}
	return p.Type
}

func TestARetryWithTheSameKeyAndBodyGetsTheFirstAnswerAgain(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := call{user: uuid.New(), path: "/api/v1/things", key: "create-thing-1", body: `{"name":"Bahasa Inggris"}`}

	first := s.do(t, r)
	second := s.do(t, r)

	if first.Code != http.StatusCreated {
		t.Fatalf("first status = %d, want 201; body %s", first.Code, first.Body)
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
	if got := s.count(t, "things"); got != 1 {
		t.Errorf("things = %d, want 1", got)
	}
	if second.Code != first.Code || second.Body.String() != first.Body.String() {
		t.Errorf("replay = %d %s, want %d %s", second.Code, second.Body, first.Code, first.Body)
	}
	for _, h := range []string{echo.HeaderContentType, echo.HeaderLocation, "ETag"} {
		if second.Header().Get(h) != first.Header().Get(h) || first.Header().Get(h) == "" {
			t.Errorf("replayed %s = %q, want %q", h, second.Header().Get(h), first.Header().Get(h))
		}
	}
	if got := second.Header().Get(idempotency.HeaderReplayed); got != "true" {
		t.Errorf("replay %s = %q, want true", idempotency.HeaderReplayed, got)
	}
	if got := first.Header().Get(idempotency.HeaderReplayed); got != "" {
		t.Errorf("first answer %s = %q, want none", idempotency.HeaderReplayed, got)
	}
}

func TestTheSameKeyWithAnotherRequestIsRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	user := uuid.New()
	first := call{user: user, path: "/api/v1/things", key: "k-1", body: `{"name":"Statistika"}`}
	if rec := s.do(t, first); rec.Code != http.StatusCreated {
		t.Fatalf("first status = %d, want 201; body %s", rec.Code, rec.Body)
	}
	tests := []struct {
		name string
		r    call
	}{
		{"another body", call{user: user, path: "/api/v1/things", key: "k-1", body: `{"name":"Ekonomi"}`}},
		{"another path", call{user: user, path: "/api/v1/slow-things", key: "k-1", body: first.body}},
		{"another query", call{user: user, path: "/api/v1/things?dry_run=true", key: "k-1", body: first.body}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, tt.r)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422; body %s", rec.Code, rec.Body)
			}
			if got := problemType(t, rec); got != "urn:corpu:problem:idempotency.key_reused" {
				t.Errorf("problem type = %q, want urn:corpu:problem:idempotency.key_reused", got)
			}
		})
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1: a refused request must not run", got)
	}
}

func TestKeysOfDifferentCallersAreIndependent(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.do(t, call{user: uuid.New(), path: "/api/v1/things", key: "shared", body: `{"name":"Akuntansi"}`})
	b := s.do(t, call{user: uuid.New(), path: "/api/v1/things", key: "shared", body: `{"name":"Akuntansi"}`})
	if a.Code != http.StatusCreated || b.Code != http.StatusCreated {
		t.Fatalf("statuses = %d, %d; want 201, 201", a.Code, b.Code)
	}
	if b.Header().Get(idempotency.HeaderReplayed) != "" {
		t.Error("the second caller got the first caller's answer")
	}
	if got := s.calls.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2", got)
	}
}

func TestRequestsTheMiddlewareDoesNotCoverRunEveryTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		r      call
		method string
	}{
		{"a request without a key", call{user: uuid.New(), path: "/api/v1/things", body: `{"name":"Hukum"}`}, http.MethodPost},
		{"a caller who is not signed in", call{path: "/api/v1/things", key: "anon", body: `{"name":"Hukum"}`}, http.MethodPost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			for i := range 3 {
				rec := s.do(t, tt.r)
				if rec.Code != http.StatusCreated || rec.Header().Get(idempotency.HeaderReplayed) != "" {
					t.Fatalf("request %d: status = %d, replayed = %q; want a fresh 201", i, rec.Code, rec.Header().Get(idempotency.HeaderReplayed))
				}
			}
			if got := s.calls.Load(); got != 3 {
				t.Errorf("handler ran %d times, want 3", got)
			}
			if got := s.count(t, "idempotency_keys"); got != 0 {
				t.Errorf("stored keys = %d, want 0", got)
			}
		})
	}
}

func TestAClientErrorIsKeptAndReplayed(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := call{user: uuid.New(), path: "/api/v1/things", key: "invalid-1", body: `{"name":""}`}
	first := s.do(t, r)
	second := s.do(t, r)
	if first.Code != http.StatusUnprocessableEntity {
		t.Fatalf("first status = %d, want 422; body %s", first.Code, first.Body)
	}
	if got := problemType(t, second); got != "urn:corpu:problem:validation" {
		t.Errorf("replayed problem type = %q, want urn:corpu:problem:validation", got)
	}
	if second.Code != first.Code || second.Body.String() != first.Body.String() || second.Header().Get(idempotency.HeaderReplayed) != "true" {
		t.Errorf("replay = %d %s (replayed %q), want %d %s replayed", second.Code, second.Body,
			second.Header().Get(idempotency.HeaderReplayed), first.Code, first.Body)
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
}

func TestAnAnswerThatSaysTryAgainReleasesTheKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		status int
	}{
		{"a plain error becomes a 500", "/api/v1/broken", http.StatusInternalServerError},
		{"a panic becomes a 500", "/api/v1/panics", http.StatusInternalServerError},
		{"rate limiting", "/api/v1/busy", http.StatusTooManyRequests},
		{"an error after the answer was written", "/api/v1/fails-after-answering", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			r := call{user: uuid.New(), path: tt.path, key: "retry-me", body: `{}`}
			for i := range 2 {
				rec := s.do(t, r)
				if rec.Code != tt.status || rec.Header().Get(idempotency.HeaderReplayed) != "" {
					t.Fatalf("request %d: status = %d, replayed = %q; want a fresh %d", i, rec.Code, rec.Header().Get(idempotency.HeaderReplayed), tt.status)
				}
			}
			if got := s.calls.Load(); got != 2 {
				t.Errorf("handler ran %d times, want 2: the retry must run it again", got)
			}
			if got := s.count(t, "idempotency_keys"); got != 0 {
				t.Errorf("stored keys = %d, want 0", got)
			}
		})
	}
}

func TestConcurrentRequestsWithTheSameKeyRunTheHandlerOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := call{user: uuid.New(), path: "/api/v1/slow-things", key: "double-click", body: `{"name":"Kimia"}`}
	const n = 8
	recs := make([]*httptest.ResponseRecorder, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			recs[i] = s.do(t, r)
		}()
	}
	close(start)
	wg.Wait()

	if got := s.calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
	if got := s.count(t, "things"); got != 1 {
		t.Errorf("things = %d, want 1", got)
	}
	fresh := 0
	for i, rec := range recs {
		replayed := rec.Header().Get(idempotency.HeaderReplayed) == "true"
		switch {
		case rec.Code == http.StatusCreated && !replayed:
			fresh++
		case rec.Code == http.StatusCreated && replayed:
		case rec.Code == http.StatusConflict:
			if got := rec.Header().Get("Retry-After"); got != "1" {
				t.Errorf("request %d: 409 Retry-After = %q, want 1", i, got)
			}
			if got := problemType(t, rec); got != "urn:corpu:problem:idempotency.in_progress" {
				t.Errorf("request %d: problem type = %q", i, got)
			}
		default:
			t.Errorf("request %d: status = %d, want 201 or 409; body %s", i, rec.Code, rec.Body)
		}
	}
	if fresh != 1 {
		t.Errorf("fresh answers = %d, want 1", fresh)
	}
}

func TestAKeyInProgressIsTakenOverOnlyAfterTheLockTimeout(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	user := uuid.New()
	r := call{user: user, path: "/api/v1/things", key: "crashed", body: `{"name":"Fisika"}`}
	// A process claimed the key for this very request and died.
	if rec := s.do(t, r); rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201", rec.Code)
	}
	if err := s.db.Conn(context.Background()).Exec(`UPDATE idempotency_keys
		SET status = 'in_progress', response_status = NULL, response_headers = NULL, response_body = NULL, created_at = ?`,
		s.clock.Now()).Error; err != nil {
		t.Fatal(err)
	}

	if rec := s.do(t, r); rec.Code != http.StatusConflict || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("within the lock timeout: status = %d, Retry-After = %q; want 409, 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	s.clock.Advance(2 * time.Minute)
	if rec := s.do(t, r); rec.Code != http.StatusCreated || rec.Header().Get(idempotency.HeaderReplayed) != "" {
		t.Errorf("after the lock timeout: status = %d, replayed = %q; want a fresh 201", rec.Code, rec.Header().Get(idempotency.HeaderReplayed))
	}
	if rec := s.do(t, r); rec.Header().Get(idempotency.HeaderReplayed) != "true" {
		t.Errorf("after the takeover answered: status = %d, replayed = %q; want a replay", rec.Code, rec.Header().Get(idempotency.HeaderReplayed))
	}
	if got := s.calls.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2", got)
	}
}

func TestAnExpiredKeyRunsTheHandlerAgain(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := call{user: uuid.New(), path: "/api/v1/things", key: "old", body: `{"name":"Biologi"}`}
	if rec := s.do(t, r); rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201", rec.Code)
	}
	s.clock.Advance(ttl + time.Second)
	rec := s.do(t, r)
	if rec.Code != http.StatusCreated || rec.Header().Get(idempotency.HeaderReplayed) != "" {
		t.Errorf("after expiry: status = %d, replayed = %q; want a fresh 201", rec.Code, rec.Header().Get(idempotency.HeaderReplayed))
	}
	if got := s.calls.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2", got)
	}
	if again := s.do(t, r); again.Header().Get(idempotency.HeaderReplayed) != "true" || again.Body.String() != rec.Body.String() {
		t.Errorf("retry after the second run: %d %s, want a replay of %s", again.Code, again.Body, rec.Body)
	}
}

func TestMalformedKeysAreRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	user := uuid.New()
	tests := []struct {
		name string
		keys []string
	}{
		{"an empty key", []string{""}},
		{"a key of 256 characters", []string{strings.Repeat("k", 256)}},
		{"a key that is not ASCII", []string{"kunci-ñ"}},
		{"a key with a control character", []string{"a\x01b"}},
		{"two keys", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/things", strings.NewReader(`{"name":"Geografi"}`))
			req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			req.Header.Set(userHeader, user.String())
			req.Header[idempotency.HeaderKey] = tt.keys
			rec := httptest.NewRecorder()
			s.e.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", rec.Code, rec.Body)
			}
			if got := problemType(t, rec); got != "urn:corpu:problem:idempotency.key_malformed" {
				t.Errorf("problem type = %q", got)
			}
		})
	}
	if got := s.calls.Load(); got != 0 {
		t.Errorf("handler ran %d times, want 0", got)
	}
	if rec := s.do(t, call{user: user, path: "/api/v1/things", key: strings.Repeat("k", 255), body: `{"name":"Geografi"}`}); rec.Code != http.StatusCreated {
		t.Errorf("a key of 255 characters: status = %d, want 201", rec.Code)
	}
}

func TestPurgeRemovesOnlyExpiredKeys(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	user := uuid.New()
	for _, key := range []string{"early-1", "early-2"} {
		if rec := s.do(t, call{user: user, path: "/api/v1/things", key: key, body: `{"name":"Sejarah"}`}); rec.Code != http.StatusCreated {
			t.Fatalf("status = %d, want 201", rec.Code)
		}
	}
	s.clock.Advance(30 * time.Minute)
	if rec := s.do(t, call{user: user, path: "/api/v1/things", key: "late", body: `{"name":"Sejarah"}`}); rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201", rec.Code)
	}

	n, err := idempotency.Purge(context.Background(), s.db, s.clock.Now().Add(ttl-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Purge removed %d keys, want 2", n)
	}
	var left []string
	if err := s.db.Conn(context.Background()).Raw("SELECT key FROM idempotency_keys").Scan(&left).Error; err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != "late" {
		t.Errorf("keys left = %v, want [late]", left)
	}
}

func TestACompressedAnswerIsKeptAsTheHandlerWroteIt(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	user := uuid.New()
	send := func(gzipped bool) (*httptest.ResponseRecorder, string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/big", strings.NewReader(`{}`))
		req.Header.Set(userHeader, user.String())
		req.Header.Set(idempotency.HeaderKey, "big-1")
		if gzipped {
			req.Header.Set(echo.HeaderAcceptEncoding, "gzip")
		}
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		if rec.Header().Get(echo.HeaderContentEncoding) != "gzip" {
			return rec, rec.Body.String()
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return rec, string(plain)
	}
	first, firstBody := send(true)
	if first.Code != http.StatusCreated || first.Header().Get(echo.HeaderContentEncoding) != "gzip" {
		t.Fatalf("first: status = %d, Content-Encoding = %q; want 201, gzip", first.Code, first.Header().Get(echo.HeaderContentEncoding))
	}
	for _, gzipped := range []bool{true, false} {
		again, body := send(gzipped)
		if again.Header().Get(idempotency.HeaderReplayed) != "true" || body != firstBody {
			t.Errorf("replay (gzip %v): replayed = %q, body equal = %v", gzipped, again.Header().Get(idempotency.HeaderReplayed), body == firstBody)
		}
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
}

// Claims and answers arriving together are written in batches; each
// request must still get its own key and, on a retry, its own answer.
func TestManyCallersAtOnceEachGetTheirOwnAnswerOnARetry(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const n = 40
	calls := make([]call, n)
	first := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	for i := range n {
		calls[i] = call{user: uuid.New(), path: "/api/v1/things", key: fmt.Sprintf("ujian-%d", i%3), body: fmt.Sprintf(`{"name":"Peserta %d"}`, i)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			first[i] = s.do(t, calls[i])
		}()
	}
	wg.Wait()
	if got := s.calls.Load(); got != n {
		t.Errorf("handler ran %d times for %d callers, want once each", got, n)
	}
	for i, c := range calls {
		again := s.do(t, c)
		if first[i].Code != http.StatusCreated || again.Code != http.StatusCreated || again.Header().Get(idempotency.HeaderReplayed) != "true" ||
			again.Body.String() != first[i].Body.String() {
			t.Errorf("caller %d: first %d %s, retry %d (replayed %q) %s; want 201 and the same answer replayed",
				i, first[i].Code, first[i].Body, again.Code, again.Header().Get(idempotency.HeaderReplayed), again.Body)
		}
	}
	if got := s.calls.Load(); got != n {
		t.Errorf("handler ran %d times after the retries, want %d", got, n)
	}
}
