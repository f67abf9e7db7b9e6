package database

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/corpu/corpu/internal/platform/config"
)

// Under a steady load as wide as the pool, the shipped settings keep the
// connections they opened: a pool that keeps fewer idle than it opens
// closes the surplus after each request and opens new backends (a fork,
// authentication and every statement prepared again) for the next ones.
func TestTheShippedPoolKeepsItsConnectionsUnderSteadyLoad(t *testing.T) {
	t.Parallel()
	shipped, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := shipped.Database
	cfg.URL = testAdminURL()
	db, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var mu sync.Mutex
	backends := map[int]bool{}
	for range 5 {
		var wg sync.WaitGroup
		for range cfg.MaxOpenConns {
			wg.Go(func() {
				var pid int
				if err := db.SQL().QueryRow("SELECT pg_backend_pid() FROM pg_sleep(0.02)").Scan(&pid); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				backends[pid] = true
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	if len(backends) > cfg.MaxOpenConns {
		t.Errorf("5 rounds of %d requests at once used %d backends; want at most %d (max_idle_conns %d)",
			cfg.MaxOpenConns, len(backends), cfg.MaxOpenConns, cfg.MaxIdleConns)
	}
}
