package app

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
)

// TestServer is Corpu's API running in-process on a database, a bucket and a
// Redis namespace of the test's own.
type TestServer struct {
	*httptest.Server
	App  *App
	Deps *Deps
}

// NewTestServer starts the API for one test; it stops when the test ends.
// Each of adjust may change the configuration before the API is wired.
func NewTestServer(t testing.TB, adjust ...func(*config.Config)) *TestServer {
	t.Helper()
	cfg, err := config.Load("", nil)
	if err != nil {
		t.Fatalf("test config: %v", err)
	}

	cfg.HTTP.CORSOrigins = []string{"https://corpu.example.go.id"}
	// Password hashes cost what they must in production; tests sign in
	// hundreds of times on busy machines and hash at the minimum.
	cfg.Auth.PasswordMemoryKiB, cfg.Auth.PasswordIterations, cfg.Auth.PasswordParallelism = 64, 1, 1
	for _, f := range adjust {
		f(&cfg)
	}
	rdb, names := queue.NewTestRedis(t)
	store := objectstore.NewTestStore(t)
	deps := &Deps{
		Config: cfg,
		Log:    slog.New(slog.DiscardHandler),
		DB:     database.NewTestDB(t),
		Redis:  rdb,
		Store:  store,
		Queues: names,
	}
	a, err := New(deps)
	if err != nil {
		t.Fatalf("wire app: %v", err)
	}
	srv := httptest.NewServer(a.HTTP())
	t.Cleanup(srv.Close)
	if err := store.AllowBrowserOrigins(context.Background(), []string{srv.URL}); err != nil {
		t.Fatalf("let the pages upload: %v", err)
	}
	return &TestServer{Server: srv, App: a, Deps: deps}
}
