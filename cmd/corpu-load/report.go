package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// kindStats collects the outcomes of one kind of request.
type kindStats struct {
	mu        sync.Mutex
	requests  int64
	errors    int64
	transport int64
	status    map[int]int64
	samples   []time.Duration
	max       time.Duration
}

// recorder collects the outcomes of every kind; it is safe for concurrent use.
type recorder struct {
	kinds [numKinds]kindStats
	limit int
}

// newRecorder returns a recorder keeping at most limit latency samples per kind.
func newRecorder(limit int) *recorder {
	r := &recorder{limit: limit}
	for i := range r.kinds {
		r.kinds[i].status = map[int]int64{}
	}
	return r
}

// record notes one request of kind k: its status (0 when err is a transport error)
// and how long it took.
func (r *recorder) record(k kind, status int, d time.Duration, err error) {
	s := &r.kinds[k]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	switch {
	case err != nil:
		s.errors++
		s.transport++
	case status < 200 || status > 299:
		s.errors++
	}
	if err == nil {
		s.status[status]++
	}
	s.max = max(s.max, d)
	if len(s.samples) < r.limit {
		s.samples = append(s.samples, d)
	} else if j := rand.Int64N(s.requests); j < int64(r.limit) {
		s.samples[j] = d
	}
}

// kindSummary is the outcome of one kind of request (or of all, for the total).
type kindSummary struct {
	Kind            string        `json:"kind"`
	Requests        int64         `json:"requests"`
	Errors          int64         `json:"errors"`
	TransportErrors int64         `json:"transport_errors"`
	Status          map[int]int64 `json:"status,omitempty"`
	P50MS           float64       `json:"p50_ms"`
	P95MS           float64       `json:"p95_ms"`
	P99MS           float64       `json:"p99_ms"`
	MaxMS           float64       `json:"max_ms"`
}

// summary is the outcome of a run.
type summary struct {
	URL               string        `json:"url"`
	Workers           int           `json:"workers"`
	Rate              float64       `json:"rate"`
	ElapsedSeconds    float64       `json:"elapsed_seconds"`
	RequestsPerSecond float64       `json:"requests_per_second"`
	ErrorRate         float64       `json:"error_rate"`
	Kinds             []kindSummary `json:"kinds"`
	Total             kindSummary   `json:"total"`
}

// summarize turns what r collected over elapsed into a summary; kinds never requested
// are left out, and the total has latencies over every kind's samples.
func (r *recorder) summarize(elapsed time.Duration) summary {
	sum := summary{ElapsedSeconds: elapsed.Seconds(), Total: kindSummary{Kind: "total", Status: map[int]int64{}}}
	var all []time.Duration
	for k := range numKinds {
		ks, samples := r.kinds[k].snapshot(k)
		if ks.Requests == 0 {
			continue
		}
		sum.Kinds = append(sum.Kinds, ks)
		all = append(all, samples...)
		sum.Total.Requests += ks.Requests
		sum.Total.Errors += ks.Errors
		sum.Total.TransportErrors += ks.TransportErrors
		sum.Total.MaxMS = max(sum.Total.MaxMS, ks.MaxMS)
		for code, n := range ks.Status {
			sum.Total.Status[code] += n
		}
	}
	slices.Sort(all)
	sum.Total.P50MS, sum.Total.P95MS, sum.Total.P99MS = ms(percentile(all, 50)), ms(percentile(all, 95)), ms(percentile(all, 99))
	if sum.Total.Requests > 0 {
		sum.ErrorRate = float64(sum.Total.Errors) / float64(sum.Total.Requests)
	}
	if elapsed > 0 {
		sum.RequestsPerSecond = float64(sum.Total.Requests) / elapsed.Seconds()
	}
	return sum
}

// snapshot summarises the kind and returns its sorted samples.
func (s *kindStats) snapshot(k kind) (kindSummary, []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	samples := slices.Clone(s.samples)
	slices.Sort(samples)
	return kindSummary{
		Kind:            k.String(),
		Requests:        s.requests,
		Errors:          s.errors,
		TransportErrors: s.transport,
		Status:          maps.Clone(s.status),
		P50MS:           ms(percentile(samples, 50)),
		P95MS:           ms(percentile(samples, 95)),
		P99MS:           ms(percentile(samples, 99)),
		MaxMS:           ms(s.max),
	}, samples
}

// percentile is the nearest-rank p-th percentile of sorted (0 for none).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// writeSummary prints sum as a table, or as JSON.
func writeSummary(w io.Writer, sum summary, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	return writeTable(w, sum)
}

// writeTable prints sum as a table, numbers right-aligned, with a total row and a
// rate line.
func writeTable(w io.Writer, sum summary) error {
	width := len(sum.Total.Kind)
	for _, ks := range sum.Kinds {
		width = max(width, len(ks.Kind))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\trequests\terrors\tp50 ms\tp95 ms\tp99 ms\tmax ms\t  status\n", width, "kind")
	for _, ks := range sum.Kinds {
		writeRow(tw, width, ks)
	}
	writeRow(tw, width, sum.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d requests in %.1fs: %.1f requests/second, error rate %.2f%% (%d workers, rate %s)\n",
		sum.Total.Requests, sum.ElapsedSeconds, sum.RequestsPerSecond, 100*sum.ErrorRate, sum.Workers, rateText(sum.Rate))
	return err
}

// writeRow prints one row of the table, the kind padded to width; the status counts
// trail the aligned columns.
func writeRow(w io.Writer, width int, ks kindSummary) {
	fmt.Fprintf(w, "%-*s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t  %s\n",
		width, ks.Kind, ks.Requests, ks.Errors, ks.P50MS, ks.P95MS, ks.P99MS, ks.MaxMS, statusText(ks))
}

// statusText lists the status counts in code order, e.g. "200:41 401:2 err:1".
func statusText(ks kindSummary) string {
	codes := make([]int, 0, len(ks.Status))
	for code := range ks.Status {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	parts := make([]string, 0, len(codes)+1)
	for _, code := range codes {
		parts = append(parts, fmt.Sprintf("%d:%d", code, ks.Status[code]))
	}
	if ks.TransportErrors > 0 {
		parts = append(parts, fmt.Sprintf("err:%d", ks.TransportErrors))
	}
	return strings.Join(parts, " ")
}

// rateText describes the -rate setting.
func rateText(rate float64) string {
	if rate == 0 {
		return "unlimited"
	}
	return strconv.FormatFloat(rate, 'f', -1, 64) + "/s"
}
