package app

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestTheCertificateVerificationAnswersWithoutSignIn(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	anyone := anonymous(t, srv)
	for _, tc := range []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"an unknown serial", "GET", "/api/v1/verify/BPSDM-JABAR-2026-999999", nil, http.StatusNotFound},
		{"a malformed serial", "GET", "/api/v1/verify/not-a-serial", nil, http.StatusBadRequest},
		{"a PDF digest of an unknown serial", "POST", "/api/v1/verify/BPSDM-JABAR-2026-999999/pdf",
			map[string]string{"sha256": strings.Repeat("ab", 32)}, http.StatusNotFound},
		{"a malformed digest", "POST", "/api/v1/verify/BPSDM-JABAR-2026-999999/pdf", map[string]string{"sha256": "abc"}, http.StatusUnprocessableEntity},
	} {
		if got := anyone.do(tc.method, tc.path, tc.body, nil); got != tc.want {
			t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, got, tc.want)
		}
	}
	for _, tc := range []struct{ lang, want string }{{"id", "TIDAK DIKENAL"}, {"en", "UNKNOWN"}} {
		req, _ := http.NewRequest("GET", srv.URL+"/verify/BPSDM-JABAR-2026-999999", nil)
		req.Header.Set("Accept-Language", tc.lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), tc.want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("page in %s = %d %s, want 404 HTML saying %q", tc.lang, resp.StatusCode, resp.Header.Get("Content-Type"), tc.want)
		}
	}
}
