package certificate

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

func TestAPDFToCheckIsRefusedWhenTooLargeOrNotAPDF(t *testing.T) {
	f := newFixture(t)
	c := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	e := echo.New()
	e.HTTPErrorHandler = web.ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	NewPublicHandler(f.svc, 64).MountAPI(e.Group("/api/v1"))
	path := "/api/v1/verify/" + URLSerial(c.Serial) + "/pdf"
	for _, tc := range []struct {
		name, contentType, body string
		want                    int
	}{
		{"a PDF over the limit", "application/pdf", "%PDF-1.3 " + strings.Repeat("x", 100), http.StatusRequestEntityTooLarge},
		{"a file that is not a PDF", "application/pdf", "GIF89a", http.StatusUnsupportedMediaType},
		{"another media type", "text/plain", "%PDF-1.3", http.StatusUnsupportedMediaType},
		{"the digest of the original", "application/json", `{"sha256": "` + c.PDFSHA256 + `"}`, http.StatusOK},
		{"a malformed serial", "application/json", `{"sha256": "` + c.PDFSHA256 + `"}`, http.StatusBadRequest},
	} {
		target := path
		if tc.name == "a malformed serial" {
			target = "/api/v1/verify/nomor-salah/pdf"
		}
		req := httptest.NewRequest(http.MethodPost, target, bytes.NewBufferString(tc.body))
		req.Header.Set(echo.HeaderContentType, tc.contentType)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s = %d %s, want %d", tc.name, rec.Code, rec.Body, tc.want)
		}
	}
}
