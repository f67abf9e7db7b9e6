package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/platform/database"
)

// Outbox records jobs in PostgreSQL in the caller's transaction. The job
// exists exactly when the change that caused it committed; the Relay then
// hands it to Asynq.
type Outbox struct {
	db *database.DB
}

// NewOutbox returns an outbox over db.
func NewOutbox(db *database.DB) *Outbox { return &Outbox{db: db} }

// Job is a task to be relayed.
type Job struct {
	Type      string
	Payload   any // encoded as JSON
	Queue     string
	ProcessAt time.Time // zero for now
	MaxRetry  int       // zero for Asynq's default of 25
}

type outboxRow struct {
	ID        uuid.UUID
	TaskType  string
	Payload   []byte
	Queue     string
	MaxRetry  int
	ProcessAt *time.Time
	CreatedAt time.Time
	RelayedAt *time.Time
	Attempts  int
	LastError *string
}

func (outboxRow) TableName() string { return "outbox" }

// Add records job in the transaction carried by ctx (or on its own when there
// is none) and returns its id, which becomes the Asynq task id.
func (o *Outbox) Add(ctx context.Context, job Job) (uuid.UUID, error) {
	body, err := json.Marshal(job.Payload)
	if err != nil {
		return uuid.Nil, fmt.Errorf("encode %s payload: %w", job.Type, err)
	}
	row := outboxRow{ID: uuid.Must(uuid.NewV7()), TaskType: job.Type, Payload: body, Queue: job.Queue, MaxRetry: job.MaxRetry}
	if row.Queue == "" {
		row.Queue = Default
	}
	if row.MaxRetry == 0 {
		row.MaxRetry = 25
	}
	if !job.ProcessAt.IsZero() {
		at := job.ProcessAt.UTC()
		row.ProcessAt = &at
	}
	if err := o.db.Conn(ctx).Omit("CreatedAt", "RelayedAt", "Attempts", "LastError").Create(&row).Error; err != nil {
		return uuid.Nil, fmt.Errorf("record outbox job %s: %w", job.Type, err)
	}
	return row.ID, nil
}

// Backlog counts the jobs not relayed yet, for /metrics.
func (o *Outbox) Backlog(ctx context.Context) (int64, error) {
	var n int64
	err := o.db.Conn(ctx).Model(&outboxRow{}).Where("relayed_at IS NULL").Count(&n).Error
	return n, err
}

// Relay moves outbox rows to Asynq. Several relays may run at once (one per
// worker process): each claims rows with SKIP LOCKED.
type Relay struct {
	db     *database.DB
	client *asynq.Client
	names  Names
	log    *slog.Logger
	batch  int
	// retention keeps a finished task's id in Redis for a while, so a row
	// relayed twice in that window is recognised as a duplicate.
	retention time.Duration
}

// NewRelay returns a relay from db's outbox to rdb.
func NewRelay(db *database.DB, rdb redis.UniversalClient, names Names, log *slog.Logger) *Relay {
	return &Relay{
		db: db, client: asynq.NewClientFromRedisClient(rdb), names: names,
		log: log.With("component", "outbox-relay"), batch: 100, retention: 24 * time.Hour,
	}
}

// RelayOnce relays up to one batch of pending rows and returns how many it
// relayed. A row whose id Asynq already holds counts as relayed: that is a
// relay that crashed after enqueueing and before marking it.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	relayed := 0
	err := r.db.WithTx(ctx, func(ctx context.Context) error {
		relayed = 0
		var rows []outboxRow
		err := r.db.Conn(ctx).Raw(`SELECT * FROM outbox WHERE relayed_at IS NULL
			ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED`, r.batch).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("claim outbox rows: %w", err)
		}
		for _, row := range rows {
			if err := r.enqueue(ctx, row); err != nil {
				// Redis is likely down: record why on this row and leave the
				// rest waiting; the next tick tries again.
				msg := err.Error()
				if uerr := r.db.Conn(ctx).Model(&outboxRow{}).Where("id = ?", row.ID).
					Updates(map[string]any{"attempts": row.Attempts + 1, "last_error": msg}).Error; uerr != nil {
					return uerr
				}
				return nil
			}
			if err := r.db.Conn(ctx).Model(&outboxRow{}).Where("id = ?", row.ID).
				Update("relayed_at", time.Now().UTC()).Error; err != nil {
				return fmt.Errorf("mark outbox row relayed: %w", err)
			}
			relayed++
		}
		return nil
	})
	return relayed, err
}

func (r *Relay) enqueue(ctx context.Context, row outboxRow) error {
	opts := []asynq.Option{
		asynq.TaskID(row.ID.String()),
		asynq.Queue(r.names.Of(row.Queue)),
		asynq.MaxRetry(row.MaxRetry),
		asynq.Retention(r.retention),
	}
	if row.ProcessAt != nil {
		opts = append(opts, asynq.ProcessAt(*row.ProcessAt))
	}
	_, err := r.client.EnqueueContext(ctx, asynq.NewTask(row.TaskType, row.Payload), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// Run relays every interval until ctx is done, draining a full batch at once.
func (r *Relay) Run(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := r.RelayOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "relay outbox", "err", err)
		}
		if n == r.batch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
