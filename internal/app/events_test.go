package app

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/platform/queue"
)

func TestTheCompletionMailIsAConsumerOfEnrolmentCompleted(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if got := srv.App.events.Consumers(delivery.TypeEnrolmentCompleted); !slices.Contains(got, delivery.ConsumerCompletionMail) {
		t.Errorf("consumers of %s = %v, want %s among them", delivery.TypeEnrolmentCompleted, got, delivery.ConsumerCompletionMail)
	}
}

func TestTheWorkerPurgesRelayedOutboxRowsAfterTheConfiguredRetention(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	ctx := context.Background()
	db := srv.Deps.DB.Conn(ctx)
	retention := srv.Deps.Config.Queue.OutboxRetentionHours
	old, recent := uuid.New(), uuid.New()
	for id, hours := range map[uuid.UUID]int{old: retention + 1, recent: retention - 1} {
		if err := db.Exec(`INSERT INTO outbox (id, task_type, payload, queue, relayed_at)
			VALUES (?, 'test:gone', '\x7b7d', 'default', now() - make_interval(hours => ?))`, id, hours).Error; err != nil {
			t.Fatal(err)
		}
	}
	runWorker(t, srv)
	// The scheduler enqueues it hourly; here it is enqueued at once.
	if err := queue.NewClient(srv.Deps.Redis, srv.Deps.Queues).Enqueue(ctx, "queue:reconcile:outbox-purge", struct{}{}, queue.Low); err != nil {
		t.Fatal(err)
	}
	eventually(t, "only the recent outbox row is left after the purge", func() bool {
		var left []uuid.UUID
		if err := db.Raw("SELECT id FROM outbox ORDER BY id").Scan(&left).Error; err != nil {
			t.Fatal(err)
		}
		return len(left) == 1 && left[0] == recent
	})
}
