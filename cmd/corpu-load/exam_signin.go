package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// cachedToken is one learner's tokens in the cache file.
type cachedToken struct {
	Access    string    `json:"access_token"`
	Refresh   string    `json:"refresh_token"`
	ExpiresAt time.Time `json:"expires_at"` // zero: unknown, refresh before use
}

// tokenFile is the cache file: base URL → login → tokens.
type tokenFile map[string]map[string]cachedToken

// loadTokens reads the cache file (empty when there is none or it cannot be read).
func loadTokens(path string) tokenFile {
	f := tokenFile{}
	if path == "" {
		return f
	}
	b, err := os.ReadFile(path)
	if err == nil {
		_ = json.Unmarshal(b, &f)
	}
	if f == nil {
		f = tokenFile{}
	}
	return f
}

// tokenGrant is the answer of login and refresh with the access token's lifetime.
type tokenGrant struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// expiresAt is when the grant's access token expires (zero when not said).
func (g tokenGrant) expiresAt(now time.Time) time.Time {
	if g.ExpiresIn <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(g.ExpiresIn) * time.Second)
}

// signInAll gives every learner a session before the exam clock starts: from the
// cache when the access token still has a minute to live, by refreshing it when it
// does not (cheap), else by signing in (an argon2id hash on the server), at most
// -signin-workers at once. It returns the sessions in the order of learners, the
// fresh sign-ins, the learners served from the cache and how long the sign-ins took.
func (e *exam) signInAll(ctx context.Context, learners []learner) ([]*session, int64, int64, time.Duration, error) {
	cache := loadTokens(e.cfg.tokenCache)[e.cfg.baseURL]
	sessions := make([]*session, len(learners))
	e.expiry, e.issued = make([]time.Time, len(learners)), make([]string, len(learners))
	var stale, unknown []int
	now := time.Now()
	for i, l := range learners {
		t, found := cache[l.login]
		switch {
		case found && t.ExpiresAt.After(now.Add(time.Minute)):
			sessions[i] = &session{login: l.login, access: t.Access, refresh: t.Refresh}
			e.expiry[i], e.issued[i] = t.ExpiresAt, t.Access
		case found && t.Refresh != "":
			stale = append(stale, i)
		default:
			unknown = append(unknown, i)
		}
	}
	var cached atomic.Int64
	cached.Store(int64(len(learners) - len(stale) - len(unknown)))
	var mu sync.Mutex
	e.pool(ctx, len(stale), 16, func(j int) {
		i := stale[j]
		t := cache[learners[i].login]
		var g tokenGrant
		r, err := e.c.call(ctx, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": t.Refresh}, nil)
		if err == nil && ok(r.status) && json.Unmarshal(r.body, &g) == nil && g.AccessToken != "" {
			sessions[i] = &session{login: learners[i].login, access: g.AccessToken, refresh: g.RefreshToken}
			e.expiry[i], e.issued[i] = g.expiresAt(time.Now()), g.AccessToken
			cached.Add(1)
			return
		}
		mu.Lock()
		unknown = append(unknown, i)
		mu.Unlock()
	})
	if len(unknown) > 0 {
		e.logf("signing in %d learners, %d at once", len(unknown), e.cfg.signInWorkers)
	}
	begin := time.Now()
	var signedIn atomic.Int64
	var firstErr error
	e.pool(ctx, len(unknown), e.cfg.signInWorkers, func(j int) {
		i := unknown[j]
		s, exp, err := e.signIn(ctx, e.c, learners[i].login, e.cfg.learnerPassword)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		sessions[i], e.expiry[i], e.issued[i] = s, exp, s.access
		if n := signedIn.Add(1); n%500 == 0 {
			e.logf("%d of %d signed in (%.1f/s)", n, len(unknown), float64(n)/time.Since(begin).Seconds())
		}
	})
	took := time.Since(begin)
	e.saveTokens(sessions)
	if firstErr != nil {
		return nil, 0, 0, 0, firstErr
	}
	if ctx.Err() != nil {
		return nil, 0, 0, 0, ctx.Err()
	}
	return sessions, signedIn.Load(), cached.Load(), took, nil
}

// signIn signs in as login, backing off for Retry-After while the server is busy
// (503: hashing is bounded; 429: too many from this address).
func (e *exam) signIn(ctx context.Context, c *client, login, password string) (*session, time.Time, error) {
	body := map[string]string{"login": login, "password": password}
	for {
		r, err := c.call(ctx, http.MethodPost, "/api/v1/auth/login", "", body, nil)
		if ctx.Err() != nil {
			return nil, time.Time{}, ctx.Err()
		}
		c.rec.record(kindLogin, r.status, r.elapsed, err)
		var g tokenGrant
		switch {
		case err != nil:
			return nil, time.Time{}, fmt.Errorf("sign in as %s: %w", login, err)
		case ok(r.status) && json.Unmarshal(r.body, &g) == nil:
			return &session{login: login, access: g.AccessToken, refresh: g.RefreshToken}, g.expiresAt(time.Now()), nil
		case !r.busy():
			return nil, time.Time{}, fmt.Errorf("sign in as %s: HTTP %d %s", login, r.status, problemText(r.body))
		}
		if err := sleep(ctx, backoff(r.retryAfter)); err != nil {
			return nil, time.Time{}, err
		}
	}
}

// saveTokens writes the sessions' tokens to the cache file under this URL, keeping
// the other URLs'. A session renewed during the run has an unknown expiry, so the
// next run refreshes it first.
func (e *exam) saveTokens(sessions []*session) {
	if e.cfg.tokenCache == "" {
		return
	}
	e.tokenMu.Lock()
	defer e.tokenMu.Unlock()
	f := loadTokens(e.cfg.tokenCache)
	entries := f[e.cfg.baseURL]
	if entries == nil {
		entries = map[string]cachedToken{}
	}
	for i, s := range sessions {
		if s == nil {
			continue
		}
		t := cachedToken{Access: s.access, Refresh: s.refresh}
		if i < len(e.expiry) && s.access == e.issued[i] {
			t.ExpiresAt = e.expiry[i]
		}
		entries[s.login] = t
	}
	f[e.cfg.baseURL] = entries
	b, err := json.Marshal(f)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(e.cfg.tokenCache), 0o700)
	}
	if err == nil {
		tmp := e.cfg.tokenCache + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, e.cfg.tokenCache)
		}
	}
	if err != nil {
		e.logf("token cache: %v", err)
	}
}
