package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
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

// batchTask is the task that carries the jobs rows to c, a consumer of
// HandleBatches: its payload lists each row's id and payload. A batch of
// one keeps its row's id as the task id, as a plain job does; a larger one
// is named by its first row and its size, so a relay that crashed after
// sending it and claims the same rows again sends nothing twice.
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
	return taskID, payload, nil
}

// deliverBatch runs the batch consumer c on the jobs task t carries.
func (b *Bus) deliverBatch(ctx context.Context, c *consumer, t *asynq.Task) error {
	var jobs []BatchedJob
	if err := json.Unmarshal(t.Payload(), &jobs); err != nil || len(jobs) == 0 {
		b.runs.WithLabelValues(c.eventType, c.name, "failed").Inc()
		return fmt.Errorf("decode a batch of %s: %v: %w", c.taskType, err, asynq.SkipRetry)
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
