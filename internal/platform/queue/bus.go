package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/corpu/corpu/internal/platform/database"
)

// Bus knows who consumes what the outbox holds, and the reconciliation sweeps
// that recover work from PostgreSQL when Redis lost it. It is filled at wiring
// time, before the worker and the relay run, and only read afterwards.
//
// An outbox row is routed by its type:
//   - an event (Subscribe, Declare) becomes one Asynq task per subscribing
//     consumer, of type "<event>@<consumer>" and id "<row id>@<consumer>", so
//     consumers retry on their own and never block or repeat each other;
//   - a job (Handle) becomes one task of the row's own type with the row id;
//   - a type the bus does not know is relayed as one untracked task of its own
//     type, as before the bus existed.
//
// Every consumer and job is tracked in outbox_deliveries: its handler runs in
// a transaction that records it done, so a duplicate task (a second relay, a
// redelivery after Redis lost it, Asynq's at-least-once) is skipped.
type Bus struct {
	db     *database.DB
	log    *slog.Logger
	routes map[string]*route
	sweeps []sweep
	runs   *prometheus.CounterVec
}

type route struct {
	event     bool
	consumers []*consumer // sorted by name
}

type consumer struct {
	eventType string
	name      string // the ledger's name: the consumer's, or jobConsumer
	taskType  string
	handler   Handler
	opts      consumerOptions
	// batchSize is how many rows one task carries to a consumer in batches
	// (HandleBatches, InBatchesOf), 0 for one; batchHandler is a
	// HandleBatches job's handler, which takes the whole batch, and
	// eventsHandler a SubscribeBatches consumer's, which takes the events
	// of a batch still to do.
	batchSize     int
	batchHandler  BatchHandler
	eventsHandler BatchHandler
}

type consumerOptions struct {
	queue    string
	maxRetry int
	timeout  time.Duration
	ownTx    bool
	batch    int
}

type sweep struct {
	name, cronspec string
	fn             func(context.Context) error
}

// jobConsumer names the one consumer of a job in outbox_deliveries.
const jobConsumer = "job"

// NewBus returns an empty bus over db.
func NewBus(db *database.DB, log *slog.Logger) *Bus {
	return &Bus{
		db: db, log: log.With("component", "bus"), routes: map[string]*route{},
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "corpu_outbox_consumer_runs_total",
			Help: "Outbox consumer runs in this process by event type, consumer and result (done, failed, skipped as already done).",
		}, []string{"event", "consumer", "result"}),
	}
}

// ConsumerOption adjusts how a consumer's tasks are sent and run.
type ConsumerOption func(*consumerOptions)

// OnQueue sends the consumer's tasks to queue instead of the event's.
func OnQueue(queue string) ConsumerOption { return func(o *consumerOptions) { o.queue = queue } }

// WithMaxRetry retries the consumer's tasks up to n times instead of the event's count.
func WithMaxRetry(n int) ConsumerOption { return func(o *consumerOptions) { o.maxRetry = n } }

// WithTimeout lets one run of the consumer's task last up to d instead of
// Asynq's 30 minutes, for work that grows with its input (a national HR file).
func WithTimeout(d time.Duration) ConsumerOption { return func(o *consumerOptions) { o.timeout = d } }

// OwnTransactions runs the handler outside the bus's transaction, for long
// work that commits in steps (an import). The delivery is recorded done after
// the handler returns, so the handler must itself be idempotent: a duplicate
// may run while the first is running, or after a crash before the record.
func OwnTransactions() ConsumerOption { return func(o *consumerOptions) { o.ownTx = true } }

