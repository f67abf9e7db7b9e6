package identity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/coalesce"
	"github.com/corpu/corpu/internal/platform/database"
)

// ActorCacheConfig configures the actor cache. Zero fields take the defaults
// noted.
type ActorCacheConfig struct {
	// TTL is the longest an entry is used; 2 minutes. Each use also checks
	// the entry's versions in Redis, so a change stops an entry at once; the
	// TTL only bounds how long a change Redis never heard of (Redis down at
	// that moment, unnoticed by this process) can go unseen. It is longer
	// than an exam's 30-second autosave, so a learner's saves find their
	// caller here instead of reloading them (two queries and a signature
	// check) on every save. Negative turns the cache off.
	TTL time.Duration
	// Size is how many access tokens the cache holds at most; 50,000 (a
	// national exam's learners, each entry a few KiB).
	Size int
}

func (c ActorCacheConfig) withDefaults() ActorCacheConfig {
	if c.TTL == 0 {
		c.TTL = 2 * time.Minute
	}
	if c.Size <= 0 {
		c.Size = 50_000
	}
	return c
}

// actorCache keeps, per access token, the caller an authenticated request
// acts as (the session's user and their grants: two queries) for a short
// while, in this process only.
//
// Every process sees changes at once through two version keys in Redis, one
// per user and one for everyone: an entry records the versions it was loaded
// under, and each use reads both keys (one MGET, no database) and drops the
// entry when either moved. Whatever changes who a user is or may do
// (sign-out, revoked sessions, grants, status, transfers, passwords,
// organisation moves) calls userChanged or everyoneChanged, which set the key
// to a fresh random value once the transaction commits. The versions are read
// before the database, so a load racing with a change is tagged with the
// version from before it and never outlives it. When Redis does not answer,
// the cache is bypassed: requests go to the database as before.
type actorCache struct {
	rdb    redis.UniversalClient
	prefix string
	cfg    ActorCacheConfig
	log    *slog.Logger

	mu      sync.RWMutex
	entries map[string]*cachedActor

	// redisDownUntil (unix nanoseconds) skips Redis, and so the cache, for a
	// moment after it failed, so a dead Redis does not slow every request.
	redisDownUntil atomic.Int64
	// missedChanges is set when Redis failed: changes published meanwhile
	// may never have reached it, so the first answer after it returns
	// empties the cache.
	missedChanges atomic.Bool

	// reads sends the version keys of the requests that arrive while one
	// MGET is in flight as the next MGET.
	reads *coalesce.Batcher[uuid.UUID, [2]string]

	hits, misses atomic.Int64
}

// cachedActor is one authenticated session's caller.
type cachedActor struct {
	actor     *authz.Actor
	principal *principal
	session   uuid.UUID
	expiresAt time.Time // the access token's expiry or the TTL, whichever is first
	versions  [2]string // of the user and of everyone, when loaded
}

// principal is the signed-in user as the middleware loaded them; /me answers
// from it rather than loading them again.
type principal struct {
	user   userRow
	grants []RoleGrant
}

func newActorCache(rdb redis.UniversalClient, prefix string, cfg ActorCacheConfig) *actorCache {
	c := &actorCache{rdb: rdb, prefix: prefix + "actor:v:", cfg: cfg.withDefaults(), log: slog.Default(),
		entries: map[string]*cachedActor{}}
	c.reads = coalesce.New(c.readVersions)
	return c
}

// SetActorCache replaces the actor cache's configuration, empties it and
// zeroes its counts. It is meant for start-up, before requests arrive.
func (a *Auth) SetActorCache(cfg ActorCacheConfig) {
	c := a.actors
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg = cfg.withDefaults()
	clear(c.entries)
	c.hits.Store(0)
	c.misses.Store(0)
}

// ActorCacheStats returns how many authenticated requests found their
// caller in the cache and how many loaded them from the database.
func (a *Auth) ActorCacheStats() (hits, misses int64) {
	return a.actors.hits.Load(), a.actors.misses.Load()
}

func (c *actorCache) enabled() bool { return c != nil && c.cfg.TTL > 0 }

