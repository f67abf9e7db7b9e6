package app

import (
	"context"
	"testing"
	"time"
)

// runWorker processes tasks for the rest of the test, as in production.
func runWorker(t *testing.T, srv *TestServer) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.App.RunWorker(ctx) }()
	t.Cleanup(func() { stop(); <-done })
}

// eventually fails the test when cond is not true within 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 15 s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
