package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPercentileIsTheNearestRankOfASortedSlice(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"the median of 1..100 ms is 50 ms", hundred, 50, 50 * time.Millisecond},
		{"the 95th percentile of 1..100 ms is 95 ms", hundred, 95, 95 * time.Millisecond},
		{"the 99th percentile of 1..100 ms is 99 ms", hundred, 99, 99 * time.Millisecond},
		{"the 100th percentile is the largest", hundred, 100, 100 * time.Millisecond},
		{"the 0th percentile is the smallest", hundred, 0, time.Millisecond},
		{"a single sample is every percentile", []time.Duration{7 * time.Millisecond}, 99, 7 * time.Millisecond},
		{"the median of four rounds down to the second", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"no samples give zero", nil, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(p%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestPickDrawsEveryKindInItsShare(t *testing.T) {
	t.Parallel()
	mix := learnerMix()
	total := totalWeight(mix)
	if total != 100 {
		t.Fatalf("the learner mix weighs %d, want 100 (percent)", total)
	}
	const draws = 200_000
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[kind]int{}
	for range draws {
		counts[pick(mix, rng.IntN(total))]++
	}
	for _, w := range mix {
		t.Run(w.kind.String()+" is drawn about its weight in percent", func(t *testing.T) {
			t.Parallel()
			share := 100 * float64(counts[w.kind]) / draws
			if diff := share - float64(w.weight); diff < -1 || diff > 1 {
				t.Errorf("%s drawn %.2f%% of the time, want %d%% ± 1", w.kind, share, w.weight)
			}
		})
	}
}

func TestPickMapsDrawsOntoWeightBoundaries(t *testing.T) {
	t.Parallel()
	mix := []weighted{{kindSearch, 2}, {kindMe, 1}, {kindJP, 3}}
	tests := []struct {
		name string
		draw int
		want kind
	}{
		{"the first draw falls on the first kind", 0, kindSearch},
		{"the last draw of a weight stays on its kind", 1, kindSearch},
		{"the next draw moves to the next kind", 2, kindMe},
		{"the last draw falls on the last kind", 5, kindJP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := pick(mix, tt.draw); got != tt.want {
				t.Errorf("pick(%d) = %s, want %s", tt.draw, got, tt.want)
			}
		})
	}
}

func TestRecorderKeepsABoundedReservoirAndCountsErrors(t *testing.T) {
	t.Parallel()
	r := newRecorder(10)
	for i := range 1000 {
		r.record(kindMe, http.StatusOK, time.Duration(i+1)*time.Millisecond, nil)
	}
	r.record(kindMe, http.StatusInternalServerError, time.Millisecond, nil)
	r.record(kindMe, 0, 2*time.Second, io.ErrUnexpectedEOF)
	sum := r.summarize(time.Second)

	if got := len(r.kinds[kindMe].samples); got != 10 {
		t.Errorf("the reservoir holds %d samples, want 10", got)
	}
	if len(sum.Kinds) != 1 || sum.Kinds[0].Kind != "me" {
		t.Fatalf("summary kinds = %+v, want only me", sum.Kinds)
	}
	me := sum.Kinds[0]
	if me.Requests != 1002 || me.Errors != 2 || me.TransportErrors != 1 {
		t.Errorf("me = %d requests, %d errors, %d transport errors; want 1002, 2, 1", me.Requests, me.Errors, me.TransportErrors)
	}
	if me.Status[200] != 1000 || me.Status[500] != 1 {
		t.Errorf("me status = %v, want 200:1000 500:1", me.Status)
	}
	if me.MaxMS != 2000 {
		t.Errorf("me max = %v ms, want 2000 (kept outside the reservoir)", me.MaxMS)
	}
	if sum.RequestsPerSecond != 1002 || sum.ErrorRate != 2.0/1002 {
		t.Errorf("total = %.1f/s, error rate %v; want 1002/s, %v", sum.RequestsPerSecond, sum.ErrorRate, 2.0/1002)
	}
}

func TestSummaryIsPrintedAsATableOrJSON(t *testing.T) {
	t.Parallel()
	sum := summary{
		URL: "http://corpu.test", Workers: 3, ElapsedSeconds: 2, RequestsPerSecond: 51, ErrorRate: 1.0 / 102,
		Kinds: []kindSummary{
			{Kind: "me", Requests: 100, Errors: 1, TransportErrors: 1, Status: map[int]int64{200: 99}, P50MS: 1.5, P95MS: 3.25, P99MS: 4, MaxMS: 12.345},
			{Kind: "login", Requests: 2, Status: map[int]int64{200: 2}, P50MS: 80, P95MS: 90, P99MS: 90, MaxMS: 90},
		},
		Total: kindSummary{Kind: "total", Requests: 102, Errors: 1, TransportErrors: 1, Status: map[int]int64{200: 101}, P50MS: 1.5, P95MS: 80, P99MS: 90, MaxMS: 90},
	}
	tests := []struct {
		name   string
		asJSON bool
		want   []string
	}{
		{"the table has a header, a row per kind, the total and the rate", false, []string{
			"kind   requests  errors  p50 ms  p95 ms  p99 ms  max ms  status\n",
			"me          100       1    1.50    3.25    4.00   12.35  200:99 err:1\n",
			"login         2       0   80.00   90.00   90.00   90.00  200:2\n",
			"total       102       1    1.50   80.00   90.00   90.00  200:101 err:1\n",
			"102 requests in 2.0s: 51.0 requests/second, error rate 0.98% (3 workers, rate unlimited)",
		}},
		{"the JSON names every figure", true, []string{
			`"requests_per_second": 51`,
			`"kind": "me"`,
			`"p95_ms": 3.25`,
			`"transport_errors": 1`,
			`"200": 99`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := writeSummary(&out, sum, tt.asJSON); err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestFlagsAreChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"the defaults are the three demo learners", nil, ""},
		{"a URL without a scheme is refused", []string{"-url", "localhost:8080"}, "not an http(s) URL"},
		{"no users are refused", []string{"-users", " , "}, "names no one"},
		{"zero workers are refused", []string{"-workers", "0"}, "at least 1"},
		{"a negative rate is refused", []string{"-rate", "-5"}, "-rate"},
		{"an error rate above one is refused", []string{"-max-error-rate", "2"}, "between 0 and 1"},
		{"an unknown mode is refused", []string{"-mode", "soak"}, "-mode"},
		{"a ratio path without a slash is refused", []string{"-mode", "ratio", "-paths", "api/v1/me"}, "does not start with /"},
		{"a ratio run without rounds is refused", []string{"-mode", "ratio", "-rounds", "0"}, "-rounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr == "" {
				if err != nil || len(cfg.users) != 3 || cfg.workers != 50 {
					t.Errorf("parseFlags(%v) = %+v, %v; want 3 users and 50 workers", tt.args, cfg, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%v) error = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestRunLoadsAServerAndSummarisesIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		extra       []string
		failMe      bool
		wantErr     string
		wantErrors  bool
		maxRequests int64
	}{
		{"a healthy server gets every kind of request and no errors", nil, false, "", false, 0},
		{"a run paced at 100 per second stays near that rate without errors", []string{"-rate", "100"}, false, "", false, 130},
		{"a server failing /me exceeds the error rate", nil, true, "exceeds -max-error-rate", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(newFakeCorpu(tt.failMe))
			defer srv.Close()
			var out bytes.Buffer
			args := append([]string{"-url", srv.URL, "-workers", "4", "-duration", "1s", "-json"}, tt.extra...)
			err := run(context.Background(), args, &out, io.Discard)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("run = %v, want error containing %q", err, tt.wantErr)
			}
			var sum summary
			if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
				t.Fatalf("summary is not JSON: %v\n%s", err, out.String())
			}
			// A paced second draws some 60 actions: a kind of weight 5 is
			// missing from one run in thirty, so only unpaced runs must show all.
			checkSummary(t, sum, tt.wantErrors, tt.maxRequests == 0)
			if tt.maxRequests > 0 && sum.Total.Requests > tt.maxRequests {
				t.Errorf("a paced run made %d requests in %.2fs, want at most %d", sum.Total.Requests, sum.ElapsedSeconds, tt.maxRequests)
			}
			t.Logf("%d requests, %.0f/s", sum.Total.Requests, sum.RequestsPerSecond)
		})
	}
}

// checkSummary asserts a run against the fake server counted requests of every kind,
// with errors only when wantErrors.
func checkSummary(t *testing.T, sum summary, wantErrors, everyKind bool) {
	t.Helper()
	if sum.Total.Requests < 30 || sum.RequestsPerSecond <= 0 {
		t.Errorf("total = %d requests at %.1f/s, want at least 30", sum.Total.Requests, sum.RequestsPerSecond)
	}
	if (sum.Total.Errors > 0) != wantErrors {
		t.Errorf("total errors = %d, want errors: %v; kinds %+v", sum.Total.Errors, wantErrors, sum.Kinds)
	}
	var counted int64
	seen := map[string]bool{}
	for _, ks := range sum.Kinds {
		counted += ks.Requests
		seen[ks.Kind] = ks.Requests > 0
	}
	if counted != sum.Total.Requests {
		t.Errorf("kinds add up to %d requests, total says %d", counted, sum.Total.Requests)
	}
	for k := range kindStart { // the kinds from kindStart on are the exam's
		if everyKind && !seen[k.String()] {
			t.Errorf("no %s requests in %+v", k, sum.Kinds)
		}
	}
}

// fakeCorpu is a stand-in for the server under load: it signs users in with tokens
// that stop working after a few uses (so workers must refresh) and answers the
// learner endpoints with canned JSON.
type fakeCorpu struct {
	mu     sync.Mutex
	next   int
	access map[string]int // access token → uses left
	valid  map[string]bool
	failMe bool
}

// newFakeCorpu returns the fake server's handler; failMe makes /api/v1/me answer 500.
func newFakeCorpu(failMe bool) http.Handler {
	f := &fakeCorpu{access: map[string]int{}, valid: map[string]bool{}, failMe: failMe}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/login", f.login)
	mux.HandleFunc("POST /api/v1/auth/refresh", f.refresh)
	mux.HandleFunc("GET /api/v1/catalogue", f.authed(f.catalogue))
	mux.HandleFunc("GET /api/v1/me", f.authed(f.me))
	mux.HandleFunc("GET /api/v1/me/enrolments", f.authed(canned(`{"items":[{"id":"e1","status":"active"}]}`)))
	mux.HandleFunc("GET /api/v1/me/jp", f.authed(canned(`{"year":2026,"total_jp":4.5,"entries":[]}`)))
	mux.HandleFunc("GET /api/v1/organizations", f.authed(canned(`{"items":[{"id":"o1","name":"Diskominfo"}]}`)))
	mux.HandleFunc("GET /api/v1/ping", canned(`{"status":"ok"}`))
	mux.HandleFunc("GET /api/v1/slow", f.authed(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(5 * time.Millisecond)
		writeJSON(w, http.StatusOK, `{}`)
	}))
	return mux
}

