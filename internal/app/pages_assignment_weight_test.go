package app

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestTheLearnerAssignmentPagesWeighLessThan200KBOnFirstLoad sums what a
// browser with an empty cache downloads for the learner's assignment page
// at its fullest (a version handed in, graded by the rubric and released)
// and their grades page, and logs the server's render time of the
// assignment page against GET /api/v1/ping in the same run.
func TestTheLearnerAssignmentPagesWeighLessThan200KBOnFirstLoad(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ra := w.rubricAssignment(t, "TUGAS-BOBOT")
	page := "/classes/" + ra.class + "/assignments/" + ra.item
	var sub idResponse
	w.must(t, w.as[mLearner], "POST", "/api/v1"+page+"/submissions", map[string]any{"text": "Rencana perizinan daring.",
		"links": []string{"https://perizinan.bandung.go.id/rencana"}}, &sub, 201)
	w.must(t, w.as[mInstructor], "POST", "/api/v1/assignment-submissions/"+sub.ID+"/grades", map[string]any{
		"levels": map[string]string{"analisis": "baik", "solusi": "kurang"}, "feedback": "Analisis tajam."}, nil, 200)
	w.must(t, w.as[mInstructor], "POST", "/api/v1"+page+"/release", nil, nil, 200)

	b := newBrowser(t, w.srv)
	b.signIn("budi@diskominfo.bandung.go.id")
	for name, path := range map[string]string{"assignment": page, "my grades": "/classes/" + ra.class + "/grades"} {
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

	// p95 returns the 95th percentile and the median of 200 requests.
	p95 := func(path string, do func() int) (time.Duration, time.Duration) {
		const n = 200
		d := make([]time.Duration, 0, n)
		for range n {
			start := time.Now()
			if s := do(); s != http.StatusOK {
				t.Fatalf("GET %s = %d", path, s)
			}
			d = append(d, time.Since(start))
		}
		slices.Sort(d)
		return d[n*95/100], d[n/2]
	}
	ping, pingMedian := p95("/api/v1/ping", func() int {
		res, err := http.Get(w.srv.URL + "/api/v1/ping")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	})
	render, renderMedian := p95(page, func() int { s, _, _ := b.get(page); return s })
	t.Logf("assignment page p95 %v (median %v), ping p95 %v (median %v), p95 ratio %.1f", render, renderMedian, ping, pingMedian,
		float64(render)/float64(ping))
}
