package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/app"
)

func TestRunAnswersVersionAndRefusesUnknownCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"version", []string{"version"}, "corpu ", ""},
		{"no command", nil, "", "no command given"},
		{"unknown command", []string{"--config", "", "teach"}, "", `unknown command "teach"`},
		{"migrate without a direction", []string{"--config", "", "migrate"}, "", "usage: corpu migrate"},
		{"bad configuration", []string{"--config", "/nonexistent/corpu.yaml", "serve"}, "", "read config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if tt.wantErr == "" {
				if err != nil || !strings.Contains(out.String(), tt.wantOut) {
					t.Errorf("run(%v) = %q, %v; want output containing %q", tt.args, out.String(), err, tt.wantOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%v) error = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestTheWorkerServesMetricsAndHealth(t *testing.T) {
	t.Parallel()
	srv := app.NewTestServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveWorkerMetrics(ctx, ln, srv.App.MetricsHandler()) }()
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	for _, metric := range []string{"corpu_outbox_backlog 0", "corpu_outbox_oldest_pending_seconds", "corpu_outbox_oldest_open_delivery_seconds", "corpu_outbox_scrape_error 0"} {
		if !strings.Contains(string(body), metric) {
			t.Errorf("GET /metrics lacks %q", metric)
		}
	}
	// The container's health check: the binary asks the worker's /healthz.
	if err := run(context.Background(), []string{"healthcheck", "--url", base + "/healthz"}, io.Discard); err != nil {
		t.Errorf("healthcheck of the worker = %v, want nil", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serveWorkerMetrics() after cancel = %v, want nil", err)
	}
}
