package queue

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/platform/database"
)

var discard = slog.New(slog.DiscardHandler)

func pendingTasks(t *testing.T, rdb redis.UniversalClient, names Names, queue string) int {
	t.Helper()
	info, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo(names.Of(queue))
	if err != nil {
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return 0
		}
		t.Fatalf("queue info: %v", err)
	}
	return info.Pending + info.Scheduled
}

func TestOutboxJobExistsOnlyWhenItsTransactionCommits(t *testing.T) {
	t.Parallel()
	db := database.NewTestDB(t)
	outbox := NewOutbox(db)
	ctx := context.Background()

	_ = db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := outbox.Add(ctx, Job{Type: "test:rolled-back", Payload: map[string]int{"n": 1}}); err != nil {
			t.Fatalf("Add: %v", err)
		}
		return errors.New("the change failed")
	})
	if err := db.WithTx(ctx, func(ctx context.Context) error {
		_, err := outbox.Add(ctx, Job{Type: "test:committed", Payload: map[string]int{"n": 2}})
		return err
	}); err != nil {
		t.Fatalf("WithTx: %v", err)
	}
	n, err := outbox.Backlog(ctx)
	if err != nil || n != 1 {
		t.Errorf("Backlog() = %d, %v; want 1 (only the committed job)", n, err)
	}
}

func TestAddAllRecordsEachJobAsAddDoes(t *testing.T) {
	t.Parallel()
	db := database.NewTestDB(t)
	outbox := NewOutbox(db)
	ctx := context.Background()
	later := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	jobs := []Job{
		{Type: "test:plain", Payload: map[string]int{"n": 1}},
		{Type: "test:scheduled", Payload: map[string]string{"s": "é"}, Queue: Critical, ProcessAt: later, MaxRetry: 3},
	}
	var one, all []uuid.UUID
	for _, job := range jobs {
		id, err := outbox.Add(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		one = append(one, id)
	}
	all, err := outbox.AddAll(ctx, jobs)
	if err != nil || len(all) != len(jobs) {
		t.Fatalf("AddAll = %v, %v, want %d ids", all, err, len(jobs))
	}
	for i := range jobs {
		var added, batched []outboxRow
		db.Conn(ctx).Where("id = ?", one[i]).Find(&added)
		db.Conn(ctx).Where("id = ?", all[i]).Find(&batched)
		if len(added) != 1 || len(batched) != 1 {
			t.Fatalf("job %d: rows %d by Add, %d by AddAll, want 1 each", i, len(added), len(batched))
		}
		a, b := added[0], batched[0]
		same := a.TaskType == b.TaskType && string(a.Payload) == string(b.Payload) && a.Queue == b.Queue && a.MaxRetry == b.MaxRetry &&
			(a.ProcessAt == nil) == (b.ProcessAt == nil) && (a.ProcessAt == nil || a.ProcessAt.Equal(*b.ProcessAt))
		if !same {
			t.Errorf("job %d: AddAll recorded %+v, Add %+v", i, b, a)
		}
	}
	_ = db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := outbox.AddAll(ctx, jobs); err != nil {
			t.Fatalf("AddAll: %v", err)
		}
		return errors.New("the change failed")
	})
	if n, err := outbox.Backlog(ctx); err != nil || n != 4 {
		t.Errorf("Backlog() = %d, %v; want 4 (the jobs of a rolled-back AddAll are gone)", n, err)
	}
}

func TestRelayDeliversEachJobOnceEvenWhenReplayed(t *testing.T) {
	t.Parallel()
	db := database.NewTestDB(t)
	rdb, names := NewTestRedis(t)
	outbox := NewOutbox(db)
	relay := NewRelay(db, rdb, names, discard)
	ctx := context.Background()

	for i := range 3 {
		if _, err := outbox.Add(ctx, Job{Type: "test:job", Payload: i, Queue: Low}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := relay.RelayOnce(ctx); err != nil || n != 3 {
		t.Fatalf("RelayOnce() = %d, %v; want 3", n, err)
	}
	// A relay that crashed after enqueueing but before marking its rows
	// sends them again; Asynq must keep one task per row.
	if err := db.Conn(ctx).Exec("UPDATE outbox SET relayed_at = NULL").Error; err != nil {
		t.Fatal(err)
	}
	if n, err := relay.RelayOnce(ctx); err != nil || n != 3 {
		t.Fatalf("RelayOnce(replay) = %d, %v; want 3 marked relayed", n, err)
	}
	if got := pendingTasks(t, rdb, names, Low); got != 3 {
		t.Errorf("tasks in queue after a replay = %d, want 3", got)
	}
	if backlog, _ := outbox.Backlog(ctx); backlog != 0 {
		t.Errorf("Backlog() = %d, want 0", backlog)
	}
}

func TestRelayKeepsJobsWaitingWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	db := database.NewTestDB(t)
	outbox := NewOutbox(db)
	ctx := context.Background()
	if _, err := outbox.Add(ctx, Job{Type: "test:job", Payload: 1}); err != nil {
		t.Fatal(err)
	}
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = down.Close() })
	relay := NewRelay(db, down, NewNames("unused"), discard)

	if n, err := relay.RelayOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RelayOnce(redis down) = %d, %v; want 0, nil", n, err)
	}
	var row outboxRow
	if err := db.Conn(ctx).First(&row).Error; err != nil {
		t.Fatal(err)
	}
	if row.RelayedAt != nil || row.Attempts != 1 || row.LastError == nil {
		t.Errorf("row after failed relay = relayed %v, attempts %d, error %v; want waiting with 1 attempt and the error", row.RelayedAt, row.Attempts, row.LastError)
	}

	rdb, names := NewTestRedis(t)
	if n, err := NewRelay(db, rdb, names, discard).RelayOnce(ctx); err != nil || n != 1 {
		t.Errorf("RelayOnce(redis back) = %d, %v; want 1", n, err)
	}
}

func TestWorkerRunsRelayedTasks(t *testing.T) {
	t.Parallel()
	db := database.NewTestDB(t)
	rdb, names := NewTestRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	got := make(chan int, 1)
	worker := NewWorker(rdb, names, WorkerOptions{Concurrency: 2, ShutdownTimeout: time.Second, Log: discard})
	worker.Handle("test:echo", func(ctx context.Context, task *asynq.Task) error {
		var n int
		if err := Decode(task, &n); err != nil {
			return err
		}
		got <- n
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- worker.Run(ctx) }()

	if _, err := NewOutbox(db).Add(ctx, Job{Type: "test:echo", Payload: 42, Queue: Critical}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRelay(db, rdb, names, discard).RelayOnce(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n != 42 {
			t.Errorf("handler got %d, want 42", n)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the worker did not run the task within 15 s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v", err)
	}
}

func TestDecodeRefusesToRetryABadPayload(t *testing.T) {
	t.Parallel()
	var v struct{ N int }
	err := Decode(asynq.NewTask("test:x", []byte("{not json")), &v)
	if !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("Decode(bad json) = %v, want an error wrapping asynq.SkipRetry", err)
	}
}
