// Package queue runs background work on Asynq over Redis: a client to enqueue
// tasks, a worker server with named queues and priorities, a periodic
// scheduler, and a transactional outbox for jobs that must never be lost,
// which the Bus fans out to its consumers and recovers when Redis loses tasks.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/platform/config"
)

// The named queues, from most to least urgent. A worker polls each in
// proportion to its priority.
const (
	Critical = "critical" // what a user waits for: grading, sign-in mail
	Default  = "default"  // certificates, notifications
	Low      = "low"      // exports, clean-up, reports
)

var priorities = map[string]int{Critical: 6, Default: 3, Low: 1}

// Names returns the queue names after the namespace, as Redis knows them.
type Names struct{ namespace string }

// NewNames returns the queue names for namespace ("" for none).
func NewNames(namespace string) Names { return Names{namespace: namespace} }

// Of returns the namespaced name of queue.
func (n Names) Of(queue string) string {
	if n.namespace == "" {
		return queue
	}
	return n.namespace + ":" + queue
}

// All returns every namespaced queue with its priority.
func (n Names) All() map[string]int {
	out := make(map[string]int, len(priorities))
	for q, p := range priorities {
		out[n.Of(q)] = p
	}
	return out
}

// OpenRedis connects to Redis and checks that it answers.
func OpenRedis(ctx context.Context, cfg config.Redis) (redis.UniversalClient, error) {
	rdb := newRedisClient(cfg)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis at %s is not reachable (start it with `make services`): %w", describeRedis(cfg), err)
	}
	return rdb, nil
}

// Client enqueues tasks straight to Redis, for work that may be lost with the
// request (a retry by the user recreates it). Work that must not be lost goes
// through the Outbox instead.
type Client struct {
	asynq *asynq.Client
	names Names
}

// NewClient returns a client over rdb.
func NewClient(rdb redis.UniversalClient, names Names) *Client {
	return &Client{asynq: asynq.NewClientFromRedisClient(rdb), names: names}
}

// Enqueue sends a task of type taskType with payload encoded as JSON to queue.
func (c *Client) Enqueue(ctx context.Context, taskType string, payload any, queue string, opts ...asynq.Option) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", taskType, err)
	}
	opts = append(opts, asynq.Queue(c.names.Of(queue)))
	if _, err := c.asynq.EnqueueContext(ctx, asynq.NewTask(taskType, body), opts...); err != nil {
		return fmt.Errorf("enqueue %s: %w", taskType, err)
	}
	return nil
}

// Decode reads a task's JSON payload into v. A payload that cannot be decoded
// will never succeed, so the error tells Asynq not to retry.
func Decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}

// Handler handles one task type.
type Handler = asynq.HandlerFunc

// Worker runs task handlers and the periodic scheduler.
type Worker struct {
	server    *asynq.Server
	scheduler *asynq.Scheduler
	mux       *asynq.ServeMux
	names     Names
}

// WorkerOptions configures a Worker.
type WorkerOptions struct {
	Concurrency     int
	ShutdownTimeout time.Duration
	Log             *slog.Logger
	// RetryDelay overrides Asynq's exponential back-off (tests use it).
	RetryDelay func(n int, err error, t *asynq.Task) time.Duration
	// RetryCheckInterval is how often tasks due for a retry are moved back
	// to their queue; zero is Asynq's 5 s.
	RetryCheckInterval time.Duration
}

// NewWorker returns a worker over rdb serving the namespaced queues.
func NewWorker(rdb redis.UniversalClient, names Names, opts WorkerOptions) *Worker {
	log := opts.Log.With("component", "worker")
	var retryDelay asynq.RetryDelayFunc
	if opts.RetryDelay != nil {
		retryDelay = opts.RetryDelay
	}
	server := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		RetryDelayFunc:           retryDelay,
		DelayedTaskCheckInterval: opts.RetryCheckInterval,
		Concurrency:              opts.Concurrency,
		Queues:                   names.All(),
		ShutdownTimeout:          opts.ShutdownTimeout,
		Logger:                   slogAdapter{log},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			log.ErrorContext(ctx, "task failed", "type", t.Type(), "err", err)
		}),
	})
	scheduler := asynq.NewSchedulerFromRedisClient(rdb, &asynq.SchedulerOpts{Logger: slogAdapter{log}, Location: time.UTC})
	return &Worker{server: server, scheduler: scheduler, mux: asynq.NewServeMux(), names: names}
}

// Handle registers the handler of a task type.
func (w *Worker) Handle(taskType string, h Handler) { w.mux.HandleFunc(taskType, h) }

// Every schedules a task on a cron spec (UTC). Every worker runs a scheduler,
// so the task is made unique for a while to keep several workers from
// enqueueing it more than once per tick.
func (w *Worker) Every(cronspec, taskType, queue string, unique time.Duration) error {
	_, err := w.scheduler.Register(cronspec, asynq.NewTask(taskType, []byte("{}")),
		asynq.Queue(w.names.Of(queue)), asynq.Unique(unique))
	if err != nil {
		return fmt.Errorf("schedule %s: %w", taskType, err)
	}
	return nil
}

// Run processes tasks until ctx is done, then stops taking new ones and waits
// up to the shutdown timeout for those in flight; unfinished ones go back to
// the queue for another worker.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.server.Start(w.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := w.scheduler.Start(); err != nil {
		w.server.Shutdown()
		return fmt.Errorf("start scheduler: %w", err)
	}
	<-ctx.Done()
	w.scheduler.Shutdown()
	w.server.Shutdown()
	return nil
}

// slogAdapter lets Asynq log through log/slog.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.log.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.log.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.log.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) {
	msg := fmt.Sprint(args...)
	if strings.Contains(msg, sharedClientNotClosed) {
		// The scheduler shares the worker's Redis client, which Corpu
		// closes itself; Asynq reports that it did not, on every shutdown.
		a.log.Debug(msg)
		return
	}
	a.log.Error(msg)
}

// sharedClientNotClosed is what Asynq's scheduler says at shutdown about a
// Redis client it was given rather than made.
const sharedClientNotClosed = "redis connection is shared"

func (a slogAdapter) Fatal(args ...any) { a.log.Error(fmt.Sprint(args...)) }
