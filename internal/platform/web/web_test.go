package web

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/config"
)

type createThing struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func newTestEcho(t *testing.T) *echo.Echo {
	t.Helper()
	e := New(Options{
		Config: config.HTTP{BodyLimitBytes: 256, RequestTimeoutSeconds: 5, CORSOrigins: []string{"https://a.go.id"}},
		Log:    slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
	})
	e.POST("/things", func(c echo.Context) error {
		var req createThing
		if err := Bind(c, &req); err != nil {
			return err
		}
		var v apperr.Validation
		v.Check(req.Name != "", "name", "wajib diisi", "is required")
		if err := v.Err(); err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, req)
	})
	e.GET("/panic", func(echo.Context) error { panic("boom") })
	e.GET("/limited", func(echo.Context) error {
		return apperr.New(apperr.KindRateLimited, "rate_limited", "Terlalu sering.", "Too often.").WithRetryAfter(30)
	})
	e.GET("/clash", func(echo.Context) error {
		return apperr.New(apperr.KindConflict, "schedule_clash", "Jadwal bentrok.", "Schedules clash.").
			WithExtension("clashes", []string{"session-1"})
	})
	return e
}

func TestProblemExtensionsAreMembersOfTheDocument(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	newTestEcho(t).ServeHTTP(rec, httptest.NewRequest("GET", "/clash", nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	clashes, _ := body["clashes"].([]any)
	if rec.Code != 409 || body["type"] != "urn:corpu:problem:schedule_clash" || len(clashes) != 1 || body["detail"] != "Jadwal bentrok." {
		t.Errorf("GET /clash = %d %s, want 409 with the standard members and clashes", rec.Code, rec.Body)
	}
}

func TestBadRequestsGetProblemDocuments(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t)
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		lang        string
		wantStatus  int
		wantType    string
		wantField   string
		wantDetail  string
	}{
		{"valid body", "POST", "/things", "application/json", `{"name":"a","count":1}`, "", 201, "", "", ""},
		{"malformed json", "POST", "/things", "application/json", `{"name":`, "", 400, "urn:corpu:problem:malformed", "", "bukan JSON"},
		{"malformed json in english", "POST", "/things", "application/json", `{"name":`, "en-US,en;q=0.9", 400, "urn:corpu:problem:malformed", "", "not valid JSON"},
		{"wrong type", "POST", "/things", "application/json", `{"name":"a","count":"two"}`, "", 400, "urn:corpu:problem:malformed", "count", ""},
		{"unknown field", "POST", "/things", "application/json", `{"name":"a","colour":"red"}`, "", 400, "urn:corpu:problem:malformed", "colour", ""},
		{"trailing data", "POST", "/things", "application/json", `{"name":"a"} {}`, "", 400, "urn:corpu:problem:malformed", "", ""},
		{"empty body", "POST", "/things", "application/json", ``, "", 400, "urn:corpu:problem:malformed", "", ""},
		{"not json", "POST", "/things", "text/plain", `name=a`, "", 415, "urn:corpu:problem:unsupported_media_type", "", ""},
		{"oversize body", "POST", "/things", "application/json", `{"name":"` + strings.Repeat("a", 1000) + `"}`, "", 413, "urn:corpu:problem:request_entity_too_large", "", ""},
		{"rule broken", "POST", "/things", "application/json", `{"count":1}`, "en", 422, "urn:corpu:problem:validation", "name", ""},
		{"no such route", "GET", "/nowhere", "", "", "", 404, "urn:corpu:problem:not_found", "", ""},
		{"handler panics", "GET", "/panic", "", "", "", 500, "urn:corpu:problem:internal", "", "internal"},
		{"rate limited", "GET", "/limited", "", "", "", 429, "urn:corpu:problem:rate_limited", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.lang != "" {
				req.Header.Set("Accept-Language", tt.lang)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, rec.Code, rec.Body, tt.wantStatus)
			}
			if tt.wantType == "" {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
				t.Errorf("Content-Type = %q, want %q", ct, ProblemContentType)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("decode problem: %v", err)
			}
			if p.Type != tt.wantType || p.Status != tt.wantStatus || p.Title == "" || p.Instance == "" {
				t.Errorf("problem = %+v, want type %s, status %d, a title and the request id", p, tt.wantType, tt.wantStatus)
			}
			if tt.wantField != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.wantField) {
				t.Errorf("problem errors = %+v, want one for field %s", p.Errors, tt.wantField)
			}
			if tt.wantDetail != "" && !strings.Contains(strings.ToLower(p.Detail), strings.ToLower(tt.wantDetail)) {
				t.Errorf("problem detail = %q, want it to mention %q", p.Detail, tt.wantDetail)
			}
		})
	}
}

func TestRateLimitedProblemTellsWhenToRetry(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	newTestEcho(t).ServeHTTP(rec, httptest.NewRequest("GET", "/limited", nil))
	if got := rec.Header().Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After = %q, want 30", got)
	}
}