func (c *actorCache) userKey(id uuid.UUID) string { return c.prefix + "user:" + id.String() }
func (c *actorCache) allKey() string              { return c.prefix + "all" }

// versions reads the version keys of a user; ok is false when Redis did not
// answer, and then nothing may be cached.
//
// Requests that arrive while a read is in flight queue for the next one, so
// under load one MGET answers many requests; each request's read is still
// sent after it arrived, so it sees every change published before it.
func (c *actorCache) versions(ctx context.Context, userID uuid.UUID) (v [2]string, ok bool) {
	if time.Now().UnixNano() < c.redisDownUntil.Load() {
		return v, false
	}
	v, err := c.reads.Do(ctx, userID)
	return v, err == nil
}

// readVersions reads the version keys of users and everyone's key in one
// MGET: each user's version (empty when it never changed, or so long ago the
// key expired) beside everyone's.
func (c *actorCache) readVersions(users []uuid.UUID) ([][2]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	keys := make([]string, 0, len(users)+1)
	for _, id := range users {
		keys = append(keys, c.userKey(id))
	}
	keys = append(keys, c.allKey())
	vals, err := c.rdb.MGet(ctx, keys...).Result()
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("MGET of %d keys answered %d values", len(keys), len(vals))
	}
	if err != nil {
		c.redisDown(err)
		return nil, err
	}
	if c.missedChanges.CompareAndSwap(true, false) {
		c.mu.Lock()
		clear(c.entries)
		c.mu.Unlock()
	}
	all, _ := vals[len(vals)-1].(string)
	out := make([][2]string, len(users))
	for i := range users {
		out[i][0], _ = vals[i].(string)
		out[i][1] = all
	}
	return out, nil
}

// redisDown notes that Redis failed: the cache is skipped for a second, and
// emptied when Redis answers again.
func (c *actorCache) redisDown(err error) {
	c.missedChanges.Store(true)
	c.redisDownUntil.Store(time.Now().Add(time.Second).UnixNano())
	c.log.Warn("actor cache: Redis does not answer; authenticating from the database", "error", err)
}

// get returns the cached caller of an access token, if there is one still
// good, and else the current versions to tag a fresh load with.
func (c *actorCache) get(ctx context.Context, bearer string, now time.Time) (e *cachedActor, v [2]string, vok bool) {
	c.mu.RLock()
	e = c.entries[bearer]
	c.mu.RUnlock()
	if e == nil {
		return nil, v, false
	}
	if !now.Before(e.expiresAt) {
		c.drop(bearer, e)
		return nil, v, false
	}
	// The entry must also still be held after the versions were read: the
	// read empties the cache when Redis just came back.
	if v, vok = c.versions(ctx, e.actor.UserID); !vok || v != e.versions || !c.holds(bearer, e) {
		c.drop(bearer, e)
		return nil, v, vok
	}
	return e, v, true
}

func (c *actorCache) holds(bearer string, e *cachedActor) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.entries[bearer] == e
}

func (c *actorCache) drop(bearer string, e *cachedActor) {
	c.mu.Lock()
	if c.entries[bearer] == e {
		delete(c.entries, bearer)
	}
	c.mu.Unlock()
}

