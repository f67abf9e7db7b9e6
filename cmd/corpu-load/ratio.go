package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// ratioResult is the throughput of one path and its ratio to the baseline's.
type ratioResult struct {
	Path              string    `json:"path"`
	Requests          int64     `json:"requests"`
	Errors            int64     `json:"errors"`
	Seconds           float64   `json:"seconds"`
	RequestsPerSecond float64   `json:"requests_per_second"`
	P50Ms             float64   `json:"p50_ms"`
	P95Ms             float64   `json:"p95_ms"`
	Ratio             float64   `json:"ratio"`        // to the baseline, over the whole run
	RoundRatios       []float64 `json:"round_ratios"` // to the baseline of the same round
}

// ratioSummary is the outcome of -mode ratio.
type ratioSummary struct {
	URL      string        `json:"url"`
	Workers  int           `json:"workers"`
	Rounds   int           `json:"rounds"`
	Baseline string        `json:"baseline"`
	Paths    []ratioResult `json:"paths"` // the baseline first
}

// runRatio measures, in one run, how many requests per second the server answers
// on each path compared with the baseline: every worker signs in, then the whole
// pool hammers one path at a time (closed loop: each worker sends its next request
// when the last one is answered) for an equal slice of -duration. The turns are
// interleaved over -rounds, baseline first in each, so a neighbour loading the
// machine for a while weighs on every path alike; the spread of the per-round
// ratios shows how much it did.
func runRatio(ctx context.Context, cfg config, stdout io.Writer) error {
	c := &client{http: newHTTPClient(cfg.workers), baseURL: cfg.baseURL, password: cfg.password,
		timeout: cfg.timeout, rec: newRecorder(reservoirSize)}
	defer c.http.CloseIdleConnections()
	sessions, err := c.signInEach(ctx, cfg.users[:min(len(cfg.users), cfg.workers)])
	if err != nil {
		return err
	}
	paths := append([]string{cfg.baseline}, cfg.paths...)
	callers, err := c.callersOf(ctx, paths, sessions)
	if err != nil {
		return err
	}
	turn := cfg.duration / time.Duration(cfg.rounds*len(paths))
	if turn < 100*time.Millisecond {
		return fmt.Errorf("-duration %v leaves %v per turn; give at least 100ms", cfg.duration, turn)
	}
	results := make([]ratioResult, len(paths))
	latencies := make([][]time.Duration, len(paths))
	for i, p := range paths {
		results[i].Path = p
	}
	for range cfg.rounds {
		var baseRate float64
		for i, p := range paths {
			if ctx.Err() != nil {
				break
			}
			_, path := pathCaller(p)
			n, errs, elapsed, took := c.hammer(ctx, path, callers[i], cfg.workers, turn)
			r := &results[i]
			r.Requests += n
			r.Errors += errs
			r.Seconds += elapsed.Seconds()
			latencies[i] = append(latencies[i], took...)
			rate := float64(n-errs) / elapsed.Seconds()
			if i == 0 {
				baseRate = rate
			}
			if baseRate > 0 {
				r.RoundRatios = append(r.RoundRatios, rate/baseRate)
			}
		}
	}
	for i := range results {
		results[i].P50Ms, results[i].P95Ms = percentileMs(latencies[i], 0.50), percentileMs(latencies[i], 0.95)
	}
	for i := range results {
		r := &results[i]
		if r.Seconds > 0 {
			r.RequestsPerSecond = float64(r.Requests-r.Errors) / r.Seconds
		}
		if results[0].RequestsPerSecond > 0 {
			r.Ratio = r.RequestsPerSecond / results[0].RequestsPerSecond
		}
	}
	sum := ratioSummary{URL: cfg.baseURL, Workers: cfg.workers, Rounds: cfg.rounds, Baseline: cfg.baseline, Paths: results}
	if err := writeRatio(stdout, sum, cfg.json); err != nil {
		return err
	}
	var total, failed int64
	for _, r := range results {
		total += r.Requests
		failed += r.Errors
	}
	switch {
	case total == 0:
		return errors.New("no requests completed")
	case float64(failed)/float64(total) > cfg.maxErrorRate:
		return fmt.Errorf("error rate %.2f%% exceeds -max-error-rate %.2f%%", 100*float64(failed)/float64(total), 100*cfg.maxErrorRate)
	}
	return nil
}

// pathCaller splits a -paths entry "login=/path" into the login whose session
// calls the path and the path; a plain "/path" has no login of its own.
func pathCaller(entry string) (login, path string) {
	if i := strings.Index(entry, "=/"); i > 0 && !strings.Contains(entry[:i], "/") {
		return entry[:i], entry[i+1:]
	}
	return "", entry
}

// callersOf returns the sessions that call each path: its own login's
// (signed in once however many paths name it) or, by default, sessions.
func (c *client) callersOf(ctx context.Context, paths []string, sessions []*session) ([][]*session, error) {
	own := map[string]*session{}
	callers := make([][]*session, len(paths))
	for i, p := range paths {
		login, _ := pathCaller(p)
		if login == "" {
			callers[i] = sessions
			continue
		}
		if own[login] == nil {
			s, err := c.signIn(ctx, login)
			if err != nil {
				return nil, err
			}
			own[login] = s
		}
		callers[i] = []*session{own[login]}
	}
	return callers, nil
}

// percentileMs is the q-quantile of took in milliseconds (0 for none).
func percentileMs(took []time.Duration, q float64) float64 {
	if len(took) == 0 {
		return 0
	}
	slices.Sort(took)
	return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
}

// hammer sends GET path from workers closed-loop for d and counts the answers and
// the non-2xx ones among them, with the latency of each. A worker renews its
// session on a 401 (not counted).
func (c *client) hammer(ctx context.Context, path string, sessions []*session, workers int, d time.Duration) (n, errs int64, elapsed time.Duration, took []time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var requests, failures atomic.Int64
	var mu sync.Mutex // guards renewing a shared session and took
	start := time.Now()
	var wg sync.WaitGroup
	for i := range workers {
		s := sessions[i%len(sessions)]
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				access := s.access
				mu.Unlock()
				sent := time.Now()
				out, err := c.send(ctx, http.MethodGet, path, access, nil, nil)
				if ctx.Err() != nil {
					return // cut short by the end of the turn
				}
				answered := time.Since(sent)
				if err == nil && out.status == http.StatusUnauthorized {
					mu.Lock()
					if s.access == access {
						_ = c.renew(ctx, s)
					}
					mu.Unlock()
					continue
				}
				requests.Add(1)
				if err != nil || !ok(out.status) {
					failures.Add(1)
					continue
				}
				mu.Lock()
				took = append(took, answered)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return requests.Load(), failures.Load(), time.Since(start), took
}

// writeRatio prints the ratios as a table, or as JSON.
func writeRatio(w io.Writer, sum ratioSummary, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "path\trequests\terrors\treq/s\tp50 ms\tp95 ms\tratio\tround ratios (min–max)\t\n")
	for _, r := range sum.Paths {
		lo, hi := 0.0, 0.0
		if len(r.RoundRatios) > 0 {
			lo, hi = slices.Min(r.RoundRatios), slices.Max(r.RoundRatios)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.1f\t%.1f\t%.3f\t%.3f–%.3f\t\n", r.Path, r.Requests, r.Errors, r.RequestsPerSecond,
			r.P50Ms, r.P95Ms, r.Ratio, lo, hi)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "ratios to %s; %d workers, %d rounds\n", sum.Baseline, sum.Workers, sum.Rounds)
	return err
}
