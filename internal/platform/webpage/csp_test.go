package webpage

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestPageScriptsMaySendOnlyToCorpuAndTheObjectStoreAndPagesShowItsImages(t *testing.T) {
	for _, tc := range []struct {
		name    string
		origins []string
		want    []string
	}{
		{"without an object store", nil, []string{"default-src 'self';", "img-src 'self' data: https:;"}},
		{"with the object store", []string{"http://127.0.0.1:9000"}, []string{"connect-src 'self' http://127.0.0.1:9000",
			"img-src 'self' data: https: http://127.0.0.1:9000;"}},
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
			for _, want := range tc.want {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy = %q, want %q in it", csp, want)
				}
			}
			if tc.origins == nil && strings.Contains(csp, "connect-src") {
				t.Errorf("Content-Security-Policy = %q lets scripts connect elsewhere without an object store", csp)
			}
		})
	}
}
