// Package idempotency makes POST requests safe to retry. A client sends an
// Idempotency-Key header with a request that creates or submits something;
// the first request with a key runs and its answer is kept, and a retry with
// the same key and the same request gets that answer again, marked with
// Idempotent-Replayed: true, without running the handler twice. The same key
// with another request is refused (422); a retry while the first request is
// still running is told to wait (409 with Retry-After).
//
// Keys belong to the signed-in caller, so the middleware runs after
// authentication. Answers the client could not act on are not kept: a 5xx,
// a 429, a handler that panicked or failed after it had started answering
// all release the key, so a retry runs the handler again. Every other answer,
// 4xx included, is replayed until the key expires.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/web"
)

// The headers of the protocol.
const (
	// HeaderKey carries the client's key for one logical request.
	HeaderKey = "Idempotency-Key"
	// HeaderReplayed marks an answer that was kept from an earlier request.
	HeaderReplayed = "Idempotent-Replayed"
)

// MaxKeyLength is the longest key accepted.
const MaxKeyLength = 255

// keptHeaders are the response headers stored and replayed with the body.
var keptHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, "ETag"}

// Options tune the middleware; the zero value is usable.
type Options struct {
	// TTL is how long a key and its answer are kept (default 24h).
	TTL time.Duration
	// LockTimeout is how long a key may stay in progress before a retry of
	// the same request may take it over, for when the process that claimed
	// it died before answering (default 5m; keep it well above the request
	// timeout).
	LockTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives failures to record an answer (default slog.Default()).
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// now returns the clock's time in UTC at PostgreSQL's precision, so a time
// written to the table compares equal to itself when read back.
func (o Options) now() time.Time { return o.Now().UTC().Truncate(time.Microsecond) }

var (
	errMalformedKey = apperr.New(apperr.KindMalformed, "idempotency.key_malformed",
		"Header Idempotency-Key harus berisi 1 sampai 255 karakter ASCII yang dapat dicetak.",
		"The Idempotency-Key header must be 1 to 255 printable ASCII characters.")
	errKeyReused = apperr.New(apperr.KindInvalid, "idempotency.key_reused",
		"Kunci idempotensi sudah dipakai untuk permintaan yang berbeda.",
		"The idempotency key was reused with a different request.")
	errInProgress = apperr.New(apperr.KindConflict, "idempotency.in_progress",
		"Permintaan dengan kunci ini masih diproses; coba lagi sebentar lagi.",
		"A request with this key is still in progress; try again shortly.").WithRetryAfter(1)
)

// claimAttempts bounds the rounds of claiming a key whose row vanishes or
// expires between the claim and the look-up.
const claimAttempts = 3

// finishTimeout bounds recording or releasing a key after the handler ran;
// it does not depend on the request's context, which may be done by then.
const finishTimeout = 5 * time.Second

// Middleware returns the Echo middleware. Mount it after authentication, on
// the routes of signed-in callers: a request without the header, or from a
// caller who is not signed in, passes through untouched.
func Middleware(db *database.DB, opts Options) echo.MiddlewareFunc {
	m := &middleware{db: db, opts: opts.withDefaults()}
	m.startBatches()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return m.serve(c, next) }
	}
}

type middleware struct {
	db      *database.DB
	opts    Options
	batches batches // see batch.go
}

// lock identifies one claim of a key: the row is ours while it is in
// progress and still carries the time we claimed it at.
type lock struct {
	userID    uuid.UUID
	key       string
	claimedAt time.Time
}