func TestClientRequestIDIsEchoedBack(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/nowhere", nil)
	req.Header.Set("X-Request-Id", "client-chosen-id")
	rec := httptest.NewRecorder()
	newTestEcho(t).ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-Id"); got != "client-chosen-id" {
		t.Errorf("X-Request-Id = %q, want client-chosen-id", got)
	}
}

func TestLanguageFollowsTheQValuesAndDefaultsToIndonesian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header, want string
	}{
		{"", "id"},
		{"en", "en"},
		{"id", "id"},
		{"in", "id"}, // the old code of Indonesian
		{"en-GB,id;q=0.5", "en"},
		{"id-ID,en;q=0.8", "id"},
		{"en-GB", "en"},
		{"id-ID", "id"},
		{"en-US,en;q=0.9", "en"},
		{"fr", "id"},
		{"fr, en;q=0.5", "en"},
		{"en;q=0.1, id;q=0.9", "id"},
		{"id;q=0.2, en;q=0.8", "en"},
		{"en;q=0, id;q=0.1", "id"},
		{"*", "id"},
		{"*, en;q=0.5", "id"},
		{"de, *;q=0.1", "id"},
		{"!!garbage!!", "id"},
		{"en;q=abc", "id"},
		{";;;,,,", "id"},
		{strings.Repeat("en-", 200) + "x", "id"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Accept-Language", tt.header)
		if got := Language(req); got != tt.want {
			t.Errorf("Language(%.40q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestClientAddressComesFromForwardedForOnlyThroughATrustedProxy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trusted []string
		remote  string
		want    string
	}{
		{"no proxies configured", nil, "10.1.2.3:5000", "10.1.2.3"},
		{"request through a trusted balancer", []string{"10.0.0.0/8"}, "10.1.2.3:5000", "203.0.113.7"},
		{"request from outside the trusted networks", []string{"10.0.0.0/8"}, "198.51.100.1:5000", "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			if got := clientIPExtractor(tt.trusted)(req); got != tt.want {
				t.Errorf("client address = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEveryReaderOfARequestBodyAnswersItsFailuresAlike(t *testing.T) {
	t.Parallel()
	overLimit := func() error {
		rec := httptest.NewRecorder()
		_, err := ReadBody(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(strings.Repeat("x", 10))), 4))
		return err
	}
	bindOverLimit := func() error {
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"`+strings.Repeat("x", 100)+`"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		req.Body = http.MaxBytesReader(rec, req.Body, 16)
		var v struct{ Name string }
		return Bind(echo.New().NewContext(req, rec), &v)
	}
	tests := []struct {
		name string
		err  error
		want apperr.Kind
	}{
		{"a body over http.MaxBytesReader's limit", overLimit(), apperr.KindTooLarge},
		{"a JSON body over the limit", bindOverLimit(), apperr.KindTooLarge},
		{"a body over Echo's limit", BodyError(echo.NewHTTPError(http.StatusRequestEntityTooLarge)), apperr.KindTooLarge},
		{"a connection that breaks", BodyError(io.ErrClosedPipe), apperr.KindMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apperr.As(tt.err); got == nil || got.Kind != tt.want {
				t.Errorf("error = %v, want kind %v", tt.err, tt.want)
			}
		})
	}
}

func TestAClientThatWentAwayIsNoServerFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		clientGone bool
		err        error // what the handler returns once the client is gone, if it goes
		wantStatus int
	}{
		{"the handler sees the cancellation", true, context.Canceled, StatusClientClosedRequest},
		// pgx closes a connection whose query was cancelled; the statement on
		// it fails with ErrBadConn rather than the context's error.
		{"the database connection was closed by the cancellation", true, driver.ErrBadConn, StatusClientClosedRequest},
		{"a cancellation of the server's own making", false, context.Canceled, http.StatusInternalServerError},
		{"a bad connection while the client waits", false, driver.ErrBadConn, http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logged strings.Builder
			e := echo.New()
			e.HTTPErrorHandler = ErrorHandler(slog.New(slog.NewTextHandler(&logged, nil)))
			e.GET("/save", func(c echo.Context) error {
				if tc.clientGone {
					<-c.Request().Context().Done() // the client hangs up while the handler works
				}
				return fmt.Errorf("save answer: %w", tc.err)
			})
			ctx, cancel := context.WithCancel(context.Background())
			if tc.clientGone {
				cancel()
			}
			defer cancel()
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest("GET", "/save", nil).WithContext(ctx))
			loggedError := strings.Contains(logged.String(), "level=ERROR")
			if rec.Code != tc.wantStatus || loggedError != (tc.wantStatus >= 500) {
				t.Errorf("status %d, logged as an error: %v; want %d, logged as an error only if 5xx (log %q)", rec.Code, loggedError, tc.wantStatus, logged.String())
			}
		})
	}
}
