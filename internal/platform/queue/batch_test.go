package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/database"
)

const testBatchedJob = "test:batched"

// batchRecorder is a HandleBatches handler that records each job's effect
// and marks it done in one transaction per run, skipping the jobs whose
// effect exists (it is idempotent, as such a handler must be), and keeps
// the size of every batch it ran.
type batchRecorder struct {
	w *busWorld
	// failFirstAfter, when above 0, makes the first run commit that many
	// jobs and then fail.
	failFirstAfter int

	mu    sync.Mutex
	sizes []int
	runs  atomic.Int32
}

func (r *batchRecorder) handle(ctx context.Context, jobs []BatchedJob) error {
	r.mu.Lock()
	r.sizes = append(r.sizes, len(jobs))
	r.mu.Unlock()
	first := r.runs.Add(1) == 1
	if first && r.failFirstAfter > 0 {
		jobs = jobs[:r.failFirstAfter]
	}
	err := r.w.db.WithTx(ctx, func(ctx context.Context) error {
		ids := make([]uuid.UUID, len(jobs))
		for i, j := range jobs {
			var n int
			if err := json.Unmarshal(j.Payload, &n); err != nil {
				return err
			}
			if err := r.w.db.Conn(ctx).Exec(`INSERT INTO test_effects SELECT 'batched', ?
				WHERE NOT EXISTS (SELECT 1 FROM test_effects WHERE event_id = ?)`, j.ID, j.ID).Error; err != nil {
				return err
			}
			ids[i] = j.ID
		}
		return r.w.outbox.JobsDone(ctx, ids)
	})
	if err == nil && first && r.failFirstAfter > 0 {
		return errors.New("the first run stops after some of its jobs")
	}
	return err
}

func (r *batchRecorder) batchSizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.sizes...)
}

// waitAllDone waits until the deliveries of every one of events to the
// consumers are done.
func (w *busWorld) waitAllDone(events []uuid.UUID, consumers ...string) {
	w.t.Helper()
	for _, id := range events {
		w.waitDone(id, consumers...)
	}
}

// addJobs records n jobs of testBatchedJob, their payloads 1..n.
func (w *busWorld) addJobs(n int) []uuid.UUID {
	w.t.Helper()
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = Job{Type: testBatchedJob, Payload: i + 1, Queue: Critical}
	}
	ids, err := w.outbox.AddAll(context.Background(), jobs)
	if err != nil {
		w.t.Fatal(err)
	}
	return ids
}

func TestJobsOfABatchedTypeTravelInTasksOfUpToItsBatchSize(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	rec := &batchRecorder{w: w}
	w.bus.HandleBatches(testBatchedJob, 10, rec.handle)
	w.bus.Subscribe(testEvent, "first", w.effect("first", nil))
	ids := w.addJobs(25)
	event := w.publish()
	w.runWorker()
	w.relayAll()
	w.waitDone(event, "first")
	w.waitAllDone(ids, jobConsumer)
	sizes := rec.batchSizes()
	total := 0
	for _, n := range sizes {
		if n > 10 {
			t.Errorf("a task carried %d jobs, more than the batch size 10", n)
		}
		total += n
	}
	if len(sizes) != 3 || total != 25 {
		t.Errorf("batches %v, want three carrying the 25 jobs", sizes)
	}
	if got := w.effects("batched"); got != 25 {
		t.Errorf("effects = %d, want one per job", got)
	}
	if got := w.effects("first"); got != 1 {
		t.Errorf("the event's consumer ran %d times, want once beside the batches", got)
	}
}

// A batch that fails after committing some of its jobs runs again whole;
// the failure is noted only on the jobs it left undone.
func TestABatchThatFailsPartWayRunsAgainAndNotesTheFailureOnItsUndoneJobs(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	rec := &batchRecorder{w: w, failFirstAfter: 2}
	w.bus.HandleBatches(testBatchedJob, 10, rec.handle)
	ids := w.addJobs(5)
	w.runWorker()
	w.relayAll()
	w.waitAllDone(ids, jobConsumer)
	if got := w.effects("batched"); got != 5 {
		t.Errorf("effects = %d, want one per job", got)
	}
	for i, id := range ids {
		_, failures := w.delivery(id, jobConsumer)
		if want := map[bool]int{true: 0, false: 1}[i < 2]; failures != want {
			t.Errorf("job %d: %d failures noted, want %d", i+1, failures, want)
		}
	}
	if got := rec.batchSizes(); len(got) != 2 || got[0] != 5 || got[1] != 5 {
		t.Errorf("runs carried %v jobs, want 5 and 5 again", got)
	}
}

// Redelivery sends each undone job of a batch Redis lost again, alone.
func TestTheJobsOfABatchRedisLostAreSentAgainOneByOne(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	rec := &batchRecorder{w: w}
	w.bus.HandleBatches(testBatchedJob, 10, rec.handle)
	ids := w.addJobs(3)
	w.relayAll()
	w.loseRedis()
	w.relay.RedeliverAfter = 0
	if n, err := w.relay.RedeliverOnce(context.Background()); err != nil || n != 3 {
		t.Fatalf("RedeliverOnce(after Redis lost the batch) = %d, %v; want 3", n, err)
	}
	w.runWorker()
	w.waitAllDone(ids, jobConsumer)
	if got := rec.batchSizes(); len(got) != 3 || got[0] != 1 {
		t.Errorf("runs carried %v jobs, want three runs of one", got)
	}
	if got := w.effects("batched"); got != 3 {
		t.Errorf("effects = %d, want one per job", got)
	}
}

