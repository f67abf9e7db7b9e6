package queue

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// failingAfter is a go-redis hook that lets n commands through and fails
// every one after, as a Redis that goes down in the middle of a batch.
type failingAfter struct{ n atomic.Int64 }

func (f *failingAfter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (f *failingAfter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.n.Add(-1) < 0 {
			return errors.New("test: redis went away")
		}
		return next(ctx, cmd)
	}
}
func (f *failingAfter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func TestARelayThatLosesRedisMidBatchMarksOnlyTheRowsRedisTookEveryTaskOf(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.Subscribe(testEvent, "first", w.effect("first", nil))
	w.bus.Subscribe(testEvent, "second", w.effect("second", nil))
	const events = 60
	for range events {
		w.publish()
	}
	client := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	t.Cleanup(func() { _ = client.Close() })
	hook := &failingAfter{}
	// An enqueue is one command or a few: Redis takes about half the 120
	// tasks.
	// The relay sends in order, relaySendsAtOnce at a time, so the first
	// events are sent whole whatever the order of those in flight.
	hook.n.Store(60)
	client.AddHook(hook)
	ctx := context.Background()

	n, err := w.bus.Relay(client, w.names, discard).RelayOnce(ctx)
	if err != nil {
		t.Fatalf("RelayOnce(redis lost mid-batch) = %v", err)
	}
	var rows []struct {
		ID       uuid.UUID
		Relayed  bool
		Attempts int
		Sends    int // the deliveries' sends, summed
	}
	if err := w.db.Conn(ctx).Raw(`SELECT o.id, o.relayed_at IS NOT NULL AS relayed, o.attempts, COALESCE(sum(d.sends), 0) AS sends
		FROM outbox o LEFT JOIN outbox_deliveries d ON d.event_id = o.id GROUP BY o.id ORDER BY o.created_at, o.id`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	relayed, failed, sends := 0, 0, 0
	for _, r := range rows {
		if r.Relayed {
			relayed++
			if r.Sends != 2 {
				t.Errorf("relayed event %s has %d sends recorded, want 2", r.ID, r.Sends)
			}
		}
		failed += r.Attempts
		sends += r.Sends
	}
	if relayed != n || n == 0 || n >= events {
		t.Errorf("RelayOnce reported %d relayed, the table %d; want the same, some but not all %d", n, relayed, events)
	}
	if failed != 1 {
		t.Errorf("rows noting a failed attempt = %d, want the one whose send failed first", failed)
	}
	// Redis holds what it took; the deliveries count what the relay tried:
	// those taken, and the failures in flight when the first came back, not
	// the tasks it never tried.
	tasks := pendingTasks(t, w.rdb, w.names, Default)
	if tasks < 2*relayed || tasks >= 2*events {
		t.Errorf("Redis holds %d tasks; want both of the %d relayed events, and not all", tasks, relayed)
	}
	if sends < tasks || sends > tasks+relaySendsAtOnce {
		t.Errorf("deliveries record %d sends; want the %d tasks Redis took plus at most %d failed in flight", sends, tasks, relaySendsAtOnce)
	}

	// Redis back: the rest are relayed, and each consumer runs once per event.
	if n, err := w.relay.RelayOnce(ctx); err != nil || n != events-relayed {
		t.Fatalf("RelayOnce(redis back) = %d, %v; want the %d left", n, err, events-relayed)
	}
	if got := pendingTasks(t, w.rdb, w.names, Default); got != 2*events {
		t.Errorf("tasks in Redis = %d, want one per event and consumer, %d", got, 2*events)
	}
}

// A worker may take a task before the relay that sent it has committed its
// delivery row (the relay sends, then commits): a job marking its own done
// then must wait for that row, not miss it and leave the job to be sent
// again.
func TestAJobMarkedDoneBeforeItsRelayCommitsIsDone(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	ctx := context.Background()
	id, err := w.outbox.Add(ctx, Job{Type: "test:own", Payload: 1})
	if err != nil {
		t.Fatal(err)
	}
	relay := w.db.Conn(ctx).Begin()
	if err := relay.Exec(`SELECT 1 FROM outbox WHERE id = ? FOR UPDATE`, id).Error; err != nil {
		t.Fatal(err)
	}
	if err := relay.Exec(`INSERT INTO outbox_deliveries (event_id, consumer, sends) VALUES (?, ?, 1)`, id, jobConsumer).Error; err != nil {
		t.Fatal(err)
	}
	marked := make(chan error, 1)
	go func() { marked <- w.outbox.JobsDone(ctx, []uuid.UUID{id}) }()
	time.Sleep(200 * time.Millisecond) // the job's transaction meets the relay's row
	if err := relay.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-marked; err != nil {
		t.Fatalf("JobsDone = %v", err)
	}
	if done, _ := w.delivery(id, jobConsumer); !done {
		t.Error("the job marked done while its relay was committing is not done")
	}
}
