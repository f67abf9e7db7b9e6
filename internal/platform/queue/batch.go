package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/database"
)

// BatchedJob is one outbox job of a task that carries several (HandleBatches).
type BatchedJob struct {
	ID      uuid.UUID       `json:"id"` // the outbox row id, for Outbox.JobsDone
	Payload json.RawMessage `json:"payload"`
}

// BatchHandler handles the jobs one task carries.
type BatchHandler func(ctx context.Context, jobs []BatchedJob) error

// HandleBatches registers the one handler of an outbox job type whose jobs
// the relay sends up to size to a task: a backlog of many small jobs
// (grading the attempts of an exam) then costs one Asynq task and one
// handler run per size jobs, where a task each cost the worker more in
// Redis scripts than the work itself.
//
// The handler runs with neither a transaction nor a claim of the bus's. It
// records done, with Outbox.JobsDone in the transaction that does their
// work, the jobs it finished, which may be all or some of them; a task that
// fails runs again with all its jobs, so the handler must find done work
// done (be idempotent), and it must record a job done on every path that
// succeeds, or the relay sends it again after RedeliverAfter. The failure
// is noted on every delivery of the task not yet done. A job sent again
// alone (redelivery) comes as a batch of one.
func (b *Bus) HandleBatches(jobType string, size int, h BatchHandler, opts ...ConsumerOption) {
	if size < 1 {
		panic(fmt.Sprintf("queue: %s: a batch takes at least one job", jobType))
	}
	b.mustName(jobType, jobConsumer)
	if _, ok := b.routes[jobType]; ok {
		panic(fmt.Sprintf("queue: %s is already routed", jobType))
	}
	c := b.newConsumer(jobType, jobConsumer, jobType, nil, opts)
	c.batchSize, c.batchHandler = size, h
	b.routes[jobType] = &route{consumers: []*consumer{c}}
}

// batchTask is the task that carries the rows to c, a consumer of
// HandleBatches or one InBatchesOf: its payload lists each row's id and
// payload. A batch of one keeps its row's task id, as unbatched; a larger
// one is named by its first row and its size (and the consumer's name, as
// any consumer's task), so a relay that crashed after sending it and
// claims the same rows again sends nothing twice.
func (c *consumer) batchTask(rows []outboxRow) (taskID string, payload []byte, err error) {
	jobs := make([]BatchedJob, len(rows))
	for i, row := range rows {
		jobs[i] = BatchedJob{ID: row.ID, Payload: row.Payload}
	}
	if payload, err = json.Marshal(jobs); err != nil {
		return "", nil, fmt.Errorf("encode a batch of %s: %w", c.taskType, err)
	}
	taskID = rows[0].ID.String()
	if len(rows) > 1 {
		taskID += "+" + strconv.Itoa(len(rows))
	}
	if c.name != jobConsumer {
		taskID += "@" + c.name
	}
	return taskID, payload, nil
}

// deliverBatch runs the batch consumer c on the jobs task t carries.
func (b *Bus) deliverBatch(ctx context.Context, c *consumer, t *asynq.Task) error {
	jobs, err := b.decodeBatch(c, t)
	if err != nil {
		return err
	}
	if err := c.batchHandler(ctx, jobs); err != nil {
		ids := make([]uuid.UUID, len(jobs))
		for i, j := range jobs {
			ids[i] = j.ID
		}
		b.runs.WithLabelValues(c.eventType, c.name, "failed").Add(float64(len(jobs)))
		b.recordFailure(ctx, ids, c.name, err)
		return err
	}
	b.runs.WithLabelValues(c.eventType, c.name, "done").Add(float64(len(jobs)))
	return nil
}

// decodeBatch reads the jobs or events a batch task carries.
func (b *Bus) decodeBatch(c *consumer, t *asynq.Task) ([]BatchedJob, error) {
	var jobs []BatchedJob
	if err := json.Unmarshal(t.Payload(), &jobs); err != nil || len(jobs) == 0 {
		b.runs.WithLabelValues(c.eventType, c.name, "failed").Inc()
		return nil, fmt.Errorf("decode a batch of %s: %v: %w", c.taskType, err, asynq.SkipRetry)
	}
	return jobs, nil
}

// InBatchesOf sends the consumer up to n events a task (or n jobs, for
// Handle) and runs them in one transaction: one claim of them all, the
// handler for each still to do, one record of them done. Many events of a
// kind at once (the graded attempts of an exam, each with consumers of its
// own) then cost one task and one transaction per n, where a task each
// cost more in Redis scripts and in BEGIN, claim, mark and COMMIT than the
// handler's own work. EventID names, inside the handler, the event it
// runs for.
//
// A batch whose transaction fails (one event's handler failed, or two
// batches deadlocked on rows they both lock) runs again one event at a
// time, each in a transaction of its own, so one bad event fails alone and
// the others are done.
func InBatchesOf(n int) ConsumerOption { return func(o *consumerOptions) { o.batch = n } }

