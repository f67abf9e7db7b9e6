package objectstore

import (
	"context"
	"net/http"
	"testing"
)

func TestABrowserOnTheSiteMayUploadToThePresignedURLAndNoOtherSiteMay(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t)
	const site = "https://corpu.example.go.id"
	if err := s.AllowBrowserOrigins(context.Background(), []string{site}); err != nil {
		t.Fatalf("AllowBrowsers: %v", err)
	}
	p, err := s.PresignPut(context.Background(), "uploads/cors-check")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		origin string
		allow  bool
	}{
		{site, true},
		{"https://evil.example", false},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, p.URL, nil)
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Access-Control-Request-Method", http.MethodPut)
			req.Header.Set("Access-Control-Request-Headers", "content-type")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			allowed := res.Header.Get("Access-Control-Allow-Origin")
			if tc.allow && (allowed != site || res.StatusCode >= 300) {
				t.Errorf("preflight from the site = %d with Allow-Origin %q, want it allowed", res.StatusCode, allowed)
			}
			if !tc.allow && (allowed == tc.origin || allowed == "*") {
				t.Errorf("preflight from another site is allowed (%q)", allowed)
			}
		})
	}
}

func TestTheStoreNamesTheOriginItsPresignedURLsPointTo(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t)
	if got, want := s.Origin(), "http://"+TestConfig().Endpoint; got != want {
		t.Errorf("Origin = %q, want %q", got, want)
	}
}
