package app

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"
)

// certificatePages signs Hendra in and returns his browser and the two
// certificate pages people open most: his list and the public verification
// page of his certificate (opened without a session).
func certificatePages(t testing.TB, srv *TestServer) (signedIn, anonymous *browser, mine, verify string) {
	t.Helper()
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	signedIn = newBrowser(t, srv)
	signedIn.signIn("kabid@diskominfo.bandung.go.id")
	_, _, body := signedIn.get("/my/certificates")
	return signedIn, newBrowser(t, srv), "/my/certificates", firstMatch(t, `href="https?://[^/]+(/verify/[^"]+)" class="share"`, body)
}

// TestCertificatePagesWeighLessThan200KBOnFirstLoad sums what a browser with
// an empty cache downloads for each page (the page, its stylesheet and
// scripts, gzip as browsers ask for it).
func TestCertificatePagesWeighLessThan200KBOnFirstLoad(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	signedIn, anonymous, mine, verify := certificatePages(t, srv)
	for _, tc := range []struct {
		name string
		b    *browser
		path string
	}{{"my certificates", signedIn, mine}, {"verify", anonymous, verify}} {
		total, html := tc.b.transferSize(tc.path)
		for _, m := range assetLink.FindAllStringSubmatch(html, -1) {
			n, _ := tc.b.transferSize(m[1])
			total += n
		}
		t.Logf("%-16s %6d bytes on first load", tc.name, total)
		if total > 200*1024 {
			t.Errorf("%s weighs %d bytes on first load, want under 200 KB", tc.name, total)
		}
	}
}

// BenchmarkCertificatePageRender is the server's time to render my
// certificates and the public verification page (which checks the Ed25519
// signature on every request), next to GET /api/v1/ping in the same run.
func BenchmarkCertificatePageRender(b *testing.B) {
	srv := NewTestServer(b)
	signedIn, anonymous, mine, verify := certificatePages(b, srv)
	for _, tc := range []struct {
		name string
		b    *browser
		path string
	}{{"ping", anonymous, "/api/v1/ping"}, {"my-certificates", signedIn, mine}, {"verify", anonymous, verify}} {
		b.Run(tc.name, func(b *testing.B) {
			durations := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if s, _, _ := tc.b.get(tc.path); s != http.StatusOK {
					b.Fatalf("GET %s = %d", tc.path, s)
				}
				durations = append(durations, time.Since(start))
			}
			cold := durations[0]
			slices.Sort(durations)
			b.ReportMetric(float64(durations[len(durations)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(cold.Microseconds())/1000, "first-ms")
		})
	}
}
