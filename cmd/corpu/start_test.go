package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/corpu/corpu/internal/platform/database"
)

func TestHealthcheckAsksTheAddressCORPUHTTPADDRNames(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closed, _ := net.SplitHostPort(free.Addr().String())
	free.Close()
	tests := []struct {
		name    string
		args    []string
		env     []string
		wantErr string
	}{
		{"port only", nil, []string{"CORPU_HTTP_ADDR=:" + port}, ""},
		{"all interfaces", nil, []string{"CORPU_HTTP_ADDR=0.0.0.0:" + port}, ""},
		{"loopback", nil, []string{"CORPU_HTTP_ADDR=127.0.0.1:" + port}, ""},
		{"--url wins", []string{"--url", srv.URL + "/healthz"}, []string{"CORPU_HTTP_ADDR=:" + closed}, ""},
		{"nothing listens there", nil, []string{"CORPU_HTTP_ADDR=:" + closed}, closed},
		{"not an address", nil, []string{"CORPU_HTTP_ADDR=bogus"}, "CORPU_HTTP_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := healthcheck(context.Background(), tt.args, tt.env)
			if tt.wantErr == "" && err != nil {
				t.Errorf("healthcheck = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("healthcheck = %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

// These tests set CORPU_* variables for run, which reads the process's
// environment, so they do not run in parallel.

func TestServeWithABogusAddressFailsBeforeClaimingToServe(t *testing.T) {
	t.Setenv("CORPU_HTTP_ADDR", "bogus")
	stderr := captureStderr(t)
	err := run(context.Background(), []string{"--config", "", "serve"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "CORPU_HTTP_ADDR") {
		t.Errorf("serve with CORPU_HTTP_ADDR=bogus = %v, want an error naming CORPU_HTTP_ADDR", err)
	}
	if strings.Contains(stderr(), "serving") {
		t.Errorf("log = %s; it claimed to serve", stderr())
	}
}

func TestSeedBeforeMigrateSaysToMigrateAndUnknownVariablesAreReported(t *testing.T) {
	t.Setenv("CORPU_DATABASE_URL", database.NewEmptyTestDB(t))
	t.Setenv("CORPU_HTTP_ADRR", ":9999")
	stderr := captureStderr(t)

	err := run(context.Background(), []string{"--config", "", "seed"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "corpu migrate up") {
		t.Errorf("seed on an empty database = %v, want an error saying to run corpu migrate up", err)
	}
	if log := stderr(); !strings.Contains(log, "CORPU_HTTP_ADRR is not a Corpu setting") || !strings.Contains(log, "did you mean CORPU_HTTP_ADDR?") {
		t.Errorf("log = %s, want a warning naming CORPU_HTTP_ADRR and suggesting CORPU_HTTP_ADDR", log)
	}
	// What docker compose's one-shot setup service runs on a first start.
	for i := range 2 {
		if err := run(context.Background(), []string{"--config", "", "seed", "--migrate"}, &bytes.Buffer{}); err != nil {
			t.Fatalf("seed --migrate on an empty database (run %d) = %v, want it migrated and seeded", i+1, err)
		}
	}
}

// captureStderr sends os.Stderr to a file until the test ends and returns
// a function reading what was written.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = f
	t.Cleanup(func() { os.Stderr = saved; f.Close() })
	return func() string {
		b, _ := os.ReadFile(f.Name())
		return string(b)
	}
}