var consumerName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Subscribe makes consumer receive every event of eventType recorded in the
// outbox from now on. The handler gets a task of type "<eventType>@<consumer>"
// whose payload is the event's; it runs in a transaction (carried by ctx, so
// stores join it) that also records the delivery done: its database effects
// happen exactly once, and an effect outside the database (a mail) at least
// once. An error rolls the transaction back and Asynq retries this consumer
// alone. Consumer names are lower case, [a-z0-9._-], unique per event;
// registering one twice panics, as wiring mistakes do.
func (b *Bus) Subscribe(eventType, consumerName string, h Handler, opts ...ConsumerOption) {
	b.mustName(eventType, consumerName)
	r := b.route(eventType, true)
	for _, c := range r.consumers {
		if c.name == consumerName {
			panic(fmt.Sprintf("queue: %s already has a consumer %q", eventType, consumerName))
		}
	}
	r.consumers = append(r.consumers, b.newConsumer(eventType, consumerName, eventType+"@"+consumerName, h, opts))
	sort.Slice(r.consumers, func(i, j int) bool { return r.consumers[i].name < r.consumers[j].name })
}

// Declare names an event type that may have no consumer yet: its rows are
// marked relayed without sending anything until one subscribes.
func (b *Bus) Declare(eventType string) {
	b.mustName(eventType, jobConsumer)
	b.route(eventType, true)
}

// Handle registers the one handler of an outbox job type (the task keeps the
// job's type and the row id as its id), tracked like a consumer.
func (b *Bus) Handle(jobType string, h Handler, opts ...ConsumerOption) {
	b.mustName(jobType, jobConsumer)
	if _, ok := b.routes[jobType]; ok {
		panic(fmt.Sprintf("queue: %s is already routed", jobType))
	}
	b.routes[jobType] = &route{consumers: []*consumer{b.newConsumer(jobType, jobConsumer, jobType, h, opts)}}
}

// JobsDone records done, in the transaction carried by ctx, the jobs ids
// (their outbox row ids, BatchedJob.ID) of a handler registered with
// HandleBatches, each once however often ids names it. It upserts, as
// claim does: a worker may run a task before the relay that sent it
// commits its delivery row, and an update would not see that row; the
// insert waits for it instead.
func (o *Outbox) JobsDone(ctx context.Context, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	err := o.db.Conn(ctx).Exec(`INSERT INTO outbox_deliveries (event_id, consumer, done_at)
		SELECT DISTINCT e, ?, now() FROM unnest(?::uuid[]) AS e WHERE EXISTS (SELECT 1 FROM outbox WHERE id = e)
		ON CONFLICT (event_id, consumer) DO UPDATE SET done_at = COALESCE(outbox_deliveries.done_at, now()), gave_up_at = NULL`,
		jobConsumer, database.UUIDArray(ids)).Error
	if err != nil {
		return fmt.Errorf("record %d jobs done: %w", len(ids), err)
	}
	return nil
}

// Reconcile registers a sweep the worker's scheduler runs on cronspec (UTC):
// it finds in PostgreSQL the work that should have moved on and did not
// (an attempt to grade, a certificate to issue) and enqueues it again. A
// sweep must be idempotent: several workers may run it, and it runs whatever
// Redis still holds. Its task is "queue:reconcile:<name>" on the low queue.
func (b *Bus) Reconcile(name, cronspec string, fn func(context.Context) error) {
	if !consumerName.MatchString(name) {
		panic(fmt.Sprintf("queue: bad sweep name %q", name))
	}
	if _, err := cron.ParseStandard(cronspec); err != nil {
		panic(fmt.Sprintf("queue: sweep %s: %v", name, err))
	}
	for _, s := range b.sweeps {
		if s.name == name {
			panic(fmt.Sprintf("queue: sweep %q registered twice", name))
		}
	}
	b.sweeps = append(b.sweeps, sweep{name: name, cronspec: cronspec, fn: fn})
}

// Consumers returns the consumer names of eventType, in order.
func (b *Bus) Consumers(eventType string) []string {
	r := b.routes[eventType]
	if r == nil {
		return nil
	}
	out := make([]string, 0, len(r.consumers))
	for _, c := range r.consumers {
		out = append(out, c.name)
	}
	return out
}

func (b *Bus) mustName(eventType, consumer string) {
	if eventType == "" || strings.Contains(eventType, "@") {
		panic(fmt.Sprintf("queue: bad event type %q", eventType))
	}
	if !consumerName.MatchString(consumer) {
		panic(fmt.Sprintf("queue: bad consumer name %q for %s", consumer, eventType))
	}
}