// put caches an access token's caller, making room when the cache is full:
// first by dropping what expired, then whatever the map yields first.
func (c *actorCache) put(bearer string, e *cachedActor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.cfg.Size {
		now := time.Now()
		for k, old := range c.entries {
			if !now.Before(old.expiresAt) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.cfg.Size*9/10 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[bearer] = e
}

// userChanged makes every process forget the cached callers of users, once
// the transaction in ctx commits. Call it wherever a user's sessions, grants,
// status, home organisation or profile change.
func (c *actorCache) userChanged(ctx context.Context, userIDs ...uuid.UUID) {
	if c == nil || len(userIDs) == 0 {
		return
	}
	keys := make([]string, len(userIDs))
	for i, id := range userIDs {
		keys[i] = c.userKey(id)
	}
	database.AfterCommit(ctx, func(ctx context.Context) { c.bump(ctx, keys...) })
}

// everyoneChanged makes every process forget every cached caller, once the
// transaction in ctx commits: for changes that reach many users at once
// (organisation moves, HR imports).
func (c *actorCache) everyoneChanged(ctx context.Context) {
	if c == nil {
		return
	}
	database.AfterCommit(ctx, func(ctx context.Context) { c.bump(ctx, c.allKey()) })
}

// bump gives keys fresh random versions, kept a minute longer than any entry
// lives. Random values, unlike counters, cannot come back to an old version
// after Redis lost a key.
func (c *actorCache) bump(ctx context.Context, keys ...string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	version := hex.EncodeToString(b)
	pipe := c.rdb.Pipeline()
	for _, k := range keys {
		pipe.Set(ctx, k, version, max(c.cfg.TTL, 0)+time.Minute)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		// Other processes keep what they cached for at most the TTL; this
		// one drops everything now.
		c.mu.Lock()
		clear(c.entries)
		c.mu.Unlock()
		c.log.Error("actor cache: cannot publish a change; other processes may act on it for up to the TTL",
			"keys", keys, "ttl", c.cfg.TTL, "error", err)
	}
}

// authenticateSession checks an access token and returns its caller and
// session: from the cache when an entry is there and current, else from the
// database (session, user and grants), caching the result.
func (a *Auth) authenticateSession(ctx context.Context, bearer string) (*cachedActor, error) {
	c := a.actors
	now := a.now()
	var v [2]string
	vok := false
	if c.enabled() {
		var e *cachedActor
		if e, v, vok = c.get(ctx, bearer, now); e != nil {
			c.hits.Add(1)
			return e, nil
		}
		c.misses.Add(1)
	}
	claims, err := a.issuer.Verify(bearer)
	if err != nil {
		return nil, err
	}
	if claims.SessionID == uuid.Nil {
		return nil, token.ErrInvalidToken
	}
	if c.enabled() && !vok {
		// The versions are read before the database, so a change committed
		// while we load is newer than what the entry records.
		v, vok = c.versions(ctx, claims.UserID)
	}
	actor, p, err := a.svc.loadActor(ctx, claims.UserID, claims.SessionID)
	if err != nil {
		return nil, err
	}
	e := &cachedActor{actor: actor, principal: p, session: claims.SessionID, expiresAt: claims.ExpiresAt, versions: v}
	if c.enabled() && vok {
		e.expiresAt = minTime(e.expiresAt, now.Add(c.cfg.TTL))
		c.put(bearer, e)
	}
	return e, nil
}

// actorOf returns a copy of the entry's actor for one request: a handler may
// change its actor without touching the cached one.
func (e *cachedActor) actorOf() *authz.Actor {
	cp := *e.actor
	cp.Grants = slices.Clip(cp.Grants)
	return &cp
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// loadActor loads an active user signed in with a session and their
// grants, and the actor they make; a session signed out or revoked is an
// invalid token.
func (s *Service) loadActor(ctx context.Context, userID, sessionID uuid.UUID) (*authz.Actor, *principal, error) {
	u, err := s.store.sessionUser(ctx, userID, sessionID)
	if errors.Is(err, ErrUserNotFound) {
		return nil, nil, token.ErrInvalidToken
	}
	if err == nil && UserStatus(u.Status) != StatusActive {
		return nil, nil, authz.ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	grants, err := s.store.grantsOf(ctx, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("grants of %s: %w", userID, err)
	}
	a := &authz.Actor{UserID: u.ID, HomeOrgID: u.OrgID, HomeOrgPath: u.OrgPath, Grants: make([]authz.Grant, 0, len(grants))}
	for _, g := range grants {
		a.Grants = append(a.Grants, authz.Grant{ID: g.ID, Role: g.Role, OrgID: g.OrgID, OrgPath: g.OrgPath})
	}
	return a, &principal{user: u, grants: grants}, nil
}

type principalKey struct{}

// withPrincipal returns ctx carrying the signed-in user as authentication
// loaded them.
func withPrincipal(ctx context.Context, p *principal) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the signed-in user authentication loaded for the
// request, or nil (an API token, or a caller from elsewhere).
func principalFrom(ctx context.Context, userID uuid.UUID) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	if p == nil || p.user.ID != userID {
		return nil
	}
	return p
}
