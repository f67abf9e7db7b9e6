package password

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// ErrBusy is returned by Hash, HashWith and Verify when every hashing slot is
// taken and the queue waiting for one is full (or the wait ran out): the
// caller answers 429 with Retry-After and the client retries. Each argon2id
// hash holds its memory (64 MiB with DefaultParams) while it runs, so running
// them without a bound lets a burst of sign-ins exhaust the server's memory.
// It is 429, not 503: the server is well, the callers ask more than the bound
// it keeps on purpose (503 is for a dependency that cannot answer, such as a
// saturated connection pool).
var ErrBusy = apperr.New(apperr.KindRateLimited, "auth.busy",
	"Terlalu banyak permintaan masuk saat ini; coba lagi sebentar lagi.",
	"Too many sign-ins are being checked right now; try again in a moment.").WithRetryAfter(2)

// Limits bound password hashing in this process.
type Limits struct {
	// Concurrency is how many hashes run at once; runtime.GOMAXPROCS(0) when
	// zero. Memory for hashing is at most Concurrency × the hash's memory.
	Concurrency int
	// Queue is how many more may wait for a slot; 16 × Concurrency when
	// zero, none when negative. Beyond it, ErrBusy at once.
	Queue int
	// Wait is the longest one waits in the queue before ErrBusy; 5 s when zero.
	Wait time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.Concurrency <= 0 {
		l.Concurrency = runtime.GOMAXPROCS(0)
	}
	switch {
	case l.Queue == 0:
		l.Queue = 16 * l.Concurrency
	case l.Queue < 0:
		l.Queue = 0
	}
	if l.Wait <= 0 {
		l.Wait = 5 * time.Second
	}
	return l
}

// gate is a semaphore with a bounded queue.
type gate struct {
	limits  Limits
	slots   chan struct{}
	waiting atomic.Int64 // those holding a slot or waiting for one
	peak    atomic.Int64 // the most hashes that ever ran at once
	running atomic.Int64
}

func newGate(l Limits) *gate {
	l = l.withDefaults()
	return &gate{limits: l, slots: make(chan struct{}, l.Concurrency)}
}

var current atomic.Pointer[gate]

func init() { current.Store(newGate(Limits{})) }

// SetLimits bounds hashing from now on; hashes already running finish under
// the old bound.
func SetLimits(l Limits) { current.Store(newGate(l)) }

// acquire takes a slot, waiting in the queue when there is room in it, and
// returns the function that gives the slot back.
func acquire() (func(), error) {
	g := current.Load()
	if g.waiting.Add(1) > int64(g.limits.Concurrency+g.limits.Queue) {
		g.waiting.Add(-1)
		return nil, ErrBusy
	}
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.limits.Wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			g.waiting.Add(-1)
			return nil, ErrBusy
		}
	}
	if n := g.running.Add(1); n > g.peak.Load() {
		g.peak.Store(n) // racy max, good enough for a test's check
	}
	return func() {
		g.running.Add(-1)
		<-g.slots
		g.waiting.Add(-1)
	}, nil
}
