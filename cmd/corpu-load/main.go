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
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	paths := fs.String("paths", "/api/v1/me,/healthz", "ratio: comma-separated GET paths to compare with -baseline; login=/path calls it as that login")
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
		if _, path := pathCaller(p); !strings.HasPrefix(path, "/") {
			return fmt.Errorf("-paths: %q does not start with / (or login=/)", p)
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
	kindStartMax                  // exam: a start of the full-speed phase (all -workers at once), each try
	kindSubmitMax                 // exam: a submit at the end of the full-speed phase
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
	case kindStartMax:
		return "attempt_start_max"
	case kindSubmitMax:
		return "attempt_submit_max"
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
