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

func TestCorpuRunsThroughPgBouncerInTransactionMode(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	rdb, names := queue.NewTestRedis(t)
	deps := &Deps{Config: cfg, Log: slog.New(slog.DiscardHandler),
		DB:    database.NewTestDBThroughPgBouncer(t, "default_query_exec_mode=cache_describe"),
		Redis: rdb, Store: objectstore.NewTestStore(t), Queues: names}
	a, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Seed(context.Background()); err != nil {
		t.Fatalf("seed through PgBouncer: %v", err)
	}
	srv := &TestServer{Server: httptest.NewServer(a.HTTP()), App: a, Deps: deps}
	t.Cleanup(srv.Close)
	learner := login(t, srv, "fajar@bappeda.sidoarjokab.go.id")
	var classes struct {
		Items []struct{ ID string } `json:"items"`
	}
	if s := learner.do("GET", "/api/v1/classes", nil, &classes); s != 200 || len(classes.Items) != 1 {
		t.Fatalf("classes = %d with %d, want the demo class", s, len(classes.Items))
	}
	if s := learner.do("POST", "/api/v1/classes/"+classes.Items[0].ID+"/enrolments", nil, nil); s != 201 {
		t.Errorf("enrol = %d, want 201", s)
	}
	for _, path := range []string{"/api/v1/me", "/api/v1/catalogue?q=literasi", "/api/v1/me/enrolments", "/api/v1/me/jp"} {
		if s := learner.do("GET", path, nil, nil); s != 200 {
			t.Errorf("GET %s = %d, want 200", path, s)
		}
	}
}
