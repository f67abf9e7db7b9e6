package queue

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/platform/database"
)

// Collector reports, at scrape time, the size of each Asynq queue and the
// state of the outbox: rows waiting for the relay and deliveries owed to each
// consumer. Register it with the Bus (its per-consumer run counters) on the
// API's and the worker's /metrics.
type Collector struct {
	db        *database.DB
	inspector *asynq.Inspector
	names     Names
}

// NewCollector returns a collector over db and rdb's queues.
func NewCollector(db *database.DB, rdb redis.UniversalClient, names Names) *Collector {
	return &Collector{db: db, inspector: asynq.NewInspectorFromRedisClient(rdb), names: names}
}

var (
	queueSizeDesc = prometheus.NewDesc("corpu_queue_tasks", "Tasks in an Asynq queue, by state.", []string{"queue", "state"}, nil)
	backlogDesc   = prometheus.NewDesc("corpu_outbox_backlog", "Jobs recorded in the outbox and not yet relayed to the queue.", nil, nil)
	oldestDesc    = prometheus.NewDesc("corpu_outbox_oldest_pending_seconds", "Age of the oldest outbox row not yet relayed (0 when none).", nil, nil)
	openDesc      = prometheus.NewDesc("corpu_outbox_deliveries_open", "Deliveries relayed to a consumer and not done, by event type and consumer; failing ones have failed at least once.", []string{"event", "consumer", "state"}, nil)
	oldestOpen    = prometheus.NewDesc("corpu_outbox_oldest_open_delivery_seconds", "Age of the oldest event with a delivery neither done nor given up (0 when none).", nil, nil)
	scrapeErrDesc = prometheus.NewDesc("corpu_outbox_scrape_error", "1 when the outbox could not be read at this scrape.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueSizeDesc, backlogDesc, oldestDesc, openDesc, oldestOpen, scrapeErrDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range []string{Critical, Default, Low} {
		info, err := c.inspector.GetQueueInfo(c.names.Of(q))
		if err != nil {
			continue // a queue that never held a task does not exist yet
		}
		for state, n := range map[string]int{
			"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived,
		} {
			ch <- prometheus.MustNewConstMetric(queueSizeDesc, prometheus.GaugeValue, float64(n), q, state)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	failed := 0.0
	var pending struct {
		N      int64
		Oldest float64
	}
	if err := c.db.Conn(ctx).Raw(`SELECT count(*) AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) AS oldest
		FROM outbox WHERE relayed_at IS NULL`).Scan(&pending).Error; err != nil {
		failed = 1
	} else {
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(pending.N))
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, pending.Oldest)
	}
	var open []struct {
		Event, Consumer, State string
		N                      int64
		Oldest                 float64
	}
	if err := c.db.Conn(ctx).Raw(`SELECT o.task_type AS event, d.consumer,
			CASE WHEN d.gave_up_at IS NOT NULL THEN 'given_up' WHEN d.failures > 0 THEN 'failing' ELSE 'waiting' END AS state,
			count(*) AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(o.created_at) FILTER (WHERE d.gave_up_at IS NULL)), 0) AS oldest
		FROM outbox_deliveries d JOIN outbox o ON o.id = d.event_id
		WHERE d.done_at IS NULL GROUP BY 1, 2, 3`).Scan(&open).Error; err != nil {
		failed = 1
	} else {
		oldest := 0.0
		for _, o := range open {
			ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(o.N), o.Event, o.Consumer, o.State)
			oldest = max(oldest, o.Oldest)
		}
		ch <- prometheus.MustNewConstMetric(oldestOpen, prometheus.GaugeValue, oldest)
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, failed)
}
