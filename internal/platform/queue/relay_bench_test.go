package queue

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/database"
)

// BenchmarkRelayEventsOfTwoConsumers relays events the way an exam's
// grading records them (quiz:attempt-graded has two consumers) and reports
// rows relayed per second; an exam of 20,000 needs several hundred a second
// for grading alone.
func BenchmarkRelayEventsOfTwoConsumers(b *testing.B) {
	db := database.NewTestDB(b)
	rdb, names := NewTestRedis(b)
	bus := NewBus(db, discard)
	nothing := func(context.Context, *asynq.Task) error { return nil }
	bus.Subscribe(testEvent, "first", nothing)
	bus.Subscribe(testEvent, "second", nothing)
	relay := bus.Relay(rdb, names, discard)
	outbox := NewOutbox(db)
	ctx := context.Background()
	jobs := make([]Job, b.N)
	for i := range jobs {
		jobs[i] = Job{Type: testEvent, Payload: map[string]int{"n": i}}
	}
	for start := 0; start < len(jobs); start += 1000 {
		if _, err := outbox.AddAll(ctx, jobs[start:min(start+1000, len(jobs))]); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	relayed := 0
	for relayed < b.N {
		n, err := relay.RelayOnce(ctx)
		if err != nil || n == 0 {
			b.Fatalf("RelayOnce = %d, %v after %d of %d", n, err, relayed, b.N)
		}
		relayed += n
	}
	b.ReportMetric(float64(relayed)/b.Elapsed().Seconds(), "rows/s")
}
