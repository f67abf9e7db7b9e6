package queue

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// TestAPeriodicTaskRunsOncePerTickWhateverTheNumberOfWorkers runs two
// workers, each with its scheduler, on one Redis namespace, and a third that
// comes late to a tick already done: each tick runs once.
func TestAPeriodicTaskRunsOncePerTickWhateverTheNumberOfWorkers(t *testing.T) {
	t.Parallel()
	rdb, names := NewTestRedis(t)
	const taskType = "test:tick"
	var mu sync.Mutex
	runs := map[time.Time]int{}
	handler := func(_ context.Context, task *asynq.Task) error {
		tick, err := TickOf(task)
		if err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond) // finishes, releasing any uniqueness lock, before the next worker's enqueue
		mu.Lock()
		runs[tick]++
		mu.Unlock()
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	workers := make([]*Worker, 2)
	for i := range workers {
		w := NewWorker(rdb, names, WorkerOptions{Concurrency: 2, Log: discard})
		w.Handle(taskType, handler)
		if err := w.Every("@every 1s", taskType, Low); err != nil {
			t.Fatal(err)
		}
		workers[i] = w
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(ctx) }()
		time.Sleep(300 * time.Millisecond) // the second worker starts later, as in a rolling deployment
	}
	t.Cleanup(func() { stop(); wg.Wait() }) // before Redis closes

	time.Sleep(3 * time.Second)
	mu.Lock()
	var first time.Time
	for tick := range runs {
		if first.IsZero() || tick.Before(first) {
			first = tick
		}
	}
	mu.Unlock()
	if first.IsZero() {
		t.Fatal("no tick ran in 3 s")
	}
	// A worker whose clock lags enqueues a tick that has run already.
	if err := workers[1].enqueueTick(ctx, workers[1].periodic[0], first); err != nil {
		t.Fatalf("late enqueue: %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // the servers poll an empty queue every second

	mu.Lock()
	defer mu.Unlock()
	if len(runs) < 3 {
		t.Errorf("%d ticks ran in 4.5 s, want at least 3", len(runs))
	}
	for tick, n := range runs {
		if n != 1 {
			t.Errorf("tick %s ran %d times, want once", tick.Format(time.RFC3339), n)
		}
	}
}

func TestEveryRefusesABadCronSpec(t *testing.T) {
	t.Parallel()
	rdb, names := NewTestRedis(t)
	w := NewWorker(rdb, names, WorkerOptions{Log: discard})
	if err := w.Every("every hour", "test:tick", Low); err == nil {
		t.Error("Every accepted a cron spec that is not one")
	}
}