// SubscribeBatches is Subscribe for a consumer that handles the events of a
// task together (InBatchesOf size): the events of the task not yet done
// reach h at once, in the transaction that records them done, so that work
// the events share (their class, their course) is read once. When the batch
// fails, each event runs alone, as a batch of one in a transaction of its
// own, so one bad event fails alone.
func (b *Bus) SubscribeBatches(eventType, consumerName string, size int, h BatchHandler, opts ...ConsumerOption) {
	if size < 1 {
		panic(fmt.Sprintf("queue: %s@%s: a batch takes at least one event", eventType, consumerName))
	}
	alone := func(ctx context.Context, t *asynq.Task) error {
		id, err := EventID(ctx)
		if err != nil {
			return err
		}
		return h(ctx, []BatchedJob{{ID: id, Payload: t.Payload()}})
	}
	b.Subscribe(eventType, consumerName, alone, append(opts, InBatchesOf(size))...)
	for _, c := range b.routes[eventType].consumers {
		if c.name == consumerName {
			c.eventsHandler = h
		}
	}
}

// batchedEventKey carries, in a handler's context, the event of a batch it
// runs for (EventID).
type batchedEventKey struct{}

// deliverTogether runs consumer c, of InBatchesOf, on the events task t
// carries, in one transaction; when it fails, one event at a time.
func (b *Bus) deliverTogether(ctx context.Context, c *consumer, t *asynq.Task) error {
	events, err := b.decodeBatch(c, t)
	if err != nil {
		return err
	}
	done := 0
	err = b.db.WithTx(ctx, func(ctx context.Context) error {
		open, err := b.claimAll(ctx, events, c.name)
		if err != nil {
			return err
		}
		var ids database.UUIDArray
		var todo []BatchedJob
		for _, e := range events {
			if !open[e.ID] {
				continue
			}
			open[e.ID] = false // an event named twice runs once
			ids, todo = append(ids, e.ID), append(todo, e)
		}
		if err := b.runTogether(ctx, c, todo); err != nil {
			return err
		}
		done = len(ids)
		if len(ids) == 0 {
			return nil
		}
		return b.db.Conn(ctx).Exec(`UPDATE outbox_deliveries SET done_at = now(), gave_up_at = NULL
			WHERE event_id = ANY(?::uuid[]) AND consumer = ?`, ids, c.name).Error
	})
	if err == nil {
		b.runs.WithLabelValues(c.eventType, c.name, "done").Add(float64(done))
		b.runs.WithLabelValues(c.eventType, c.name, "skipped").Add(float64(len(events) - done))
		return nil
	}
	b.log.WarnContext(ctx, "a batch failed; its events run one at a time", "type", c.taskType, "events", len(events), "err", err)
	var errs []error
	for _, e := range events {
		errs = append(errs, b.deliverEvent(context.WithValue(ctx, batchedEventKey{}, e.ID), c, e.ID, asynq.NewTask(c.taskType, e.Payload)))
	}
	return JoinFailures(errs)
}

// runTogether runs c on the events still to do of a batch: all at once for
// a consumer of SubscribeBatches, else one after the other.
func (b *Bus) runTogether(ctx context.Context, c *consumer, events []BatchedJob) error {
	if len(events) == 0 {
		return nil
	}
	if c.eventsHandler != nil {
		if err := c.eventsHandler(ctx, events); err != nil {
			return fmt.Errorf("%d events: %w", len(events), err)
		}
		return nil
	}
	for _, e := range events {
		if err := c.handler(context.WithValue(ctx, batchedEventKey{}, e.ID), asynq.NewTask(c.taskType, e.Payload)); err != nil {
			return fmt.Errorf("event %s: %w", e.ID, err)
		}
	}
	return nil
}

// JoinFailures joins the failures (nil for a success) of the jobs or
// events of one task. Asynq retries the task, all of it (those done are
// found done), unless every failure is for good (asynq.SkipRetry): one
// job's permanent failure must not keep another's from its retry.
func JoinFailures(errs []error) error {
	var failed, retried []error
	for _, err := range errs {
		if err == nil {
			continue
		}
		failed = append(failed, err)
		if !errors.Is(err, asynq.SkipRetry) {
			retried = append(retried, err)
		}
	}
	if len(retried) > 0 {
		return errors.Join(retried...)
	}
	return errors.Join(failed...)
}

// claimAll is claim for the events of a batch, in one statement: it reports
// which are still to be done, holding their delivery rows until the
// transaction ends.
func (b *Bus) claimAll(ctx context.Context, events []BatchedJob, consumer string) (map[uuid.UUID]bool, error) {
	ids := make(database.UUIDArray, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	var rows []struct {
		EventID uuid.UUID
		Open    bool
	}
	err := b.db.Conn(ctx).Raw(`INSERT INTO outbox_deliveries (event_id, consumer)
		SELECT DISTINCT e, ? FROM unnest(?::uuid[]) AS e WHERE EXISTS (SELECT 1 FROM outbox WHERE id = e)
		ON CONFLICT (event_id, consumer) DO UPDATE SET done_at = outbox_deliveries.done_at
		RETURNING event_id, done_at IS NULL AS open`, consumer, ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("claim %d deliveries to %s: %w", len(ids), consumer, err)
	}
	open := make(map[uuid.UUID]bool, len(rows))
	for _, r := range rows {
		open[r.EventID] = r.Open
	}
	return open, nil
}
