package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// signInSummary is the outcome of -mode signin.
type signInSummary struct {
	URL              string        `json:"url"`
	Workers          int           `json:"workers"`
	ElapsedSeconds   float64       `json:"elapsed_seconds"`
	SignIns          int64         `json:"sign_ins"` // answered 200
	SignInsPerSecond float64       `json:"sign_ins_per_second"`
	Busy             int64         `json:"busy"` // answered 503 or 429: the server turned them away
	Login            kindSummary   `json:"login"`
	Status           map[int]int64 `json:"status"`
}

// runSignIn measures sign-ins per second: workers sign in as the users in turn,
// closed-loop, for -duration (or at -rate), and the run counts the ones that
// succeeded. A 503 or 429 (the server's bound on password hashing, or its limit
// per address) is counted as busy and the worker waits for its Retry-After.
func runSignIn(ctx context.Context, cfg config, stdout io.Writer) error {
	c := &client{http: newHTTPClient(cfg.workers), baseURL: cfg.baseURL, password: cfg.password,
		timeout: cfg.timeout, rec: newRecorder(reservoirSize), pace: newPacer(cfg.rate)}
	defer c.http.CloseIdleConnections()
	start := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range cfg.workers {
		wg.Go(func() {
			for n := i; runCtx.Err() == nil; n += cfg.workers {
				if c.pace.wait(runCtx) != nil {
					return
				}
				body := map[string]string{"login": cfg.users[n%len(cfg.users)], "password": cfg.password}
				out, err := c.send(runCtx, http.MethodPost, "/api/v1/auth/login", "", body, nil)
				if runCtx.Err() != nil {
					return
				}
				c.rec.record(kindLogin, out.status, out.elapsed, err)
				if err == nil && (out.status == http.StatusServiceUnavailable || out.status == http.StatusTooManyRequests) {
					if sleep(runCtx, backoff(out.retryAfter)) != nil {
						return
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	login, _ := c.rec.kinds[kindLogin].snapshot(kindLogin)
	sum := signInSummary{URL: cfg.baseURL, Workers: cfg.workers, ElapsedSeconds: elapsed.Seconds(),
		SignIns: login.Status[http.StatusOK], Busy: login.Status[http.StatusServiceUnavailable] + login.Status[http.StatusTooManyRequests],
		Login: login, Status: login.Status}
	sum.SignInsPerSecond = float64(sum.SignIns) / elapsed.Seconds()
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		_, err := fmt.Fprintf(stdout, "%d sign-ins in %.1fs: %.1f sign-ins/second; %d turned away (503/429); p50 %.0f ms, p95 %.0f ms, p99 %.0f ms; status %s (%d workers)\n",
			sum.SignIns, sum.ElapsedSeconds, sum.SignInsPerSecond, sum.Busy, login.P50MS, login.P95MS, login.P99MS, statusText(login), cfg.workers)
		if err != nil {
			return err
		}
	}
	if sum.SignIns == 0 {
		return errors.New("no sign-in succeeded")
	}
	if failed := login.Requests - sum.SignIns - sum.Busy; float64(failed)/float64(login.Requests) > cfg.maxErrorRate {
		return fmt.Errorf("%d of %d sign-ins failed, above -max-error-rate %.2f%%", failed, login.Requests, 100*cfg.maxErrorRate)
	}
	return nil
}