func (m *middleware) serve(c echo.Context, next echo.HandlerFunc) error {
	req := c.Request()
	values := req.Header.Values(HeaderKey)
	if req.Method != http.MethodPost || len(values) == 0 {
		return next(c)
	}
	actor, err := authz.ActorFrom(req.Context())
	if err != nil {
		return next(c)
	}
	if len(values) != 1 || !validKey(values[0]) {
		return errMalformedKey
	}
	key := values[0]

	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return web.BodyError(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	hash := requestHash(req.Method, req.URL.Path, req.URL.RawQuery, body)

	for range claimAttempts {
		now := m.opts.now()
		claimed, err := m.claim(req.Context(), actor.UserID, key, req.Method, req.URL.Path, hash, now)
		if err != nil {
			return err
		}
		if claimed {
			return m.run(c, next, lock{userID: actor.UserID, key: key, claimedAt: now})
		}
		r, found, err := m.find(req.Context(), actor.UserID, key)
		if err != nil {
			return err
		}
		switch {
		case !found || r.ExpiresAt.Before(now):
			continue // released or expired since the claim: claim again
		case !bytes.Equal(r.RequestHash, hash):
			return errKeyReused
		case r.Status == statusDone:
			return replay(c, r)
		default:
			return errInProgress
		}
	}
	return errInProgress
}

// validKey reports whether k is 1 to 255 printable ASCII characters.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestHash identifies a request by what a retry must repeat exactly.
func requestHash(method, path, rawQuery string, body []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", method, path, rawQuery)
	h.Write(body)
	return h.Sum(nil)
}

// run serves the request that claimed the key, recording its answer while
// it is written to the client, then keeps or releases the key.
func (m *middleware) run(c echo.Context, next echo.HandlerFunc, l lock) error {
	res := c.Response()
	prev := res.Writer
	rec := &recorder{ResponseWriter: prev}
	res.Writer = rec
	finished := false
	defer func() {
		res.Writer = prev
		if !finished { // the handler panicked
			m.release(c.Request().Context(), l)
		}
	}()

	err := next(c)
	failedAfterAnswering := false
	if err != nil {
		// The central error handler would write the problem after every
		// middleware returned, past the recorder; write it now instead.
		failedAfterAnswering = res.Committed
		c.Error(err)
	}
	if !res.Committed {
		res.WriteHeader(http.StatusOK)
	}
	finished = true

	status := rec.status
	if status == 0 {
		status = res.Status
	}
	if failedAfterAnswering || !keepable(status) {
		m.release(c.Request().Context(), l)
	} else {
		m.complete(c.Request().Context(), l, status, rec.headers, rec.body.Bytes())
	}
	return nil
}

// keepable reports whether an answer is replayed to retries: everything but
// server errors and rate limiting, which say "try again".
func keepable(status int) bool {
	return status < http.StatusInternalServerError && status != http.StatusTooManyRequests
}

// replay writes a kept answer again.
func replay(c echo.Context, r record) error {
	headers := map[string]string{}
	if err := json.Unmarshal([]byte(r.ResponseHeaders), &headers); err != nil {
		return fmt.Errorf("idempotency: stored headers: %w", err)
	}
	res := c.Response()
	for _, name := range keptHeaders {
		if v, ok := headers[name]; ok {
			res.Header().Set(name, v)
		}
	}
	res.Header().Set(HeaderReplayed, "true")
	res.WriteHeader(r.ResponseStatus)
	if len(r.ResponseBody) > 0 {
		if _, err := res.Write(r.ResponseBody); err != nil {
			return fmt.Errorf("idempotency: replay: %w", err)
		}
	}
	return nil
}

// recorder passes a response through to the client and keeps a copy of its
// status, the kept headers and the body.
type recorder struct {
	http.ResponseWriter
	status  int
	headers map[string]string
	body    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.headers = make(map[string]string, len(keptHeaders))
		for _, name := range keptHeaders {
			if v := r.Header().Get(name); v != "" {
				r.headers[name] = v
			}
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath, to flush
// or hijack.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// statusDone marks a key whose answer is kept; a key is otherwise
// 'in_progress'.
const statusDone = "done"

// record is a key's row as the middleware reads it.
type record struct {
	Status          string
	RequestHash     []byte
	ResponseStatus  int
	ResponseHeaders string
	ResponseBody    []byte
	ExpiresAt       time.Time
}

// claim inserts the key in progress, committed before the handler runs
// (with the claims of requests arriving meanwhile: see claimAll), and
// reports whether the key is now ours.
func (m *middleware) claim(ctx context.Context, userID uuid.UUID, key, method, path string, hash []byte, now time.Time) (bool, error) {
	return m.batches.claims.Do(ctx, claimRequest{userID: userID, key: key, method: method, path: path, hash: hash, now: now})
}

func (m *middleware) find(ctx context.Context, userID uuid.UUID, key string) (record, bool, error) {
	var r record
	res := m.db.Conn(ctx).Raw(`
		SELECT status, request_hash, COALESCE(response_status, 0) AS response_status,
		       COALESCE(response_headers::text, '{}') AS response_headers,
		       COALESCE(response_body, ''::bytea) AS response_body, expires_at
		FROM idempotency_keys WHERE user_id = ? AND key = ?`, userID, key).Scan(&r)
	if res.Error != nil {
		return record{}, false, fmt.Errorf("idempotency: look up key: %w", res.Error)
	}
	return r, res.RowsAffected > 0, nil
}

// complete keeps the answer (with the answers of requests finishing
// meanwhile: see completeAll). When it cannot, the key stays in progress:
// the handler's work is done, and running it again on a retry could repeat
// it; the lock timeout frees the key eventually.
func (m *middleware) complete(ctx context.Context, l lock, status int, headers map[string]string, body []byte) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if _, err := m.batches.completions.Do(ctx, completion{lock: l, status: status, headers: headers, body: body}); err != nil {
		m.opts.Log.ErrorContext(ctx, "idempotency: record answer", "user_id", l.userID, "key", l.key, "err", err)
	}
}

// release deletes our claim so a retry runs the handler again.
func (m *middleware) release(ctx context.Context, l lock) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	err := m.db.Conn(ctx).Exec(`
		DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND status = 'in_progress' AND created_at = ?`,
		l.userID, l.key, l.claimedAt).Error
	if err != nil {
		m.opts.Log.ErrorContext(ctx, "idempotency: release key", "user_id", l.userID, "key", l.key, "err", err)
	}
}

// Purge deletes the keys that expired before now and reports how many.
func Purge(ctx context.Context, db *database.DB, now time.Time) (int64, error) {
	res := db.Conn(ctx).Exec(`DELETE FROM idempotency_keys WHERE expires_at < ?`, now.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("idempotency: purge: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// TypePurge is the periodic task that removes expired keys.
const TypePurge = "idempotency:purge"

// HandlePurge removes the expired keys of db; running it twice is harmless.
func HandlePurge(db *database.DB) func(context.Context, *asynq.Task) error {
	return func(ctx context.Context, _ *asynq.Task) error {
		_, err := Purge(ctx, db, time.Now())
		return err
	}
}
