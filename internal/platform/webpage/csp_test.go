package webpage

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestPageScriptsMaySendOnlyToCorpuAndTheObjectStore(t *testing.T) {
	for _, tc := range []struct {
		name    string
		origins []string
		want    string
	}{
		{"without an object store", nil, "default-src 'self';"},
		{"with the object store", []string{"https://s3.corpu.example.go.id"}, "connect-src 'self' https://s3.corpu.example.go.id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site, err := New(Options{Files: testFiles, Sessions: &fakeSessions{}, Log: slog.New(slog.DiscardHandler), UploadOrigins: tc.origins})
			if err != nil {
				t.Fatal(err)
			}
			e := echo.New()
			site.Mount(e)
			site.Public().GET("/page", func(c echo.Context) error { return site.Render(c, http.StatusOK, "test/form", nil) })
			w := serve(e, httptest.NewRequest(http.MethodGet, "/page", nil))
			csp := w.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, tc.want) || !strings.Contains(csp, "default-src 'self'") || tc.origins == nil && strings.Contains(csp, "connect-src") {
				t.Errorf("Content-Security-Policy = %q, want %q", csp, tc.want)
			}
		})
	}
}