// A relay that crashed after Redis took a batch, before marking its rows,
// claims the same rows again: the batch's id is the same, and Redis
// refuses it as a duplicate.
func TestABatchRelayedTwiceIsSentOnce(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	w.bus.HandleBatches(testBatchedJob, 10, (&batchRecorder{w: w}).handle)
	w.addJobs(4)
	w.relayAll()
	if err := w.db.Conn(context.Background()).Exec("UPDATE outbox SET relayed_at = NULL").Error; err != nil {
		t.Fatal(err)
	}
	if n, err := w.relay.RelayOnce(context.Background()); err != nil || n != 4 {
		t.Fatalf("RelayOnce(replay) = %d, %v; want 4 marked relayed", n, err)
	}
	if got := pendingTasks(t, w.rdb, w.names, Critical); got != 1 {
		t.Errorf("tasks in queue after a replay = %d, want the one batch", got)
	}
}

func TestAConsumerInBatchesRunsEachEventOnceInOneTransactionPerBatch(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	var tasks atomic.Int32
	effect := w.effect("batched", nil)
	w.bus.Subscribe(testEvent, "batched", func(ctx context.Context, task *asynq.Task) error {
		if id, _ := asynq.GetTaskID(ctx); strings.HasSuffix(id, "+10@batched") {
			tasks.Add(1)
		}
		return effect(ctx, task)
	}, InBatchesOf(10))
	w.bus.Subscribe(testEvent, "alone", w.effect("alone", nil))
	events := w.publishMany(20)
	w.runWorker()
	w.relayAll()
	w.waitAllDone(events, "batched", "alone")
	var distinct int
	if err := w.db.Conn(context.Background()).Raw(`SELECT count(DISTINCT event_id) FROM test_effects WHERE consumer = 'batched'
		AND event_id = ANY(?::uuid[])`, database.UUIDArray(events)).Scan(&distinct).Error; err != nil {
		t.Fatal(err)
	}
	if got := w.effects("batched"); got != 20 || distinct != 20 {
		t.Errorf("the batched consumer's effects = %d naming %d of the events, want one for each of the 20", got, distinct)
	}
	if got := tasks.Load(); got != 20 {
		t.Errorf("%d handler runs came in tasks of ten, want all 20", got)
	}
	if got := w.effects("alone"); got != 20 {
		t.Errorf("the other consumer's effects = %d, want 20", got)
	}
}

// One event that fails does not hold back the others of its batch: they
// are done, and it alone is retried.
func TestAnEventThatFailsInABatchFailsAlone(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	var bad atomic.Value
	var badRuns atomic.Int32
	effect := w.effect("batched", nil)
	w.bus.Subscribe(testEvent, "batched", func(ctx context.Context, task *asynq.Task) error {
		id, err := EventID(ctx)
		if err != nil {
			return err
		}
		if id == bad.Load() && badRuns.Add(1) <= 2 {
			return errors.New("this event fails twice")
		}
		return effect(ctx, task)
	}, InBatchesOf(10))
	events := w.publishMany(5)
	bad.Store(events[2])
	w.runWorker()
	w.relayAll()
	w.waitAllDone(events, "batched")
	for i, id := range events {
		_, failures := w.delivery(id, "batched")
		if want := map[bool]int{true: 1, false: 0}[i == 2]; failures != want {
			t.Errorf("event %d: %d failures noted, want %d", i+1, failures, want)
		}
	}
	if got := w.effects("batched"); got != 5 {
		t.Errorf("effects = %d, want one per event", got)
	}
}

// A consumer of SubscribeBatches gets the events of a task in one call; when
// that call fails, each event runs alone.
func TestAConsumerOfBatchesGetsTheEventsAtOnceAndAFailedBatchRunsThemAlone(t *testing.T) {
	t.Parallel()
	w := newBusWorld(t)
	effect := w.effect("together", nil)
	var bad atomic.Value
	bad.Store(uuid.Nil)
	var mu sync.Mutex
	var sizes []int
	w.bus.SubscribeBatches(testEvent, "together", 10, func(ctx context.Context, events []BatchedJob) error {
		mu.Lock()
		sizes = append(sizes, len(events))
		mu.Unlock()
		for _, e := range events {
			if e.ID == bad.Load() && len(events) > 1 {
				return errors.New("this event fails in company")
			}
			if err := effect(context.WithValue(ctx, batchedEventKey{}, e.ID), asynq.NewTask(testEvent, e.Payload)); err != nil {
				return err
			}
		}
		return nil
	})
	events := w.publishMany(5)
	bad.Store(events[3])
	w.runWorker()
	w.relayAll()
	w.waitAllDone(events, "together")
	if got := w.effects("together"); got != 5 {
		t.Errorf("effects = %d, want one per event", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(sizes) != "[5 1 1 1 1 1]" {
		t.Errorf("batch sizes handed over = %v, want the five at once, then each alone", sizes)
	}
}
