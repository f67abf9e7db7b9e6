package certificate

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRenderPDF renders one certificate page: facts through the
// default template, fonts embedded, QR code drawn.
func BenchmarkRenderPDF(b *testing.B) {
	f := Facts{Serial: "BPSDM-JABAR/2026/000123", Institute: PartyFacts{Name: "BPSDM Provinsi Jawa Barat"},
		CourseOwner: PartyFacts{Name: "BPSDM Kementerian Dalam Negeri"}, Learner: LearnerFacts{Name: "Budi Santoso", NIP: "199204172019031004"},
		Course: CourseFacts{Title: "Literasi Digital bagi ASN", JP: 12}, CompletedOn: "2026-03-02", IssuedAt: time.Now().UTC(),
		Signatories: []Signatory{{Name: "Dr. Siti Rahma", Title: "Kepala BPSDM"}}}
	tmpl := defaultTemplate(newID())
	tmpl.Signatories = f.Signatories
	fonts := newFonts()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := renderPDF(sheet{facts: f, template: tmpl, verifyURL: "https://corpu.go.id/verify/BPSDM-JABAR-2026-000123"}, fonts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueEndToEnd is the worker's whole issue of one certificate, as
// the completion consumer runs it: facts, serial, signature, PDF render,
// upload to the object store, row and event in one transaction. Tasks run
// concurrently as the worker's do (-cpu sets how many at once).
func BenchmarkIssueEndToEnd(b *testing.B) {
	f := newFixture(b)
	ids := make(chan Completion, 1024)
	go func() {
		for {
			ids <- f.completed(b, "Peserta Pelatihan", true)
		}
	}()
	var issued atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := <-ids
			err := f.db.WithTx(context.Background(), func(ctx context.Context) error {
				_, _, err := f.svc.issue(ctx, issueRequest{enrolmentID: c.EnrolmentID, source: SourceCompletion})
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
			issued.Add(1)
		}
	})
	b.ReportMetric(float64(issued.Load())/time.Since(start).Seconds(), "pdfs/s")
}

// BenchmarkBulkIssueOfAClassKilledMidway certifies a class of
// CORPU_BULK_LEARNERS (default 10,000) completed learners: the first run
// is killed a third of the way through, a second run finishes; it reports
// the seconds of both runs together and fails on a duplicate or a gap.
func BenchmarkBulkIssueOfAClassKilledMidway(b *testing.B) {
	learners := 10_000
	if v, err := strconv.Atoi(os.Getenv("CORPU_BULK_LEARNERS")); err == nil && v > 0 {
		learners = v
	}
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b)
		for range learners {
			f.completed(b, "Peserta Pelatihan", true)
		}
		b.StartTimer()
		start := time.Now()
		killed, kill := context.WithCancel(context.Background())
		var reports int
		_, err := f.svc.certifyClass(killed, f.class, nil, func(done, total int) error {
			reports++
			if done >= total/3 {
				kill() // the worker dies a third of the way through
			}
			return nil
		})
		if err == nil {
			b.Fatal("the first run was not killed")
		}
		res, err := f.svc.certifyClass(context.Background(), f.class, nil, func(int, int) error { reports++; return nil })
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		var total, distinct int
		f.db.Conn(context.Background()).Raw(`SELECT count(*), count(DISTINCT enrolment_id) FROM certificates`).Row().Scan(&total, &distinct)
		if total != learners || distinct != learners || res.Total != learners {
			b.Fatalf("%d certificates for %d enrolments, want %d", total, distinct, learners)
		}
		b.ReportMetric(elapsed.Seconds(), "s/class")
		b.ReportMetric(float64(learners)/elapsed.Seconds(), "certs/s")
		b.Logf("%d learners: %s with a kill at a third, %d progress reports", learners, elapsed, reports)
		b.StartTimer()
	}
}
