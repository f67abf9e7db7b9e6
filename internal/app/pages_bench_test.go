package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// learnerPages signs Budi in, enrols him in the demo class and starts its
// quiz; it returns his browser and the pages a learner opens most.
func learnerPages(t testing.TB, srv *TestServer) (*browser, map[string]string) {
	t.Helper()
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv)
	b.signIn("budi@diskominfo.bandung.go.id")
	_, _, body := b.get("/classes")
	class := firstMatch(t, `href="/classes/([0-9a-f-]+)"`, body)
	_, _, body = b.post("/classes/"+class+"/enrol", nil)
	player := strings.ReplaceAll(firstMatch(t, `href="(/learn/[^"]+)"`, body), "&amp;", "&")
	_, _, body = b.get(player)
	start := firstMatch(t, `action="(/classes/[0-9a-f-]+/quizzes/[0-9a-f-]+/attempts)"`, body)
	_, quiz, _ := b.post(start, nil)
	return b, map[string]string{
		"sign-in": "/sign-in", "catalogue": "/catalogue?q=literasi", "class": "/classes/" + class,
		"player": player, "quiz": quiz, "my classes": "/my/classes", "my JP": "/my/jp",
	}
}

var assetLink = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// TestLearnerPagesWeighLessThan200KBOnFirstLoad sums what a browser with an
// empty cache downloads for each learner page (the page, its stylesheet and
// scripts, gzip as browsers ask for it).
func TestLearnerPagesWeighLessThan200KBOnFirstLoad(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	b, pages := learnerPages(t, srv)
	for name, path := range pages {
		total, html := b.transferSize(path)
		for _, m := range assetLink.FindAllStringSubmatch(html, -1) {
			n, _ := b.transferSize(m[1])
			total += n
		}
		t.Logf("%-10s %6d bytes on first load", name, total)
		if total > 200*1024 {
			t.Errorf("%s weighs %d bytes on first load, want under 200 KB", name, total)
		}
	}
}

// transferSize fetches path as a browser would (gzip) and returns the bytes
// on the wire and the decoded body.
func (b *browser) transferSize(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	body := string(raw)
	if res.Header.Get("Content-Encoding") == "gzip" {
		body = gunzip(b.t, raw)
	}
	return len(raw), body
}

// BenchmarkLearnerPageRender is the server's time to render the catalogue
// and the quiz page with the demo data, each request from scratch (pages
// are never cached), over HTTP on loopback. It reports the first request
// after start (cold-ms) and the p95 of all.
func BenchmarkLearnerPageRender(b *testing.B) {
	srv := NewTestServer(b)
	browser, pages := learnerPages(b, srv)
	for _, name := range []string{"catalogue", "quiz"} {
		b.Run(name, func(b *testing.B) {
			path := pages[name]
			durations := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if s, _, _ := browser.get(path); s != http.StatusOK {
					b.Fatalf("GET %s = %d", path, s)
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

func gunzip(t testing.TB, raw []byte) string {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return string(body)
}