func (b *Bus) route(eventType string, event bool) *route {
	r := b.routes[eventType]
	if r == nil {
		r = &route{event: event}
		b.routes[eventType] = r
	}
	if !r.event {
		panic(fmt.Sprintf("queue: %s is a job; it cannot also be an event", eventType))
	}
	return r
}

func (b *Bus) newConsumer(eventType, name, taskType string, h Handler, opts []ConsumerOption) *consumer {
	c := &consumer{eventType: eventType, name: name, taskType: taskType, handler: h}
	for _, o := range opts {
		o(&c.opts)
	}
	if c.opts.batch > 0 && c.opts.ownTx {
		panic(fmt.Sprintf("queue: %s of %s: a batch runs in one transaction", name, eventType))
	}
	c.batchSize = c.opts.batch
	return c
}

// taskID is the Asynq task id of a delivery: the row id for a job, the row id
// and the consumer for an event's consumer.
func (c *consumer) taskID(eventID uuid.UUID) string {
	if c.name == jobConsumer && c.taskType == c.eventType {
		return eventID.String()
	}
	return eventID.String() + "@" + c.name
}

// Mount registers on w every consumer's and job's handler, and schedules every
// sweep. A task of an event's bare type (relayed before the event had
// consumers on the bus) runs every consumer in turn, each at most once.
func (b *Bus) Mount(w *Worker) error {
	for eventType, r := range b.routes {
		for _, c := range r.consumers {
			c := c
			switch {
			case c.batchHandler != nil:
				w.Handle(c.taskType, func(ctx context.Context, t *asynq.Task) error { return b.deliverBatch(ctx, c, t) })
				continue
			case c.batchSize > 0:
				w.Handle(c.taskType, func(ctx context.Context, t *asynq.Task) error { return b.deliverTogether(ctx, c, t) })
				continue
			}
			w.Handle(c.taskType, func(ctx context.Context, t *asynq.Task) error { return b.deliver(ctx, c, t) })
		}
		if r.event && len(r.consumers) > 0 {
			consumers := r.consumers
			w.Handle(eventType, func(ctx context.Context, t *asynq.Task) error {
				var errs []error
				for _, c := range consumers {
					errs = append(errs, b.deliver(ctx, c, t))
				}
				return errors.Join(errs...)
			})
		}
	}
	for _, s := range b.sweeps {
		s := s
		taskType := "queue:reconcile:" + s.name
		w.Handle(taskType, func(ctx context.Context, _ *asynq.Task) error {
			if err := s.fn(ctx); err != nil {
				return fmt.Errorf("sweep %s: %w", s.name, err)
			}
			return nil
		})
		if err := w.Every(s.cronspec, taskType, Low); err != nil {
			return err
		}
	}
	return nil
}

// EventID returns the outbox row id of the task a handler runs, or of the
// event it handles of a batch (InBatchesOf).
func EventID(ctx context.Context) (uuid.UUID, error) {
	if id, ok := ctx.Value(batchedEventKey{}).(uuid.UUID); ok {
		return id, nil
	}
	id, _ := asynq.GetTaskID(ctx)
	head, _, _ := strings.Cut(id, "@")
	u, err := uuid.Parse(head)
	if err != nil {
		return uuid.Nil, fmt.Errorf("task id %q names no outbox row: %w", id, asynq.SkipRetry)
	}
	return u, nil
}

// deliver runs consumer c on task t unless its delivery is already done.
func (b *Bus) deliver(ctx context.Context, c *consumer, t *asynq.Task) error {
	eventID, err := EventID(ctx)
	if err != nil {
		b.runs.WithLabelValues(c.eventType, c.name, "failed").Inc()
		return err
	}
	return b.deliverEvent(ctx, c, eventID, t)
}

