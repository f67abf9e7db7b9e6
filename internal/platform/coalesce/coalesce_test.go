package coalesce

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// double answers each input twice over and records the batches it saw.
type double struct {
	mu      sync.Mutex
	batches [][]int
	gate    chan struct{} // when set, the first batch waits for it
}

func (d *double) run(ins []int) ([]int, error) {
	d.mu.Lock()
	d.batches = append(d.batches, append([]int(nil), ins...))
	first := len(d.batches) == 1
	d.mu.Unlock()
	if first && d.gate != nil {
		<-d.gate
	}
	outs := make([]int, len(ins))
	for i, in := range ins {
		outs[i] = 2 * in
	}
	return outs, nil
}

func TestACallAloneIsABatchOfOne(t *testing.T) {
	d := &double{}
	b := New(d.run)
	for i := 1; i <= 3; i++ {
		got, err := b.Do(context.Background(), i)
		if err != nil || got != 2*i {
			t.Fatalf("Do(%d) = %d, %v; want %d", i, got, err, 2*i)
		}
	}
	if len(d.batches) != 3 {
		t.Fatalf("batches = %v, want three of one", d.batches)
	}
}

func TestCallsArrivingWhileABatchIsInFlightShareTheNextBatch(t *testing.T) {
	d := &double{gate: make(chan struct{})}
	b := New(d.run)
	results := make(chan error, 11)
	call := func(in int) {
		got, err := b.Do(context.Background(), in)
		if err == nil && got != 2*in {
			err = errors.New("wrong answer")
		}
		results <- err
	}
	go call(100)
	waitFor(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return len(d.batches) == 1 })
	for i := 1; i <= 10; i++ {
		go call(i)
	}
	waitFor(t, func() bool { return b.Queued() == 10 })
	close(d.gate)
	for range 11 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if len(d.batches) != 2 || len(d.batches[1]) != 10 {
		t.Fatalf("batches = %v, want the first alone and the ten queued behind it together", d.batches)
	}
}

func TestABatchThatFailsOrPanicsFailsItsCallersAndTheNextBatchStillRuns(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name string
		run  func(ins []int) ([]int, error)
	}{
		{"error", func([]int) ([]int, error) { return nil, boom }},
		{"panic", func([]int) ([]int, error) { panic("boom") }},
		{"too few answers", func([]int) ([]int, error) { return nil, nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fail := true
			b := New(func(ins []int) ([]int, error) {
				if fail {
					fail = false
					return tc.run(ins)
				}
				return []int{7}, nil
			})
			if _, err := b.Do(context.Background(), 1); err == nil {
				t.Fatal("the failed batch answered without an error")
			}
			if got, err := b.Do(context.Background(), 1); err != nil || got != 7 {
				t.Fatalf("the next batch = %d, %v; want 7", got, err)
			}
		})
	}
}

func TestACallerWhoseContextEndsStopsWaiting(t *testing.T) {
	d := &double{gate: make(chan struct{})}
	defer close(d.gate)
	b := New(d.run)
	go b.Do(context.Background(), 1) //nolint:errcheck // holds the first batch open
	waitFor(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return len(d.batches) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := b.Do(ctx, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
