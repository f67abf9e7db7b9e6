package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/platform/database"
)

const testEvent = "test:happened"

// busWorld is a bus over a test database and a test Redis namespace, with a
// table the consumers write their effects to.
type busWorld struct {
	t      *testing.T
	db     *database.DB
	rdb    redis.UniversalClient
	names  Names
	bus    *Bus
	outbox *Outbox
	relay  *Relay
}

func newBusWorld(t *testing.T) *busWorld {
	t.Helper()
	db := database.NewTestDB(t)
	rdb, names := NewTestRedis(t)
	if err := db.Conn(context.Background()).Exec(`CREATE TABLE test_effects (consumer text NOT NULL, event_id uuid NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	bus := NewBus(db, discard)
	return &busWorld{t: t, db: db, rdb: rdb, names: names, bus: bus, outbox: NewOutbox(db), relay: bus.Relay(rdb, names, discard)}
}

// effect is a consumer that records its effect in the handler's transaction
// and then asks fail whether to fail (rolling the effect back).
func (w *busWorld) effect(name string, fail func() bool) Handler {
	return func(ctx context.Context, t *asynq.Task) error {
		id, err := EventID(ctx)
		if err != nil {
			return err
		}
		if err := w.db.Conn(ctx).Exec("INSERT INTO test_effects VALUES (?, ?)", name, id).Error; err != nil {
			return err
		}
		if fail != nil && fail() {
			return errors.New(name + " is failing")
		}
		return nil
	}
}

func (w *busWorld) effects(consumer string) int {
	w.t.Helper()
	var n int
	if err := w.db.Conn(context.Background()).Raw("SELECT count(*) FROM test_effects WHERE consumer = ?", consumer).Scan(&n).Error; err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *busWorld) publish() uuid.UUID {
	w.t.Helper()
	id, err := w.outbox.Add(context.Background(), Job{Type: testEvent, Payload: map[string]int{"n": 1}})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// publishMany records n test events and returns their ids.
func (w *busWorld) publishMany(n int) []uuid.UUID {
	w.t.Helper()
	events := make([]uuid.UUID, n)
	for i := range events {
		events[i] = w.publish()
	}
	return events
}

func (w *busWorld) relayAll() {
	w.t.Helper()
	if _, err := w.relay.RelayOnce(context.Background()); err != nil {
		w.t.Fatalf("RelayOnce: %v", err)
	}
}

// runWorker runs the bus's handlers with quick retries until the test ends.
func (w *busWorld) runWorker() {
	w.t.Helper()
	worker := NewWorker(w.rdb, w.names, WorkerOptions{
		Concurrency: 4, ShutdownTimeout: time.Second, Log: discard,
		RetryDelay:         func(int, error, *asynq.Task) time.Duration { return 100 * time.Millisecond },
		RetryCheckInterval: 200 * time.Millisecond,
	})
	if err := w.bus.Mount(worker); err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = worker.Run(ctx) }()
	w.t.Cleanup(func() { cancel(); <-done })
}

// delivery reads the ledger row of (event, consumer).
func (w *busWorld) delivery(event uuid.UUID, consumer string) (done bool, failures int) {
	w.t.Helper()
	var row struct {
		Done     bool
		Failures int
	}
	if err := w.db.Conn(context.Background()).Raw(`SELECT done_at IS NOT NULL AS done, failures FROM outbox_deliveries
		WHERE event_id = ? AND consumer = ?`, event, consumer).Scan(&row).Error; err != nil {
		w.t.Fatal(err)
	}
	return row.Done, row.Failures
}

func (w *busWorld) waitDone(event uuid.UUID, consumers ...string) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		all := true
		for _, c := range consumers {
			if done, _ := w.delivery(event, c); !done {
				all = false
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("deliveries of %s to %v not all done within 20 s", event, consumers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loseRedis deletes every key of the test's namespace, as a Redis restarted
// without persistence would.
func (w *busWorld) loseRedis() {
	w.t.Helper()
	ctx := context.Background()
	keys, err := w.rdb.Keys(ctx, "asynq:{"+w.names.namespace+":*").Result()
	if err != nil {
		w.t.Fatal(err)
	}
	if len(keys) == 0 {
		w.t.Fatal("the namespace holds no keys to lose")
	}
	if err := w.rdb.Del(ctx, keys...).Err(); err != nil {
		w.t.Fatal(err)
	}
}

func TestAFailingConsumerNeitherBlocksNorRepeatsTheOthers(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	var mailed atomic.Int32
	var certificateFailures atomic.Int32
	w.bus.Subscribe(testEvent, "mail", func(ctx context.Context, task *asynq.Task) error {
		if err := w.effect("mail", nil)(ctx, task); err != nil {
			return err
		}
		mailed.Add(1)
		return nil
	})
	// The certificate consumer fails until the mail went out, and at least
	// twice: the mail must not wait for it, nor be sent again by its retries.
	w.bus.Subscribe(testEvent, "certificate", w.effect("certificate", func() bool {
		if mailed.Load() == 0 || certificateFailures.Load() < 2 {
			certificateFailures.Add(1)
			return true
		}
		return false
	}))
	if got := w.bus.Consumers(testEvent); len(got) != 2 || got[0] != "certificate" || got[1] != "mail" {
		t.Fatalf("Consumers() = %v", got)
	}
	event := w.publish()
	w.relayAll()
	w.runWorker()
	w.waitDone(event, "mail", "certificate")

	if n := w.effects("mail"); n != 1 {
		t.Errorf("mail effects = %d, want exactly 1 while the certificate consumer failed and retried", n)
	}
	if n := w.effects("certificate"); n != 1 {
		t.Errorf("certificate effects = %d, want 1 (failed runs roll back)", n)
	}
	if _, failures := w.delivery(event, "certificate"); failures < 2 {
		t.Errorf("certificate failures recorded = %d, want at least 2", failures)
	}
	if _, failures := w.delivery(event, "mail"); failures != 0 {
		t.Errorf("mail failures recorded = %d, want 0", failures)
	}
	if n := testutil.ToFloat64(w.bus.runs.WithLabelValues(testEvent, "certificate", "failed")); n < 2 {
		t.Errorf("corpu_outbox_consumer_runs_total{certificate,failed} = %v, want at least 2", n)
	}
}

func TestADuplicateTaskChangesNothingTwice(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.Subscribe(testEvent, "mail", w.effect("mail", nil))
	w.bus.Subscribe(testEvent, "evidence", w.effect("evidence", nil))
	event := w.publish()
	w.relayAll()
	w.runWorker()
	w.waitDone(event, "mail", "evidence")

	client := asynq.NewClientFromRedisClient(w.rdb)
	dups := []struct{ taskType, id string }{
		{testEvent + "@mail", event.String() + "@mail-again"}, // one consumer's task, again
		{testEvent, event.String() + "@again"},                // the bare event, as relayed before the bus
	}
	for _, d := range dups {
		if _, err := client.Enqueue(asynq.NewTask(d.taskType, []byte(`{"n":1}`)), asynq.TaskID(d.id), asynq.Queue(w.names.Of(Default))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for testutil.ToFloat64(w.bus.runs.WithLabelValues(testEvent, "mail", "skipped")) < 2 ||
		testutil.ToFloat64(w.bus.runs.WithLabelValues(testEvent, "evidence", "skipped")) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the duplicate tasks did not run within 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range []string{"mail", "evidence"} {
		if n := w.effects(c); n != 1 {
			t.Errorf("%s effects after duplicate tasks = %d, want 1", c, n)
		}
	}
}

func TestABareEventTaskFromBeforeTheBusRunsEveryConsumerOnce(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.Subscribe(testEvent, "mail", w.effect("mail", nil))
	w.bus.Subscribe(testEvent, "evidence", w.effect("evidence", nil))
	event := w.publish()
	// What the relay used to send: the event's own type, the row id.
	client := asynq.NewClientFromRedisClient(w.rdb)
	if _, err := client.Enqueue(asynq.NewTask(testEvent, []byte(`{"n":1}`)), asynq.TaskID(event.String()), asynq.Queue(w.names.Of(Default))); err != nil {
		t.Fatal(err)
	}
	w.runWorker()
	w.waitDone(event, "mail", "evidence")
	if w.effects("mail") != 1 || w.effects("evidence") != 1 {
		t.Errorf("effects = mail %d, evidence %d; want 1 each", w.effects("mail"), w.effects("evidence"))
	}
}

func TestWhatRedisLostIsSentAgainAndRunsOnce(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.Subscribe(testEvent, "mail", w.effect("mail", nil))
	w.bus.Subscribe(testEvent, "certificate", w.effect("certificate", nil))
	w.relay.RedeliverAfter = 0
	ctx := context.Background()
	event := w.publish()
	w.relayAll()

	// While Redis holds the tasks, a redelivery sends nothing.
	if n, err := w.relay.RedeliverOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RedeliverOnce(tasks held) = %d, %v; want 0", n, err)
	}
	if got := pendingTasks(t, w.rdb, w.names, Default); got != 2 {
		t.Fatalf("tasks pending = %d, want 2 (one per consumer)", got)
	}

	w.loseRedis()
	if n, err := w.relay.RedeliverOnce(ctx); err != nil || n != 2 {
		t.Fatalf("RedeliverOnce(after Redis lost the tasks) = %d, %v; want 2", n, err)
	}
	w.runWorker()
	w.waitDone(event, "mail", "certificate")

	// Done deliveries are never sent again, even when Redis forgets them.
	w.loseRedis()
	if n, err := w.relay.RedeliverOnce(ctx); err != nil || n != 0 {
		t.Errorf("RedeliverOnce(all done) = %d, %v; want 0", n, err)
	}
	if w.effects("mail") != 1 || w.effects("certificate") != 1 {
		t.Errorf("effects = mail %d, certificate %d; want 1 each", w.effects("mail"), w.effects("certificate"))
	}
}

func TestARecentDeliveryIsNotSentAgain(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.Subscribe(testEvent, "mail", w.effect("mail", nil))
	w.publish()
	w.relayAll()
	w.loseRedis()
	if n, err := w.relay.RedeliverOnce(context.Background()); err != nil || n != 0 {
		t.Errorf("RedeliverOnce(relayed a moment ago) = %d, %v; want 0 before RedeliverAfter", n, err)
	}
}

func TestAJobOnTheBusKeepsItsTypeAndIsTracked(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	var ran atomic.Int32
	w.bus.Handle("test:job", func(ctx context.Context, task *asynq.Task) error {
		if task.Type() != "test:job" {
			t.Errorf("job task type = %s, want test:job", task.Type())
		}
		ran.Add(1)
		return nil
	}, OwnTransactions(), OnQueue(Low))
	w.bus.Declare("test:nobody-listens")
	id, err := w.outbox.Add(context.Background(), Job{Type: "test:job", Payload: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.outbox.Add(context.Background(), Job{Type: "test:nobody-listens", Payload: 1}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.relay.RelayOnce(context.Background()); err != nil || n != 2 {
		t.Fatalf("RelayOnce() = %d, %v; want 2", n, err)
	}
	if got := pendingTasks(t, w.rdb, w.names, Low); got != 1 {
		t.Errorf("tasks sent = %d, want 1 (the job; the declared event has no consumer)", got)
	}
	w.runWorker()
	w.waitDone(id, jobConsumer)
	if ran.Load() != 1 {
		t.Errorf("job ran %d times, want 1", ran.Load())
	}
}

func TestAConsumerThatRefusesForGoodIsNotSentAgain(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.Subscribe(testEvent, "mail", func(context.Context, *asynq.Task) error {
		return errors.New("the mail server is down")
	}, WithMaxRetry(1000))
	w.bus.Subscribe(testEvent, "bad", func(context.Context, *asynq.Task) error {
		return errors.Join(errors.New("malformed"), asynq.SkipRetry)
	})
	w.relay.RedeliverAfter = 0
	event := w.publish()
	w.relayAll()
	w.runWorker()
	// Wait until the refusing consumer gave up and the mail consumer has
	// failed at least once, so the metrics below see both settled states.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var settled bool
		if err := w.db.Conn(context.Background()).Raw(`SELECT
			bool_or(consumer = 'bad' AND gave_up_at IS NOT NULL) AND bool_or(consumer = 'mail' AND failures > 0)
			FROM outbox_deliveries WHERE event_id = ?`, event).Scan(&settled).Error; err != nil {
			t.Fatal(err)
		}
		if settled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("within 15 s the refusing consumer was not marked as given up or the mail consumer had not failed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.loseRedis()
	// The retrying mail consumer is sent again (once its running attempt, if
	// any, lets go of its row); the one that gave up is not.
	deadline = time.Now().Add(10 * time.Second)
	for {
		n, err := w.relay.RedeliverOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("RedeliverOnce() = %d; want 1 (the retrying mail consumer)", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var sends int
	if err := w.db.Conn(context.Background()).Raw(`SELECT sends FROM outbox_deliveries WHERE event_id = ? AND consumer = 'bad'`, event).Scan(&sends).Error; err != nil {
		t.Fatal(err)
	}
	if sends != 1 {
		t.Errorf("the consumer that gave up was sent %d times, want 1", sends)
	}

	collector := NewCollector(w.db, w.rdb, w.names)
	want := `
# HELP corpu_outbox_deliveries_open Deliveries relayed to a consumer and not done, by event type and consumer; failing ones have failed at least once.
# TYPE corpu_outbox_deliveries_open gauge
corpu_outbox_deliveries_open{consumer="bad",event="test:happened",state="given_up"} 1
corpu_outbox_deliveries_open{consumer="mail",event="test:happened",state="failing"} 1
# HELP corpu_outbox_scrape_error 1 when the outbox could not be read at this scrape.
# TYPE corpu_outbox_scrape_error gauge
corpu_outbox_scrape_error 0
`
	if err := testutil.CollectAndCompare(collector, strings.NewReader(want), "corpu_outbox_deliveries_open", "corpu_outbox_scrape_error"); err != nil {
		t.Errorf("metrics: %v", err)
	}
}

func TestPurgeDeletesOnlyOldRowsNothingIsOwedTo(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.Subscribe(testEvent, "mail", w.effect("mail", nil))
	ctx := context.Background()
	conn := w.db.Conn(ctx)
	events := map[string]uuid.UUID{}
	for _, name := range []string{"old done", "old owed", "old given up", "old untracked", "recent done", "never relayed"} {
		events[name] = w.publish()
	}
	if err := conn.Exec("UPDATE outbox SET relayed_at = now() - interval '10 days' WHERE id <> ?", events["never relayed"]).Error; err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec("UPDATE outbox SET relayed_at = now() WHERE id = ?", events["recent done"]).Error; err != nil {
		t.Fatal(err)
	}
	for name, done := range map[string]string{"old done": "done_at", "old owed": "", "old given up": "gave_up_at", "recent done": "done_at"} {
		if err := conn.Exec("INSERT INTO outbox_deliveries (event_id, consumer) VALUES (?, 'mail')", events[name]).Error; err != nil {
			t.Fatal(err)
		}
		if done != "" {
			if err := conn.Exec("UPDATE outbox_deliveries SET "+done+" = now() WHERE event_id = ?", events[name]).Error; err != nil {
				t.Fatal(err)
			}
		}
	}

	n, err := w.outbox.Purge(ctx, 7*24*time.Hour)
	if err != nil || n != 3 {
		t.Fatalf("Purge() = %d, %v; want 3 (old done, old given up, old untracked)", n, err)
	}
	for name, id := range events {
		var rows, deliveries int
		conn.Raw("SELECT count(*) FROM outbox WHERE id = ?", id).Scan(&rows)
		conn.Raw("SELECT count(*) FROM outbox_deliveries WHERE event_id = ?", id).Scan(&deliveries)
		kept := name == "old owed" || name == "recent done" || name == "never relayed"
		if (rows == 1) != kept {
			t.Errorf("%s: outbox rows left = %d, want kept=%v", name, rows, kept)
		}
		if !kept && deliveries != 0 {
			t.Errorf("%s: delivery rows left = %d, want 0 (they go with the event)", name, deliveries)
		}
	}
}

func TestSweepsRunAsTheirOwnTasks(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	var mu sync.Mutex
	ran := map[string]int{}
	for _, name := range []string{"grading", "certificates"} {
		w.bus.Reconcile(name, "*/10 * * * *", func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			ran[name]++
			if name == "grading" {
				return errors.New("grading store down")
			}
			return nil
		})
	}
	w.runWorker()
	client := NewClient(w.rdb, w.names)
	for _, name := range []string{"grading", "certificates"} {
		if err := client.Enqueue(context.Background(), "queue:reconcile:"+name, struct{}{}, Low); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		g, c := ran["grading"], ran["certificates"]
		mu.Unlock()
		if g >= 2 && c == 1 {
			break // the failing sweep retried on its own; the other ran once
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweeps ran grading %d, certificates %d times; want grading retried, certificates once", g, c)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWiringMistakesPanic(t *testing.T) {
	t.Parallel()
	bus := NewBus(nil, discard)
	bus.Subscribe(testEvent, "mail", nil)
	bus.Handle("test:job", nil)
	tests := []struct {
		name string
		fn   func()
	}{
		{"a consumer twice", func() { bus.Subscribe(testEvent, "mail", nil) }},
		{"a consumer name with @", func() { bus.Subscribe(testEvent, "a@b", nil) }},
		{"an event type with @", func() { bus.Subscribe("x@y", "mail", nil) }},
		{"a job that is an event", func() { bus.Handle(testEvent, nil) }},
		{"an event that is a job", func() { bus.Subscribe("test:job", "mail", nil) }},
		{"a sweep with a bad schedule", func() { bus.Reconcile("grading", "every now and then", nil) }},
		{"a batched job already handled", func() { bus.HandleBatches("test:job", 10, nil) }},
		{"a batch of no job", func() { bus.HandleBatches("test:batched", 0, nil) }},
		{"a batch in transactions of its own", func() { bus.Subscribe(testEvent, "own", nil, InBatchesOf(10), OwnTransactions()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.fn()
		})
	}
}

func TestAJobGivenALongerTimeOutKeepsItWhenSentAndSentAgain(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.Handle("test:long-job", func(context.Context, *asynq.Task) error { return nil }, OwnTransactions(), WithTimeout(6*time.Hour))
	w.bus.Handle("test:short-job", func(context.Context, *asynq.Task) error { return nil })
	w.relay.RedeliverAfter = 0
	ctx := context.Background()
	for _, typ := range []string{"test:long-job", "test:short-job"} {
		if _, err := w.outbox.Add(ctx, Job{Type: typ, Payload: 1}); err != nil {
			t.Fatal(err)
		}
	}
	timeouts := func(when string) map[string]time.Duration {
		t.Helper()
		tasks, err := asynq.NewInspectorFromRedisClient(w.rdb).ListPendingTasks(w.names.Of(Default))
		if err != nil {
			t.Fatalf("%s: list pending tasks: %v", when, err)
		}
		got := map[string]time.Duration{}
		for _, task := range tasks {
			got[task.Type] = task.Timeout
		}
		return got
	}
	want := func(when string, got map[string]time.Duration) {
		t.Helper()
		if got["test:long-job"] != 6*time.Hour {
			t.Errorf("%s: the long job's time-out = %v, want 6h", when, got["test:long-job"])
		}
		if d, ok := got["test:short-job"]; !ok || d == 6*time.Hour {
			t.Errorf("%s: the short job's time-out = %v (sent: %v), want Asynq's default", when, d, ok)
		}
	}
	w.relayAll()
	want("relayed", timeouts("relayed"))
	w.loseRedis()
	if n, err := w.relay.RedeliverOnce(ctx); err != nil || n != 2 {
		t.Fatalf("RedeliverOnce(after Redis lost the tasks) = %d, %v; want 2", n, err)
	}
	want("sent again", timeouts("sent again"))
}
