package certificate

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/platform/queue"
)

// BenchmarkCompletionToDownloadableCertificate records completions one at a
// time, as delivery does (an outbox row of the completion event), with the
// relay polling at the configured default of 500 ms and the worker otherwise
// idle, and measures until the certificate, its PDF stored, is there to
// download. It reports the 50th and 99th percentiles (run with -benchtime=100x).
func BenchmarkCompletionToDownloadableCertificate(b *testing.B) {
	f := newFixture(b)
	rdb, names := queue.NewTestRedis(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bus := queue.NewBus(f.db, log)
	bus.Subscribe(EventEnrolmentCompleted, ConsumerCompletion, f.svc.HandleEnrolmentCompleted)
	bus.Declare(EventIssued)
	worker := queue.NewWorker(rdb, names, queue.WorkerOptions{Concurrency: 10, ShutdownTimeout: time.Second, Log: log})
	if err := bus.Mount(worker); err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = worker.Run(ctx); done <- struct{}{} }()
	go func() { bus.Relay(rdb, names, log).Run(ctx, 500*time.Millisecond); done <- struct{}{} }()
	b.Cleanup(func() { stop(); <-done; <-done })
	f.clock = time.Now().UTC()
	outbox := queue.NewOutbox(f.db)
	var latencies []time.Duration
	for b.Loop() {
		c := f.completed(b, "Peserta Pelatihan", true)
		if _, err := outbox.Add(context.Background(), queue.Job{Type: EventEnrolmentCompleted, Queue: queue.Default,
			Payload: completedPayload{EnrolmentID: c.EnrolmentID}}); err != nil {
			b.Fatal(err)
		}
		completed := time.Now()
		for {
			cert, err := f.svc.store.ofEnrolment(context.Background(), c.EnrolmentID)
			if err == nil {
				if _, err := f.objects.PresignGet(context.Background(), cert.PDFKey, "x.pdf"); err != nil {
					b.Fatal(err)
				}
				break
			}
			if !errors.Is(err, ErrNotFound) || time.Since(completed) > 30*time.Second {
				b.Fatalf("no certificate for %s after %s: %v", c.EnrolmentID, time.Since(completed), err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		latencies = append(latencies, time.Since(completed))
	}
	slices.Sort(latencies)
	at := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	b.ReportMetric(at(0.50).Seconds(), "p50-s")
	b.ReportMetric(at(0.99).Seconds(), "p99-s")
	b.ReportMetric(latencies[len(latencies)-1].Seconds(), "max-s")
}
