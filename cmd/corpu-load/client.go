package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pacer spaces requests evenly to hold a total rate; a nil pacer does not wait.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// newPacer returns a pacer for rate requests per second, or nil for 0 (no limit).
func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{interval: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the caller's slot comes, or ctx ends. Slots missed while every
// worker was busy are not made up in a burst.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	slot := p.next
	p.next = p.next.Add(p.interval)
	p.mu.Unlock()
	d := time.Until(slot)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// client talks to the server under load and records every request.
type client struct {
	http     *http.Client
	baseURL  string
	password string
	timeout  time.Duration
	rec      *recorder
	pace     *pacer
}

// newHTTPClient returns the one HTTP client every worker shares, keeping a connection
// per worker alive.
func newHTTPClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConns = workers + 10
	t.MaxIdleConnsPerHost = workers
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}

// session is one signed-in learner's tokens.
type session struct {
	login   string
	access  string
	refresh string
	// mu serialises renewals where several goroutines share the session
	// (an exam learner's two attempts polled at once): two refreshes of one
	// token would present it twice, and the second is refused as a reuse.
	mu sync.Mutex
}

// token returns the session's current access token.
func (s *session) token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access
}

// renewOnce renews the session unless another goroutine already did since
// stale (the access token that was refused) was read.
func (c *client) renewOnce(ctx context.Context, s *session, stale string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != stale {
		return nil
	}
	return c.renew(ctx, s)
}

// tokens is the answer of login and refresh.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// renew trades the session's refresh token for new tokens, or signs in again when
// the refresh token no longer works.
func (c *client) renew(ctx context.Context, s *session) error {
	var t tokens
	out, err := c.send(ctx, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.refresh}, &t)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	c.rec.record(kindRefresh, out.status, out.elapsed, err)
	if err == nil && ok(out.status) {
		s.access, s.refresh = t.AccessToken, t.RefreshToken
		return nil
	}
	fresh, err := c.signIn(ctx, s.login)
	if err != nil {
		return err
	}
	s.access, s.refresh = fresh.access, fresh.refresh
	return nil
}

// signIn signs in as login, backing off after a 429 (for Retry-After, or about a
// second) and trying again until ctx ends. Any other failure is returned.
func (c *client) signIn(ctx context.Context, login string) (*session, error) {
	body := map[string]string{"login": login, "password": c.password}
	for {
		var t tokens
		out, err := c.send(ctx, http.MethodPost, "/api/v1/auth/login", "", body, &t)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.rec.record(kindLogin, out.status, out.elapsed, err)
		switch {
		case err != nil:
			return nil, fmt.Errorf("sign in as %s: %w", login, err)
		case ok(out.status):
			return &session{login: login, access: t.AccessToken, refresh: t.RefreshToken}, nil
		case out.status != http.StatusTooManyRequests:
			return nil, fmt.Errorf("sign in as %s: HTTP %d", login, out.status)
		}
		if err := sleep(ctx, backoff(out.retryAfter)); err != nil {
			return nil, err
		}
	}
}

// backoff is how long to wait after a 429 or 503: what Retry-After asked
// for (about a second when it asked nothing), and up to as long again, so
// the workers turned away together come back spread over the wait the
// server asked for rather than all at its end.
func backoff(retryAfter time.Duration) time.Duration {
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	return retryAfter + rand.N(retryAfter)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// send makes one request with its own timeout and reads the whole answer, decoding a
// 2xx JSON body into into when given. err is a transport (or decoding) failure, not a
// non-2xx status.
func (c *client) send(ctx context.Context, method, path, bearer string, body, into any) (outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, method, path, bearer, body)
	if err != nil {
		return outcome{}, err
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return outcome{elapsed: time.Since(start)}, err
	}
	defer resp.Body.Close()
	if into != nil && ok(resp.StatusCode) {
		err = json.NewDecoder(resp.Body).Decode(into)
	}
	if _, cerr := io.Copy(io.Discard, resp.Body); err == nil {
		err = cerr
	}
	out := outcome{status: resp.StatusCode, elapsed: time.Since(start), retryAfter: retryAfter(resp.Header)}
	if err != nil {
		out.status = 0
	}
	return out, err
}

// retryAfter reads a Retry-After header given in seconds (0 when absent or a date).
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, time.Minute)
}

// newRequest builds a request with a JSON body (when given) and a bearer token (when
// given).
func (c *client) newRequest(ctx context.Context, method, path, bearer string, body any) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "corpu-load")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return req, nil
}

// ok reports whether status is a success.
func ok(status int) bool {
	return status >= 200 && status <= 299
}