// issue hands out a new token pair.
func (f *fakeCorpu) issue(w http.ResponseWriter) {
	f.mu.Lock()
	f.next++
	access, refresh := fmt.Sprintf("acc-%d", f.next), fmt.Sprintf("ref-%d", f.next)
	f.access[access] = 5
	f.valid[refresh] = true
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"access_token":%q,"refresh_token":%q,"token_type":"Bearer","expires_in":900}`, access, refresh))
}

// login checks the demo password.
func (f *fakeCorpu) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ Login, Password string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Login == "" || in.Password != demoPassword {
		writeJSON(w, http.StatusUnauthorized, `{"status":401}`)
		return
	}
	f.issue(w)
}

// refresh trades a refresh token, once.
func (f *fakeCorpu) refresh(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	valid := f.valid[in.RefreshToken]
	delete(f.valid, in.RefreshToken)
	f.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusUnauthorized, `{"status":401}`)
		return
	}
	f.issue(w)
}

// authed answers 401 unless the bearer token has uses left.
func (f *fakeCorpu) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		left := f.access[token]
		if left > 0 {
			f.access[token] = left - 1
		}
		f.mu.Unlock()
		if left <= 0 {
			writeJSON(w, http.StatusUnauthorized, `{"status":401}`)
			return
		}
		next(w, r)
	}
}

// catalogue answers a first page with a next_cursor and a last page without.
func (f *fakeCorpu) catalogue(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("cursor") == "" && r.URL.Query().Get("q") == "" {
		writeJSON(w, http.StatusOK, `{"items":[{"course_id":"c1","title":"Literasi Digital"}],"next_cursor":"page-2"}`)
		return
	}
	writeJSON(w, http.StatusOK, `{"items":[{"course_id":"c2","title":"Keamanan Data"}]}`)
}

// me answers the caller, or 500 when the fake is told to fail it.
func (f *fakeCorpu) me(w http.ResponseWriter, _ *http.Request) {
	if f.failMe {
		writeJSON(w, http.StatusInternalServerError, `{"status":500}`)
		return
	}
	writeJSON(w, http.StatusOK, `{"user":{"id":"u1","name":"Budi"},"grants":[]}`)
}

// canned answers body.
func canned(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, body) }
}

// writeJSON writes a JSON answer.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
