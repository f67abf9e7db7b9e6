// Command corpu-load is a load generator: simulated learners sign in to a running
// Corpu server and then do what learners do (search and browse the catalogue, look at
// their profile, enrolments and JP ledger, the organisation tree) as fast as they can or
// at a target rate, while it measures latency per kind of request.
//
//	corpu-load [-mode mix|ratio|signin] [-url http://localhost:8080] [-users a,b,c]
//	           [-password p] [-workers 50] [-duration 30s] [-rate 0] [-timeout 10s]
//	           [-max-error-rate 0.01] [-json]
//	           [-paths /api/v1/me,/healthz] [-baseline /api/v1/ping] [-rounds 3]
//	corpu-load exam -url URL -learners N -save-every 30s -start-window 60s -duration 3m [-json]
//
// -mode mix (the default) is the learner mix below. -mode ratio measures the
// throughput of each of -paths against -baseline in one run (see ratio.go), and
// -mode signin how many sign-ins per second the server completes (see signin.go).
// The exam subcommand provisions a quiz and sits it with N learners (see exam.go).
//
// Each worker signs in once as one of the users (workers cycle through them), refreshes
// its tokens when a request comes back 401, and loops over a weighted mix of requests.
// At the end (or on SIGINT) it prints a table of requests, errors (non-2xx or transport)
// and p50/p95/p99/max latency per kind, with totals and requests per second; the exit
// status is 1 when the error rate exceeds -max-error-rate.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// reservoirSize bounds the latency samples kept per kind; beyond it the reservoir
// keeps a uniform random sample of everything seen.
const reservoirSize = 100_000

// demoLearners are the demo learners of the seed data (see README.md).
const demoLearners = "budi@diskominfo.bandung.go.id,rina@diskominfo.bandung.go.id,fajar@bappeda.sidoarjokab.go.id"

// demoPassword is the password of every demo user.
const demoPassword = "Belajar-Terus-2026!"

// searchWords are the catalogue queries a simulated learner picks from.
const searchWords = "literasi digital data keamanan layanan spbe kepemimpinan informasi publik siber manajemen"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	// A second Ctrl-C kills at once, the first only stops the run.
	context.AfterFunc(ctx, stop)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "corpu-load:", err)
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	baseURL      string
	users        []string
	password     string
	workers      int
	duration     time.Duration
	rate         float64
	timeout      time.Duration
	maxErrorRate float64
	json         bool
	mode         string   // mix, ratio or signin
	paths        []string // ratio: the paths compared with baseline
	baseline     string   // ratio
	rounds       int      // ratio: how many times each path gets its turn
}

// run parses the flags, generates load until the duration passes or ctx ends, and
// writes the summary to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "exam" {
		return runExam(ctx, args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	switch cfg.mode {
	case "ratio":
		return runRatio(ctx, cfg, stdout)
	case "signin":
		return runSignIn(ctx, cfg, stdout)
	}
	sum, genErr := generate(ctx, cfg)
	if err := writeSummary(stdout, sum, cfg.json); err != nil {
		return err
	}
	switch {
	case genErr != nil:
		return genErr
	case sum.Total.Requests == 0:
		return errors.New("no requests completed")
	case sum.ErrorRate > cfg.maxErrorRate:
		return fmt.Errorf("error rate %.2f%% exceeds -max-error-rate %.2f%%", 100*sum.ErrorRate, 100*cfg.maxErrorRate)
	}
	return nil
}

