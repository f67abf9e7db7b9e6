package memo

import "time"

// Fresh is a bounded in-process cache of values that may change, each used
// for at most its maximum age after it was read: for what a burst of
// requests reads again and again and may see a moment late (the questions
// of a quiz being started, the facts of the class it is taken in). A burst
// then reads a value once per maximum age instead of once per request.
type Fresh[K comparable, V any] struct {
	memo   *Memo[K, stamped[V]]
	maxAge time.Duration
	now    func() time.Time
}

type stamped[V any] struct {
	v  V
	at time.Time
}

// NewFresh returns an empty Fresh that holds up to max values, each for
// maxAge.
func NewFresh[K comparable, V any](max int, maxAge time.Duration) *Fresh[K, V] {
	return &Fresh[K, V]{memo: New[K, stamped[V]](max), maxAge: maxAge, now: time.Now}
}

// Get returns the value cached under k if it was read less than the
// maximum age ago.
func (c *Fresh[K, V]) Get(k K) (V, bool) {
	s, ok := c.memo.Get(k)
	if !ok || c.now().Sub(s.at) >= c.maxAge {
		var zero V
		return zero, false
	}
	return s.v, true
}

// Put caches v, read just now, under k.
func (c *Fresh[K, V]) Put(k K, v V) {
	c.memo.Put(k, stamped[V]{v: v, at: c.now()})
}

// Forget makes the next Get of k miss: for a change this process made,
// which it must see at once.
func (c *Fresh[K, V]) Forget(k K) {
	c.memo.Put(k, stamped[V]{})
}
