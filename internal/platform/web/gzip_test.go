package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corpu/corpu/internal/platform/config"
)

func TestOnlyBodiesWorthCompressingAreCompressed(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t)
	long := strings.Repeat("literasi digital ", 200) // 3,400 bytes
	e.GET("/long", func(c echo.Context) error { return c.String(http.StatusOK, long) })
	e.GET("/short", func(c echo.Context) error { return c.String(http.StatusOK, "pendek") })
	e.GET("/exact", func(c echo.Context) error { return c.String(http.StatusOK, strings.Repeat("x", 1024)) })
	e.GET("/empty", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.GET("/streamed", func(c echo.Context) error {
		c.Response().WriteHeader(http.StatusOK)
		for range 200 {
			_, _ = c.Response().Write([]byte("sepotong "))
		}
		return nil
	})
	tests := []struct {
		name, path, accept string
		wantStatus         int
		wantGzip           bool
		wantBody           string
	}{
		{"a long body is compressed", "/long", "gzip", 200, true, long},
		{"a body of exactly the minimum is compressed", "/exact", "gzip", 200, true, strings.Repeat("x", 1024)},
		{"a short body is sent as it is", "/short", "gzip", 200, false, "pendek"},
		{"the ping is sent as it is", "/api/v1/ping", "gzip, deflate, br", 200, false, `{"status":"ok"}` + "\n"},
		{"a body written in pieces is compressed once it is long", "/streamed", "gzip", 200, true, strings.Repeat("sepotong ", 200)},
		{"a client that does not accept gzip gets plain text", "/long", "", 200, false, long},
		{"a client that refuses gzip with q=0 gets plain text", "/long", "br, gzip;q=0", 200, false, long},
		{"an empty answer stays empty", "/empty", "gzip", 204, false, ""},
		{"an error problem is sent as it is", "/limited", "gzip", 429, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.accept != "" {
				req.Header.Set(echo.HeaderAcceptEncoding, tt.accept)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("GET %s = %d, want %d", tt.path, rec.Code, tt.wantStatus)
			}
			gotGzip := rec.Header().Get(echo.HeaderContentEncoding) == "gzip"
			if gotGzip != tt.wantGzip {
				t.Fatalf("GET %s Content-Encoding = %q, want gzip %v", tt.path, rec.Header().Get(echo.HeaderContentEncoding), tt.wantGzip)
			}
			if vary := strings.Join(rec.Header().Values(echo.HeaderVary), ", "); !strings.Contains(vary, echo.HeaderAcceptEncoding) {
				t.Errorf("GET %s Vary = %q, want Accept-Encoding", tt.path, vary)
			}
			body := rec.Body.Bytes()
			if gotGzip {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("GET %s body = %.60q…, want %.60q…", tt.path, body, tt.wantBody)
			}
		})
	}
}

func TestAcceptsGzipReadsTheHeaderAsRFC9110Says(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=0.5": true, "gzip;q=0": false,
		"gzip; q=0.000": false, "br": false, "x-gzip": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// BenchmarkSmallJSON is the cost of a small answer through every middleware;
// Echo's gzip middleware reset a compressor for it, which was most of it.
func BenchmarkSmallJSON(b *testing.B) {
	e := New(Options{Config: config.HTTP{BodyLimitBytes: 1 << 20, RequestTimeoutSeconds: 30}, Log: discardLogger(), Registry: newRegistry()})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/ping", nil)
		req.Header.Set(echo.HeaderAcceptEncoding, "gzip")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
	}
}

func discardLogger() *slog.Logger       { return slog.New(slog.DiscardHandler) }
func newRegistry() *prometheus.Registry { return prometheus.NewRegistry() }
