// Package memo holds bounded in-process caches. Memo keeps values that never
// change once they are cached: a published course version's items, the
// quizzes of published versions, the question versions attempts used.
// Fresh keeps values that may change for a moment only. When full, either
// starts over rather than tracking use; a miss costs one read.
package memo

import "sync"

// Memo maps keys to values that never change; it is safe for concurrent use.
type Memo[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	max int
}

// New returns an empty Memo that holds up to max values.
func New[K comparable, V any](max int) *Memo[K, V] {
	return &Memo[K, V]{m: make(map[K]V), max: max}
}

// Get returns the value cached under k, if any.
func (c *Memo[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

// Put caches v under k, emptying the memo first when it is full.
func (c *Memo[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		c.m = make(map[K]V)
	}
	c.m[k] = v
}
