package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// A process with two places: two requests are held inside; the rest wait.
func TestRequestsBeyondTheAdmittedOnesWaitThenAreTurnedAwayWithRetryAfter(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t)
	inside := make(chan struct{}, 2)
	release := make(chan struct{})
	g := e.Group("/api/v1", Admission(2, 100*time.Millisecond))
	g.GET("/slow", func(c echo.Context) error {
		inside <- struct{}{}
		<-release
		return c.NoContent(http.StatusNoContent)
	})
	g.GET("/fast", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}

	var held sync.WaitGroup
	for range 2 {
		held.Go(func() {
			if rec := get("/api/v1/slow"); rec.Code != http.StatusNoContent {
				t.Errorf("an admitted request = %d, want 204", rec.Code)
			}
		})
	}
	<-inside
	<-inside

	t.Run("a request beyond them waits, then gets 503 with Retry-After", func(t *testing.T) {
		begin := time.Now()
		rec := get("/api/v1/fast")
		if waited := time.Since(begin); rec.Code != http.StatusServiceUnavailable || waited < 100*time.Millisecond {
			t.Errorf("GET beyond the places = %d after %v, want 503 after the 100 ms wait", rec.Code, waited)
		}
		if rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), "server.busy") ||
			rec.Header().Get(echo.HeaderContentType) != ProblemContentType {
			t.Errorf("answer: Retry-After %q, %s %s; want 1 and a server.busy problem",
				rec.Header().Get("Retry-After"), rec.Header().Get(echo.HeaderContentType), rec.Body)
		}
	})
	t.Run("a request whose place frees within the wait is served", func(t *testing.T) {
		done := make(chan int)
		go func() { done <- get("/api/v1/fast").Code }()
		time.Sleep(20 * time.Millisecond)
		release <- struct{}{} // one slow request ends
		if code := <-done; code != http.StatusNoContent {
			t.Errorf("GET after a place freed = %d, want 204", code)
		}
	})
	close(release)
	held.Wait()
	if rec := get("/api/v1/fast"); rec.Code != http.StatusNoContent {
		t.Errorf("GET once everything ended = %d, want 204: the places were not given back", rec.Code)
	}
}