// parseFlags reads and checks the command line.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("corpu-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("url", "http://localhost:8080", "base URL of the Corpu server")
	users := fs.String("users", demoLearners, "comma-separated logins (e-mail or NIP) the workers cycle through")
	password := fs.String("password", demoPassword, "password of every user")
	workers := fs.Int("workers", 50, "concurrent simulated learners")
	duration := fs.Duration("duration", 30*time.Second, "how long to run (sign-in included)")
	rate := fs.Float64("rate", 0, "total requests per second to aim for (0: as fast as possible)")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of one request")
	maxErrorRate := fs.Float64("max-error-rate", 0.01, "exit 1 when errors/requests exceeds this")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	mode := fs.String("mode", "mix", "mix: the learner mix; ratio: throughput of -paths against -baseline; signin: sign-ins per second")
	paths := fs.String("paths", "/api/v1/me,/healthz", "ratio: comma-separated GET paths to compare with -baseline")
	baseline := fs.String("baseline", "/api/v1/ping", "ratio: the path every other is compared with")
	rounds := fs.Int("rounds", 3, "ratio: turns each path gets, interleaved, so drift of a shared machine hits all alike")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg := config{
		baseURL:      strings.TrimRight(*baseURL, "/"),
		users:        splitList(*users),
		password:     *password,
		workers:      *workers,
		duration:     *duration,
		rate:         *rate,
		timeout:      *timeout,
		maxErrorRate: *maxErrorRate,
		json:         *asJSON,
		mode:         *mode,
		paths:        splitList(*paths),
		baseline:     *baseline,
		rounds:       *rounds,
	}
	return cfg, cfg.validate()
}

// validate rejects settings the generator cannot run with.
func (c config) validate() error {
	u, err := url.Parse(c.baseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("-url %q is not an http(s) URL", c.baseURL)
	case len(c.users) == 0:
		return errors.New("-users names no one")
	case c.workers < 1:
		return errors.New("-workers must be at least 1")
	case c.duration <= 0:
		return errors.New("-duration must be positive")
	case c.rate < 0 || math.IsNaN(c.rate) || math.IsInf(c.rate, 0):
		return errors.New("-rate must be 0 or a positive number")
	case c.timeout <= 0:
		return errors.New("-timeout must be positive")
	case c.maxErrorRate < 0 || c.maxErrorRate > 1:
		return errors.New("-max-error-rate must be between 0 and 1")
	case c.mode != "mix" && c.mode != "ratio" && c.mode != "signin":
		return fmt.Errorf("-mode %q is not mix, ratio or signin", c.mode)
	case c.mode == "ratio" && (len(c.paths) == 0 || !strings.HasPrefix(c.baseline, "/")):
		return errors.New("-mode ratio needs -paths and a -baseline path")
	case c.mode == "ratio" && c.rounds < 1:
		return errors.New("-rounds must be at least 1")
	}
	for _, p := range c.paths {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("-paths: %q does not start with /", p)
		}
	}
	return nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// kind is a kind of request, the unit the summary reports on.
type kind int

const (
	kindSearch        kind = iota // GET /api/v1/catalogue?q=word
	kindBrowse                    // GET /api/v1/catalogue?limit=20
	kindBrowseNext                // GET /api/v1/catalogue?limit=20&cursor=next_cursor
	kindMe                        // GET /api/v1/me
	kindEnrolments                // GET /api/v1/me/enrolments
	kindJP                        // GET /api/v1/me/jp
	kindOrganizations             // GET /api/v1/organizations
	kindLogin                     // POST /api/v1/auth/login
	kindRefresh                   // POST /api/v1/auth/refresh
	kindStart                     // exam: POST /api/v1/quizzes/{id}/attempts, each try
	kindStartWait                 // exam: from the first try of a start to its 201
	kindSave                      // exam: PUT /api/v1/attempts/{id}/answers/{slot}
	kindSaveMax                   // exam: the same, closed-loop at full speed
	kindSubmit                    // exam: POST /api/v1/attempts/{id}/submit
	kindAttempt                   // exam: GET /api/v1/attempts/{id}
	numKinds
)

