package password

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// These tests change the process's limits, so they do not run in parallel:
// Go runs them before the parallel ones, which find the defaults restored.

func TestHashingRunsAtMostTheConfiguredNumberAtOnceAndTurnsTheRestAway(t *testing.T) {
	SetLimits(Limits{Concurrency: 2, Queue: 3, Wait: 10 * time.Second})
	t.Cleanup(func() { SetLimits(Limits{}) })
	g := current.Load()
	// 8 MiB, two passes: a few milliseconds each, long enough to pile up.
	p := Params{Memory: 8 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	const callers = 30
	var (
		wg          sync.WaitGroup
		start       = make(chan struct{})
		mu          sync.Mutex
		done, busy  int
		otherErrors []error
	)
	for range callers {
		wg.Go(func() {
			<-start
			_, err := HashWith("Rendang&Kopi42", p)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				done++
			case errors.Is(err, ErrBusy):
				busy++
			default:
				otherErrors = append(otherErrors, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(otherErrors) > 0 {
		t.Fatalf("HashWith errors = %v, want nil or ErrBusy", otherErrors)
	}
	if peak := g.peak.Load(); peak > 2 {
		t.Errorf("%d hashes ran at once, want at most 2", peak)
	}
	if done < 5 || busy == 0 || done+busy != callers {
		t.Errorf("%d hashed and %d turned away of %d, want at least 5 (2 running + 3 queued) hashed and some turned away", done, busy, callers)
	}
	if g.waiting.Load() != 0 {
		t.Errorf("%d still counted as waiting after every call returned", g.waiting.Load())
	}
}

func TestAHashThatWaitsTooLongIsTurnedAway(t *testing.T) {
	SetLimits(Limits{Concurrency: 1, Queue: 1, Wait: 20 * time.Millisecond})
	t.Cleanup(func() { SetLimits(Limits{}) })
	release, err := acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	begin := time.Now()
	if _, err := Verify("Rendang&Kopi42", "$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$zT/0NDr7pW472H9SrBccwdUAsKhNsx8yjra2fL93n5A"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Verify while the only slot is taken = %v, want ErrBusy", err)
	}
	if waited := time.Since(begin); waited < 20*time.Millisecond || waited > time.Second {
		t.Errorf("Verify waited %v, want about 20ms", waited)
	}
}

func TestBusyIsA429WithRetryAfterEvenWhenWrapped(t *testing.T) {
	err := apperr.As(fmt.Errorf("verify password of user x: %w", ErrBusy))
	if err.Kind != apperr.KindRateLimited || err.RetryAfter <= 0 {
		t.Errorf("wrapped ErrBusy = kind %v, Retry-After %d; want rate limited (429) with Retry-After", err.Kind, err.RetryAfter)
	}
}
