package idempotency

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/coalesce"
	"github.com/corpu/corpu/internal/platform/database"
)

// Under a burst (an exam's learners all starting, then all submitting) every
// request claims a key before its handler and completes it after: two
// commits each. The claims and the completions that arrive while one batch
// of them is being written go out together as the next batch, one statement
// and one commit for many requests (coalesce.Batcher).

// claimRequest is one request's claim of its key.
type claimRequest struct {
	userID       uuid.UUID
	key          string
	method, path string
	hash         []byte
	now          time.Time
}

// claimAll inserts each key in progress, or takes over a row that expired or
// that the same request left in progress for longer than the lock timeout,
// and reports which keys are now ours. Of two claims of one key in a batch
// only the first is tried: the second then finds it in progress, as it
// would have one after the other.
func (m *middleware) claimAll(claims []claimRequest) ([]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	var (
		users                database.UUIDArray
		keys, methods, paths database.TextArray
		hashes               database.Array[[]byte]
		createdAt, expiresAt database.Array[time.Time]
		tried                = map[lockKey]int{}
		ordered              = keyOrder(len(claims), func(i int) lockKey { return lockKey{claims[i].userID, claims[i].key} })
	)
	for _, i := range ordered {
		c := claims[i]
		if _, dup := tried[lockKey{c.userID, c.key}]; dup {
			continue
		}
		tried[lockKey{c.userID, c.key}] = i
		users, keys, methods, paths = append(users, c.userID), append(keys, c.key), append(methods, c.method), append(paths, c.path)
		hashes, createdAt, expiresAt = append(hashes, c.hash), append(createdAt, c.now), append(expiresAt, c.now.Add(m.opts.TTL))
	}
	var won []struct {
		UserID uuid.UUID
		Key    string
	}
	err := database.RetryDeadlocks(func() error {
		won = won[:0]
		return m.db.Conn(ctx).Raw(`
			INSERT INTO idempotency_keys (user_id, key, method, path, request_hash, status, created_at, expires_at)
			SELECT v.user_id, v.key, v.method, v.path, v.hash, 'in_progress', v.created_at, v.expires_at
			FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::bytea[], ?::timestamptz[], ?::timestamptz[])
				AS v(user_id, key, method, path, hash, created_at, expires_at)
			ON CONFLICT (user_id, key) DO UPDATE SET
				method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
				status = 'in_progress', response_status = NULL, response_headers = NULL, response_body = NULL,
				created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
			WHERE idempotency_keys.expires_at < EXCLUDED.created_at
			   OR (idempotency_keys.status = 'in_progress'
			       AND idempotency_keys.request_hash = EXCLUDED.request_hash
			       AND idempotency_keys.created_at < EXCLUDED.created_at - ? * interval '1 microsecond')
			RETURNING user_id, key`,
			users, keys, methods, paths, hashes, createdAt, expiresAt, m.opts.LockTimeout.Microseconds()).Scan(&won).Error
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency: claim %d keys: %w", len(users), err)
	}
	ours := make([]bool, len(claims))
	for _, w := range won {
		ours[tried[lockKey{w.UserID, w.Key}]] = true
	}
	return ours, nil
}

// completion is one request's answer to keep under its claimed key.
type completion struct {
	lock    lock
	status  int
	headers map[string]string
	body    []byte
}

// completeAll keeps the answers of the keys still claimed as their locks
// say; a key taken over meanwhile keeps its new claim.
func (m *middleware) completeAll(done []completion) ([]struct{}, error) {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	var (
		users         database.UUIDArray
		keys, headers database.TextArray
		claimedAt     database.Array[time.Time]
		statuses      database.Array[int32]
		bodies        database.Array[[]byte]
	)
	for _, i := range keyOrder(len(done), func(i int) lockKey { return lockKey{done[i].lock.userID, done[i].lock.key} }) {
		d := done[i]
		h := d.headers
		if h == nil {
			h = map[string]string{}
		}
		encoded, err := json.Marshal(h)
		if err != nil {
			return nil, fmt.Errorf("idempotency: encode headers: %w", err)
		}
		body := d.body
		if body == nil {
			body = []byte{}
		}
		users, keys, claimedAt = append(users, d.lock.userID), append(keys, d.lock.key), append(claimedAt, d.lock.claimedAt)
		statuses, headers, bodies = append(statuses, int32(d.status)), append(headers, string(encoded)), append(bodies, body)
	}
	err := database.RetryDeadlocks(func() error {
		return m.db.Conn(ctx).Exec(`
			UPDATE idempotency_keys k SET status = 'done', response_status = v.status, response_headers = v.headers::jsonb,
				response_body = v.body, expires_at = ?
			FROM unnest(?::uuid[], ?::text[], ?::timestamptz[], ?::int[], ?::text[], ?::bytea[])
				AS v(user_id, key, claimed_at, status, headers, body)
			WHERE k.user_id = v.user_id AND k.key = v.key AND k.status = 'in_progress' AND k.created_at = v.claimed_at`,
			m.opts.now().Add(m.opts.TTL), users, keys, claimedAt, statuses, headers, bodies).Error
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency: record %d answers: %w", len(users), err)
	}
	return make([]struct{}, len(done)), nil
}

// lockKey is a key as its owner holds it.
type lockKey struct {
	userID uuid.UUID
	key    string
}

// keyOrder returns the indexes 0..n-1 ordered by key, so that two batches
// lock the rows they share in the same order.
func keyOrder(n int, keyOf func(i int) lockKey) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := keyOf(i), keyOf(j)
		if c := bytes.Compare(a.userID[:], b.userID[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	return order
}

// batches are the middleware's claims and completions in flight.
type batches struct {
	claims      *coalesce.Batcher[claimRequest, bool]
	completions *coalesce.Batcher[completion, struct{}]
}

func (m *middleware) startBatches() {
	m.batches = batches{claims: coalesce.New(m.claimAll), completions: coalesce.New(m.completeAll)}
}
