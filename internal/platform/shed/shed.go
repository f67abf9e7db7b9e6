// Package shed turns away work a process has no place for, and tells each
// caller turned away when to come back in proportion to the crowd.
//
// A fixed Retry-After does not shed a crowd: under an exam's start burst,
// 20,000 learners told "one second" come back together every second, and
// answering their retries took more of the two cores than the work the
// server had let in. A Gate therefore counts, second by second, the callers
// it let in and those it turned away, and asks the turned away to wait
// about as many seconds as it would take to let them all in at the rate it
// has just shown: they come back spread out, no faster than the work they
// wait for can be done.
package shed

import (
	"context"
	"sync"
	"time"
)

// MaxRetryAfter bounds the wait a Gate asks for, in seconds. At 30 a
// 20,000-learner exam's start burst stretched: a learner turned away
// several times waited 30–60 s each time while others got in, up to nine
// minutes in all (docs/performance.md); ten seconds still spreads such a
// crowd's retries to about 1,300 a second, which a process turns away
// cheaply.
const MaxRetryAfter = 10

// Gate lets at most a fixed number of callers work at once.
type Gate struct {
	places chan struct{}
	wait   time.Duration
	now    func() time.Time

	mu      sync.Mutex
	second  time.Time // the second counted now
	counted counts    // in this second
	last    counts    // in the second before, or zero when it saw none
}

type counts struct{ entered, turned int }

// New returns a gate of maxInFlight places at which a caller waits up to
// wait for a place before it is turned away.
func New(maxInFlight int, wait time.Duration) *Gate {
	return &Gate{places: make(chan struct{}, maxInFlight), wait: wait, now: time.Now}
}

// Enter takes a place, waiting up to the gate's wait for one, and returns
// the function that gives it back. A caller that gets none (or whose ctx
// ends first) gets no release function and the seconds to wait before it
// comes back.
func (g *Gate) Enter(ctx context.Context) (release func(), retryAfter int) {
	select {
	case g.places <- struct{}{}:
		return g.entered(), 0
	default:
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.places <- struct{}{}:
		return g.entered(), 0
	case <-timer.C:
	case <-ctx.Done():
	}
	return nil, g.turnedAway()
}

func (g *Gate) entered() func() {
	g.mu.Lock()
	g.tick()
	g.counted.entered++
	g.mu.Unlock()
	return func() { <-g.places }
}

// turnedAway counts a caller turned away and returns how long it should
// wait: the callers turned away in the last full second divided by those
// let in during it (the rate at which the gate gets through its work),
// rounded up, at least a second and at most MaxRetryAfter.
func (g *Gate) turnedAway() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tick()
	g.counted.turned++
	crowd, rate := max(g.last.turned, g.counted.turned), max(g.last.entered, 1)
	return min(max((crowd+rate-1)/rate, 1), MaxRetryAfter)
}

// tick moves the counts on when a new second began.
func (g *Gate) tick() {
	second := g.now().Truncate(time.Second)
	if second.Equal(g.second) {
		return
	}
	if second.Sub(g.second) == time.Second {
		g.last = g.counted
	} else {
		g.last = counts{}
	}
	g.second, g.counted = second, counts{}
}