// String is the name of the kind in the summary.
func (k kind) String() string {
	switch k {
	case kindSearch:
		return "catalogue_search"
	case kindBrowse:
		return "catalogue_page"
	case kindBrowseNext:
		return "catalogue_next"
	case kindMe:
		return "me"
	case kindEnrolments:
		return "me_enrolments"
	case kindJP:
		return "me_jp"
	case kindOrganizations:
		return "organizations"
	case kindLogin:
		return "login"
	case kindRefresh:
		return "refresh"
	case kindStart:
		return "attempt_start"
	case kindStartWait:
		return "attempt_start_wait"
	case kindSave:
		return "answer_save"
	case kindSaveMax:
		return "answer_save_max"
	case kindSubmit:
		return "attempt_submit"
	case kindAttempt:
		return "attempt_view"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// weighted is one action of the mix and its share.
type weighted struct {
	kind   kind
	weight int
}

// learnerMix is what a simulated learner does, in percent.
func learnerMix() []weighted {
	return []weighted{
		{kindSearch, 40},
		{kindBrowse, 15},
		{kindMe, 15},
		{kindEnrolments, 15},
		{kindJP, 10},
		{kindOrganizations, 5},
	}
}

// totalWeight is the sum of the weights of mix.
func totalWeight(mix []weighted) int {
	total := 0
	for _, w := range mix {
		total += w.weight
	}
	return total
}

// pick returns the action that draw, a number in [0, totalWeight(mix)), falls on.
func pick(mix []weighted, draw int) kind {
	for _, w := range mix {
		if draw < w.weight {
			return w.kind
		}
		draw -= w.weight
	}
	return mix[len(mix)-1].kind
}

// kindStats collects the outcomes of one kind of request.
type kindStats struct {
	mu        sync.Mutex
	requests  int64
	errors    int64
	transport int64
	status    map[int]int64
	samples   []time.Duration
	max       time.Duration
}

// recorder collects the outcomes of every kind; it is safe for concurrent use.
type recorder struct {
	kinds [numKinds]kindStats
	limit int
}

// newRecorder returns a recorder keeping at most limit latency samples per kind.
func newRecorder(limit int) *recorder {
	r := &recorder{limit: limit}
	for i := range r.kinds {
		r.kinds[i].status = map[int]int64{}
	}
	return r
}

// record notes one request of kind k: its status (0 when err is a transport error)
// and how long it took.
func (r *recorder) record(k kind, status int, d time.Duration, err error) {
	s := &r.kinds[k]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	switch {
	case err != nil:
		s.errors++
		s.transport++
	case status < 200 || status > 299:
		s.errors++
	}
	if err == nil {
		s.status[status]++
	}
	s.max = max(s.max, d)
	if len(s.samples) < r.limit {
		s.samples = append(s.samples, d)
	} else if j := rand.Int64N(s.requests); j < int64(r.limit) {
		s.samples[j] = d
	}
}

// kindSummary is the outcome of one kind of request (or of all, for the total).
type kindSummary struct {
	Kind            string        `json:"kind"`
	Requests        int64         `json:"requests"`
	Errors          int64         `json:"errors"`
	TransportErrors int64         `json:"transport_errors"`
	Status          map[int]int64 `json:"status,omitempty"`
	P50MS           float64       `json:"p50_ms"`
	P95MS           float64       `json:"p95_ms"`
	P99MS           float64       `json:"p99_ms"`
	MaxMS           float64       `json:"max_ms"`
}

// summary is the outcome of a run.
type summary struct {
	URL               string        `json:"url"`
	Workers           int           `json:"workers"`
	Rate              float64       `json:"rate"`
	ElapsedSeconds    float64       `json:"elapsed_seconds"`
	RequestsPerSecond float64       `json:"requests_per_second"`
	ErrorRate         float64       `json:"error_rate"`
	Kinds             []kindSummary `json:"kinds"`
	Total             kindSummary   `json:"total"`
}

// summarize turns what r collected over elapsed into a summary; kinds never requested
// are left out, and the total has latencies over every kind's samples.
func (r *recorder) summarize(elapsed time.Duration) summary {
	sum := summary{ElapsedSeconds: elapsed.Seconds(), Total: kindSummary{Kind: "total", Status: map[int]int64{}}}
	var all []time.Duration
	for k := range numKinds {
		ks, samples := r.kinds[k].snapshot(k)
		if ks.Requests == 0 {
			continue
		}
		sum.Kinds = append(sum.Kinds, ks)
		all = append(all, samples...)
		sum.Total.Requests += ks.Requests
		sum.Total.Errors += ks.Errors
		sum.Total.TransportErrors += ks.TransportErrors
		sum.Total.MaxMS = max(sum.Total.MaxMS, ks.MaxMS)
		for code, n := range ks.Status {
			sum.Total.Status[code] += n
		}
	}
	slices.Sort(all)
	sum.Total.P50MS, sum.Total.P95MS, sum.Total.P99MS = ms(percentile(all, 50)), ms(percentile(all, 95)), ms(percentile(all, 99))
	if sum.Total.Requests > 0 {
		sum.ErrorRate = float64(sum.Total.Errors) / float64(sum.Total.Requests)
	}
	if elapsed > 0 {
		sum.RequestsPerSecond = float64(sum.Total.Requests) / elapsed.Seconds()
	}
	return sum
}

// snapshot summarises the kind and returns its sorted samples.
func (s *kindStats) snapshot(k kind) (kindSummary, []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	samples := slices.Clone(s.samples)
	slices.Sort(samples)
	return kindSummary{
		Kind:            k.String(),
		Requests:        s.requests,
		Errors:          s.errors,
		TransportErrors: s.transport,
		Status:          maps.Clone(s.status),
		P50MS:           ms(percentile(samples, 50)),
		P95MS:           ms(percentile(samples, 95)),
		P99MS:           ms(percentile(samples, 99)),
		MaxMS:           ms(s.max),
	}, samples
}

// percentile is the nearest-rank p-th percentile of sorted (0 for none).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// writeSummary prints sum as a table, or as JSON.
func writeSummary(w io.Writer, sum summary, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	return writeTable(w, sum)
}

// writeTable prints sum as a table, numbers right-aligned, with a total row and a
// rate line.
func writeTable(w io.Writer, sum summary) error {
	width := len(sum.Total.Kind)
	for _, ks := range sum.Kinds {
		width = max(width, len(ks.Kind))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\trequests\terrors\tp50 ms\tp95 ms\tp99 ms\tmax ms\t  status\n", width, "kind")
	for _, ks := range sum.Kinds {
		writeRow(tw, width, ks)
	}
	writeRow(tw, width, sum.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d requests in %.1fs: %.1f requests/second, error rate %.2f%% (%d workers, rate %s)\n",
		sum.Total.Requests, sum.ElapsedSeconds, sum.RequestsPerSecond, 100*sum.ErrorRate, sum.Workers, rateText(sum.Rate))
	return err
}

// writeRow prints one row of the table, the kind padded to width; the status counts
// trail the aligned columns.
func writeRow(w io.Writer, width int, ks kindSummary) {
	fmt.Fprintf(w, "%-*s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t  %s\n",
		width, ks.Kind, ks.Requests, ks.Errors, ks.P50MS, ks.P95MS, ks.P99MS, ks.MaxMS, statusText(ks))
}

// statusText lists the status counts in code order, e.g. "200:41 401:2 err:1".
func statusText(ks kindSummary) string {
	codes := make([]int, 0, len(ks.Status))
	for code := range ks.Status {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	parts := make([]string, 0, len(codes)+1)
	for _, code := range codes {
		parts = append(parts, fmt.Sprintf("%d:%d", code, ks.Status[code]))
	}
	if ks.TransportErrors > 0 {
		parts = append(parts, fmt.Sprintf("err:%d", ks.TransportErrors))
	}
	return strings.Join(parts, " ")
}

// rateText describes the -rate setting.
func rateText(rate float64) string {
	if rate == 0 {
		return "unlimited"
	}
	return strconv.FormatFloat(rate, 'f', -1, 64) + "/s"
}

// pacer spaces requests evenly to hold a total rate; a nil pacer does not wait.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// newPacer returns a pacer for rate requests per second, or nil for 0 (no limit).
func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{interval: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the caller's slot comes, or ctx ends. Slots missed while every
// worker was busy are not made up in a burst.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	slot := p.next
	p.next = p.next.Add(p.interval)
	p.mu.Unlock()
	d := time.Until(slot)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// client talks to the server under load and records every request.
type client struct {
	http     *http.Client
	baseURL  string
	password string
	timeout  time.Duration
	rec      *recorder
	pace     *pacer
}

// newHTTPClient returns the one HTTP client every worker shares, keeping a connection
// per worker alive.
func newHTTPClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConns = workers + 10
	t.MaxIdleConnsPerHost = workers
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}

// session is one signed-in learner's tokens.
type session struct {
	login   string
	access  string
	refresh string
}

// tokens is the answer of login and refresh.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// generate runs the workers until cfg.duration passes or ctx ends, and summarises.
// It fails without starting the workers when a user cannot sign in, so a wrong
// password costs one failed sign-in per user rather than one per worker.
func generate(ctx context.Context, cfg config) (summary, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	c := &client{
		http:     newHTTPClient(cfg.workers),
		baseURL:  cfg.baseURL,
		password: cfg.password,
		timeout:  cfg.timeout,
		rec:      newRecorder(reservoirSize),
		pace:     newPacer(cfg.rate),
	}
	defer c.http.CloseIdleConnections()
	first, err := c.signInEach(ctx, cfg.users[:min(len(cfg.users), cfg.workers)])
	if err == nil {
		c.runWorkers(ctx, cfg, first)
	}
	sum := c.rec.summarize(time.Since(start))
	sum.URL, sum.Workers, sum.Rate = cfg.baseURL, cfg.workers, cfg.rate
	return sum, err
}

// signInEach signs in as each of logins in turn, stopping at the first failure.
func (c *client) signInEach(ctx context.Context, logins []string) ([]*session, error) {
	sessions := make([]*session, 0, len(logins))
	for _, login := range logins {
		s, err := c.signIn(ctx, login)
		if err != nil {
			return nil, err
		}
		sessions = append(sessions, s)
	}
	return sessions, nil
}

// runWorkers starts cfg.workers learners, worker i as user i mod len(users) (the first
// ones with the sessions of first), and waits for them to stop.
func (c *client) runWorkers(ctx context.Context, cfg config, first []*session) {
	var wg sync.WaitGroup
	for i := range cfg.workers {
		login := cfg.users[i%len(cfg.users)]
		var s *session
		if i < len(first) {
			s = first[i]
		}
		wg.Go(func() { c.learn(ctx, login, s) })
	}
	wg.Wait()
}

// learn is one simulated learner: it signs in unless s is given, then does what the
// mix says until ctx ends.
func (c *client) learn(ctx context.Context, login string, s *session) {
	if s == nil {
		var err error
		if s, err = c.signIn(ctx, login); err != nil {
			return
		}
	}
	mix := learnerMix()
	total := totalWeight(mix)
	words := strings.Fields(searchWords)
	for ctx.Err() == nil {
		c.act(ctx, s, pick(mix, rand.IntN(total)), words)
	}
}

// act does one action of the mix.
func (c *client) act(ctx context.Context, s *session, k kind, words []string) {
	switch k {
	case kindSearch:
		q := url.Values{"q": {words[rand.IntN(len(words))]}}
		c.get(ctx, s, kindSearch, "/api/v1/catalogue?"+q.Encode(), nil)
	case kindBrowse:
		c.browse(ctx, s)
	case kindMe:
		c.get(ctx, s, kindMe, "/api/v1/me", nil)
	case kindEnrolments:
		c.get(ctx, s, kindEnrolments, "/api/v1/me/enrolments", nil)
	case kindJP:
		c.get(ctx, s, kindJP, "/api/v1/me/jp", nil)
	case kindOrganizations:
		c.get(ctx, s, kindOrganizations, "/api/v1/organizations", nil)
	}
}

// browse reads the first catalogue page and follows its next_cursor once.
func (c *client) browse(ctx context.Context, s *session) {
	var page struct {
		NextCursor string `json:"next_cursor"`
	}
	status, err := c.get(ctx, s, kindBrowse, "/api/v1/catalogue?limit=20", &page)
	if err != nil || !ok(status) || page.NextCursor == "" {
		return
	}
	q := url.Values{"limit": {"20"}, "cursor": {page.NextCursor}}
	c.get(ctx, s, kindBrowseNext, "/api/v1/catalogue?"+q.Encode(), nil)
}

// outcome is what came back for one request.
type outcome struct {
	status     int           // 0 for a transport failure
	elapsed    time.Duration // to the last byte of the body
	retryAfter time.Duration // the Retry-After header, 0 when absent
}

// get sends an authenticated GET at the pacer's rate, renewing the session and trying
// again once when it comes back 401, and records the outcome under k. A request cut
// short because the run is ending is not recorded. into, when given, receives a 2xx body.
func (c *client) get(ctx context.Context, s *session, k kind, path string, into any) (int, error) {
	if err := c.pace.wait(ctx); err != nil {
		return 0, err
	}
	out, err := c.send(ctx, http.MethodGet, path, s.access, nil, into)
	if err == nil && out.status == http.StatusUnauthorized {
		if rerr := c.renew(ctx, s); rerr == nil {
			out, err = c.send(ctx, http.MethodGet, path, s.access, nil, into)
		} else if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	if err != nil && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	c.rec.record(k, out.status, out.elapsed, err)
	return out.status, err
}

// renew trades the session's refresh token for new tokens, or signs in again when
// the refresh token no longer works.
func (c *client) renew(ctx context.Context, s *session) error {
	var t tokens
	out, err := c.send(ctx, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.refresh}, &t)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	c.rec.record(kindRefresh, out.status, out.elapsed, err)
	if err == nil && ok(out.status) {
		s.access, s.refresh = t.AccessToken, t.RefreshToken
		return nil
	}
	fresh, err := c.signIn(ctx, s.login)
	if err != nil {
		return err
	}
	*s = *fresh
	return nil
}

// signIn signs in as login, backing off after a 429 (for Retry-After, or about a
// second) and trying again until ctx ends. Any other failure is returned.
func (c *client) signIn(ctx context.Context, login string) (*session, error) {
	body := map[string]string{"login": login, "password": c.password}
	for {
		var t tokens
		out, err := c.send(ctx, http.MethodPost, "/api/v1/auth/login", "", body, &t)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.rec.record(kindLogin, out.status, out.elapsed, err)
		switch {
		case err != nil:
			return nil, fmt.Errorf("sign in as %s: %w", login, err)
		case ok(out.status):
			return &session{login: login, access: t.AccessToken, refresh: t.RefreshToken}, nil
		case out.status != http.StatusTooManyRequests:
			return nil, fmt.Errorf("sign in as %s: HTTP %d", login, out.status)
		}
		if err := sleep(ctx, backoff(out.retryAfter)); err != nil {
			return nil, err
		}
	}
}

// backoff is how long to wait after a 429: what Retry-After asked for, or about a
// second, with up to half a second of jitter so the workers do not return together.
func backoff(retryAfter time.Duration) time.Duration {
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	return retryAfter + rand.N(500*time.Millisecond)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// send makes one request with its own timeout and reads the whole answer, decoding a
// 2xx JSON body into into when given. err is a transport (or decoding) failure, not a
// non-2xx status.
func (c *client) send(ctx context.Context, method, path, bearer string, body, into any) (outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, method, path, bearer, body)
	if err != nil {
		return outcome{}, err
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return outcome{elapsed: time.Since(start)}, err
	}
	defer resp.Body.Close()
	if into != nil && ok(resp.StatusCode) {
		err = json.NewDecoder(resp.Body).Decode(into)
	}
	if _, cerr := io.Copy(io.Discard, resp.Body); err == nil {
		err = cerr
	}
	out := outcome{status: resp.StatusCode, elapsed: time.Since(start), retryAfter: retryAfter(resp.Header)}
	if err != nil {
		out.status = 0
	}
	return out, err
}

// retryAfter reads a Retry-After header given in seconds (0 when absent or a date).
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, time.Minute)
}

// newRequest builds a request with a JSON body (when given) and a bearer token (when
// given).
func (c *client) newRequest(ctx context.Context, method, path, bearer string, body any) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "corpu-load")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return req, nil
}

// ok reports whether status is a success.
func ok(status int) bool {
	return status >= 200 && status <= 299
}
