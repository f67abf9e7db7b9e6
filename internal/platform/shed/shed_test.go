package shed

import (
	"context"
	"testing"
	"time"
)

// clock is a time a test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fullGate returns a gate of one place, taken, on a hand-moved clock.
func fullGate(t *testing.T) (*Gate, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	g := New(1, time.Millisecond)
	g.now = c.now
	release, _ := g.Enter(context.Background())
	if release == nil {
		t.Fatal("the first caller was turned away from an empty gate")
	}
	return g, c
}

func TestTheWaitAskedGrowsWithTheCrowdTurnedAwayAgainstTheRateLetIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		entered        int // let in during the second before (one place, taken and given back)
		turned         int // turned away during it
		wantRetryAfter int
	}{
		{"nobody turned away before: a second", 10, 0, 1},
		{"fewer turned away than let in: a second", 10, 5, 1},
		{"twice as many turned away as let in: two seconds", 10, 20, 2},
		{"a crowd forty times the rate: capped", 10, 400, MaxRetryAfter},
		{"one let in, seven turned away: seven seconds", 0, 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
			g := New(1, time.Millisecond)
			g.now = c.now
			for range tt.entered {
				release, _ := g.Enter(context.Background())
				if release == nil {
					t.Fatal("turned away from a free place")
				}
				release()
			}
			hold, _ := g.Enter(context.Background())
			for range tt.turned {
				if release, _ := g.Enter(context.Background()); release != nil {
					t.Fatal("let in while the one place is taken")
				}
			}
			c.t = c.t.Add(time.Second)
			release, retryAfter := g.Enter(context.Background())
			if release != nil {
				t.Fatal("let in while the one place is taken")
			}
			if retryAfter != tt.wantRetryAfter {
				t.Errorf("Retry-After = %d s, want %d", retryAfter, tt.wantRetryAfter)
			}
			hold()
		})
	}
}

func TestAQuietSecondForgetsTheCrowd(t *testing.T) {
	t.Parallel()
	g, c := fullGate(t)
	for range 50 {
		g.Enter(context.Background())
	}
	c.t = c.t.Add(3 * time.Second)
	if _, retryAfter := g.Enter(context.Background()); retryAfter != 1 {
		t.Errorf("Retry-After after two quiet seconds = %d, want 1", retryAfter)
	}
}

func TestACallerWaitsForAPlaceGivenBackInTime(t *testing.T) {
	t.Parallel()
	g := New(1, time.Minute)
	hold, _ := g.Enter(context.Background())
	go func() {
		time.Sleep(10 * time.Millisecond)
		hold()
	}()
	release, retryAfter := g.Enter(context.Background())
	if release == nil {
		t.Fatalf("turned away (Retry-After %d) though the place came free within the wait", retryAfter)
	}
	release()
}

func TestACallerWhoseRequestEndsIsTurnedAwayAtOnce(t *testing.T) {
	t.Parallel()
	g := New(1, time.Minute)
	hold, _ := g.Enter(context.Background())
	defer hold()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if release, retryAfter := g.Enter(ctx); release != nil || retryAfter < 1 {
		t.Errorf("Enter(ended request) = %v, %d; want turned away with a wait", release != nil, retryAfter)
	}
}
