package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRatioModeComparesEachPathWithTheBaselineInOneRun(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newFakeCorpu(false))
	defer srv.Close()
	var out bytes.Buffer
	args := []string{"-mode", "ratio", "-url", srv.URL, "-workers", "4", "-duration", "1200ms", "-rounds", "2",
		"-paths", "/api/v1/slow,kabid@diskominfo.bandung.go.id=/api/v1/me", "-json"}
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatalf("run = %v\n%s", err, out.String())
	}
	var sum ratioSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out.String())
	}
	if len(sum.Paths) != 3 || sum.Paths[0].Path != "/api/v1/ping" || sum.Paths[1].Path != "/api/v1/slow" {
		t.Fatalf("paths = %+v, want the baseline then -paths", sum.Paths)
	}
	base, slow := sum.Paths[0], sum.Paths[1]
	if base.Ratio != 1 || base.RequestsPerSecond <= 0 {
		t.Errorf("baseline = %+v, want ratio 1 and some throughput", base)
	}
	// Four workers on a 5 ms handler make at most 800/s; the ping makes far more.
	if slow.Ratio <= 0 || slow.Ratio >= 0.8 || slow.RequestsPerSecond > 900 {
		t.Errorf("slow path = %+v, want a ratio well below 1", slow)
	}
	if slow.P95Ms < 5 || slow.P95Ms < slow.P50Ms {
		t.Errorf("slow path p50 %.1f ms, p95 %.1f ms; want a p95 of at least the handler's 5 ms", slow.P50Ms, slow.P95Ms)
	}
	if own := sum.Paths[2]; own.Path != "kabid@diskominfo.bandung.go.id=/api/v1/me" || own.RequestsPerSecond <= 0 {
		t.Errorf("a path with its own caller = %+v, want it called", own)
	}
	for _, r := range sum.Paths {
		if len(r.RoundRatios) != 2 || r.Errors != 0 {
			t.Errorf("%s: %d round ratios, %d errors; want 2 and none (401s renew the session)", r.Path, len(r.RoundRatios), r.Errors)
		}
	}

	out.Reset()
	if err := run(context.Background(), args[:len(args)-1], &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ratios to /api/v1/ping") || !strings.Contains(out.String(), "/api/v1/slow") {
		t.Errorf("table = %s, want the paths and their ratios", out.String())
	}
}

func TestSignInModeCountsSignInsPerSecondAndBusyAnswers(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/auth/login" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if n.Add(1)%4 == 0 { // every fourth is turned away
			w.Header().Set("Retry-After", "0")
			writeJSON(w, http.StatusServiceUnavailable, `{"status":503}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"access_token":"a","refresh_token":"r"}`)
	}))
	defer srv.Close()
	var out bytes.Buffer
	args := []string{"-mode", "signin", "-url", srv.URL, "-workers", "3", "-duration", "500ms", "-json"}
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatalf("run = %v\n%s", err, out.String())
	}
	var sum signInSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out.String())
	}
	if sum.SignIns < 3 || sum.Busy < 1 || sum.SignInsPerSecond <= 0 || sum.Login.Requests != sum.SignIns+sum.Busy {
		t.Errorf("summary = %+v, want sign-ins and busy answers that add up to the requests", sum)
	}
}

func TestARatioPathMayNameItsOwnCaller(t *testing.T) {
	t.Parallel()
	tests := []struct{ entry, login, path string }{
		{"/api/v1/users", "", "/api/v1/users"},
		{"admin@corpu.go.id=/api/v1/users?limit=50", "admin@corpu.go.id", "/api/v1/users?limit=50"},
		{"198001012005011001=/api/v1/team/enrolments", "198001012005011001", "/api/v1/team/enrolments"},
		{"/api/v1/users?q=a=/b", "", "/api/v1/users?q=a=/b"},
	}
	for _, tt := range tests {
		if login, path := pathCaller(tt.entry); login != tt.login || path != tt.path {
			t.Errorf("pathCaller(%q) = %q, %q; want %q, %q", tt.entry, login, path, tt.login, tt.path)
		}
	}
}