// deliverEvent runs consumer c on task t of the event eventID unless its
// delivery is already done, and records it done.
func (b *Bus) deliverEvent(ctx context.Context, c *consumer, eventID uuid.UUID, t *asynq.Task) error {
	result := "done"
	run := func(ctx context.Context) error {
		open, err := b.claim(ctx, eventID, c.name)
		if err != nil {
			return err
		}
		if !open {
			result = "skipped"
			return nil
		}
		if err := c.handler(ctx, t); err != nil {
			return err
		}
		return b.db.Conn(ctx).Exec(`UPDATE outbox_deliveries SET done_at = now(), gave_up_at = NULL
			WHERE event_id = ? AND consumer = ?`, eventID, c.name).Error
	}
	var err error
	if c.opts.ownTx {
		err = run(ctx)
	} else {
		err = b.db.WithTx(ctx, run)
	}
	if err != nil {
		b.runs.WithLabelValues(c.eventType, c.name, "failed").Inc()
		b.recordFailure(ctx, []uuid.UUID{eventID}, c.name, err)
		return err
	}
	b.runs.WithLabelValues(c.eventType, c.name, result).Inc()
	return nil
}

// claim makes sure the delivery row exists and reports whether it is still to
// be done, in one statement: the upsert's no-op update holds the row until
// the transaction ends (with lock, the caller's transaction), so a duplicate
// task waits and then finds it done. A row whose outbox event is gone
// (purged, its deliveries with it) is not open.
func (b *Bus) claim(ctx context.Context, eventID uuid.UUID, consumer string) (bool, error) {
	var rows []struct{ Open bool }
	err := b.db.Conn(ctx).Raw(`INSERT INTO outbox_deliveries (event_id, consumer)
		SELECT ?, ? WHERE EXISTS (SELECT 1 FROM outbox WHERE id = ?)
		ON CONFLICT (event_id, consumer) DO UPDATE SET done_at = outbox_deliveries.done_at
		RETURNING done_at IS NULL AS open`, eventID, consumer, eventID).Scan(&rows).Error
	if err != nil {
		return false, fmt.Errorf("claim delivery of %s to %s: %w", eventID, consumer, err)
	}
	if len(rows) == 0 {
		b.log.WarnContext(ctx, "task of an outbox event that no longer exists", "event_id", eventID, "consumer", consumer)
		return false, nil
	}
	return rows[0].Open, nil
}

// recordFailure notes a failed run on the deliveries of events not yet
// done; on the last retry, or an error Asynq will not retry, the consumer
// gave up and redelivery stops.
func (b *Bus) recordFailure(ctx context.Context, events []uuid.UUID, consumer string, cause error) {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	gaveUp := errors.Is(cause, asynq.SkipRetry) || (ok && retried >= maxRetry)
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	err := b.db.Conn(context.WithoutCancel(ctx)).Exec(`INSERT INTO outbox_deliveries (event_id, consumer, failures, last_error, gave_up_at)
		SELECT DISTINCT e, ?, 1, ?, CASE WHEN ? THEN now() END FROM unnest(?::uuid[]) AS e WHERE EXISTS (SELECT 1 FROM outbox WHERE id = e)
		ON CONFLICT (event_id, consumer) DO UPDATE SET failures = outbox_deliveries.failures + 1,
			last_error = excluded.last_error, gave_up_at = excluded.gave_up_at
		WHERE outbox_deliveries.done_at IS NULL`,
		consumer, msg, gaveUp, database.UUIDArray(events)).Error
	if err != nil {
		b.log.ErrorContext(ctx, "record a failed delivery", "events", len(events), "consumer", consumer, "err", err)
	}
}

// Describe implements prometheus.Collector.
func (b *Bus) Describe(ch chan<- *prometheus.Desc) { b.runs.Describe(ch) }

// Collect implements prometheus.Collector.
func (b *Bus) Collect(ch chan<- prometheus.Metric) { b.runs.Collect(ch) }

// consumer returns the consumer named name of eventType, or nil.
func (b *Bus) consumer(eventType, name string) *consumer {
	if r := b.routes[eventType]; r != nil {
		for _, c := range r.consumers {
			if c.name == name {
				return c
			}
		}
	}
	return nil
}
