package main

// The exam mode: a national test at one hour. It provisions what it needs through the
// API (a unit, N learners, a published course with a 20-question quiz, a class, the
// learners assigned to it), reusing them on the next run; signs the learners in before
// the clock starts (their tokens kept in a cache file, so a second run skips the slow
// password hashing); measures GET /api/v1/ping and the save endpoint closed-loop at full
// speed; then sits the exam: every learner starts within -start-window, saves an answer
// every -save-every for -duration, and submits. Afterwards it waits until every attempt
// is graded and reads every attempt back to find acknowledged saves the server lost.
//
// The quiz API it drives (internal/quiz, assets/openapi.yaml tag "quizzes"):
//   - a quiz is a course item of kind "quiz"; its id is the item's id, and its
//     settings are PUT /api/v1/quizzes/{item_id} while the course version is a draft
//     ("attempts_allowed": 0 allows any number of attempts).
//   - GET /api/v1/attempts/{id} shows its owner, per slot, {"slot", "seq", "response", …}
//     under "questions" (the seq stored for the slot), so lost saves can be found.
//   - a stale save is a 409 problem document (code quiz.stale_seq) carrying the stored
//     seq as the extension member "seq"; the same seq again is a retry and answers 200.
//   - POST /api/v1/quizzes/{id}/attempts answers 201 with a new attempt, 200 with the
//     attempt already in progress.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// examConfig is what the exam subcommand's flags ask for.
type examConfig struct {
	baseURL         string
	learners        int
	saveEvery       time.Duration
	startWindow     time.Duration
	duration        time.Duration // how long each learner sits
	phase           time.Duration // each full-speed measurement
	workers         int           // closed-loop workers of the full-speed phases
	signInWorkers   int
	timeout         time.Duration
	gradeTimeout    time.Duration
	max5xx          int64
	json            bool
	tokenCache      string
	admin           string
	author          string
	reviewer        string
	staffPassword   string
	learnerPassword string
	prefix          string // of every code the run provisions
	prepareOnly     bool   // provision and sign in, then stop: the exam comes later
}

// parseExamFlags reads and checks the exam subcommand's command line.
func parseExamFlags(args []string, stderr io.Writer) (examConfig, error) {
	fs := flag.NewFlagSet("corpu-load exam", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg examConfig
	fs.StringVar(&cfg.baseURL, "url", "http://localhost:8080", "base URL of the Corpu server")
	fs.IntVar(&cfg.learners, "learners", 100, "learners sitting the exam")
	fs.DurationVar(&cfg.saveEvery, "save-every", 30*time.Second, "each learner saves an answer this often")
	fs.DurationVar(&cfg.startWindow, "start-window", 60*time.Second, "every learner starts within this window, spread uniformly")
	fs.DurationVar(&cfg.duration, "duration", 3*time.Minute, "how long each learner sits the exam before submitting")
	fs.DurationVar(&cfg.phase, "phase", 10*time.Second, "length of each full-speed measurement (ping, then saves)")
	fs.IntVar(&cfg.workers, "workers", 64, "closed-loop workers of the full-speed measurements")
	fs.IntVar(&cfg.signInWorkers, "signin-workers", 4, "sign-ins (and learner registrations) at once")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "timeout of one request")
	fs.DurationVar(&cfg.gradeTimeout, "grade-timeout", 2*time.Minute, "how long to wait after the last submit for every attempt to be graded")
	fs.Int64Var(&cfg.max5xx, "max-5xx", 0, "exit 1 when more 5xx answers than this come back (a 503 with Retry-After is busy, not an error)")
	fs.BoolVar(&cfg.json, "json", false, "print only the JSON line")
	fs.StringVar(&cfg.tokenCache, "token-cache", defaultTokenCache(), "file keeping the learners' tokens per URL (empty: none)")
	fs.StringVar(&cfg.admin, "admin", "admin@corpu.go.id", "platform admin who provisions")
	fs.StringVar(&cfg.author, "author", "instruktur@bpsdm.kemendagri.go.id", "instructor who authors the course and the quiz")
	fs.StringVar(&cfg.reviewer, "reviewer", "reviewer@bpsdm.kemendagri.go.id", "reviewer who approves the course (not the author)")
	fs.StringVar(&cfg.staffPassword, "password", demoPassword, "password of -admin, -author and -reviewer")
	fs.StringVar(&cfg.learnerPassword, "learner-password", demoPassword, "password given to the provisioned learners")
	fs.StringVar(&cfg.prefix, "prefix", "LOADEXAM", "prefix of the codes of everything provisioned (a new prefix provisions anew)")
	fs.BoolVar(&cfg.prepareOnly, "prepare-only", false, "provision and sign in (tokens into -token-cache), then stop before the exam clock")
	if err := fs.Parse(args); err != nil {
		return examConfig{}, err
	}
	cfg.baseURL = strings.TrimRight(cfg.baseURL, "/")
	return cfg, cfg.validate()
}

// validate rejects settings the exam cannot run with.
func (c examConfig) validate() error {
	u, err := url.Parse(c.baseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("-url %q is not an http(s) URL", c.baseURL)
	case c.learners < 1 || c.learners > 100_000:
		return errors.New("-learners must be between 1 and 100000 (a class's capacity)")
	case c.saveEvery <= 0 || c.duration <= 0 || c.phase <= 0 || c.timeout <= 0 || c.gradeTimeout <= 0:
		return errors.New("-save-every, -duration, -phase, -timeout and -grade-timeout must be positive")
	case c.startWindow < 0:
		return errors.New("-start-window must not be negative")
	case c.workers < 1 || c.signInWorkers < 1:
		return errors.New("-workers and -signin-workers must be at least 1")
	case c.max5xx < 0:
		return errors.New("-max-5xx must not be negative")
	case c.author == c.reviewer:
		return errors.New("-reviewer must not be -author: a course is reviewed by another person")
	case !codePattern(c.prefix):
		return fmt.Errorf("-prefix %q: letters, digits, dots, dashes and underscores only, at most 40", c.prefix)
	}
	return nil
}

// codePattern reports whether s is usable as the start of an organisation or course code.
func codePattern(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// defaultTokenCache is ~/.cache/corpu/exam-tokens.json (or the OS's cache directory).
func defaultTokenCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "corpu", "exam-tokens.json")
}

// examResult is the outcome of an exam run, printed as the last line of output.
type examResult struct {
	URL          string  `json:"url"`
	Learners     int     `json:"learners"`
	SignIns      int64   `json:"signins"`       // fresh sign-ins of this run
	CachedTokens int64   `json:"cached_tokens"` // learners whose cached (or refreshed) tokens were used
	SignInPerS   float64 `json:"signin_per_s"`
	BaselineRPS  float64 `json:"baseline_rps"`
	SaveRPSMax   float64 `json:"save_rps_max"`
	SaveRatio    float64 `json:"save_ratio"`
	Started      int64   `json:"started"`
	StartBusy    int64   `json:"start_busy"` // 503/429 answers to a start, each honoured and tried again
	StartP99MS   float64 `json:"start_p99_ms"`
	StartWaitP99 float64 `json:"start_wait_p99_ms"` // first try to 201 (or 200), waits included
	SaveP99MS    float64 `json:"save_p99_ms"`
	SaveBusy     int64   `json:"save_busy"` // 503/429 answers to a save, each honoured and tried again
	AckedSaves   int64   `json:"acked_saves"`
	StaleSaves   int64   `json:"stale_saves"` // 409: the server held a newer seq
	FailedSaves  int64   `json:"failed_saves"`
	LostSaves    int64   `json:"lost_saves"`
	// UncheckedSaves: acknowledged saves of attempts that could not be read back
	UncheckedSaves int64   `json:"unchecked_saves"`
	Submitted      int64   `json:"submitted"`
	SubmitP99MS    float64 `json:"submit_p99_ms"`
	SubmitBusy     int64   `json:"submit_busy"` // 503/429 answers to a submit, each honoured and tried again
	Graded         int64   `json:"graded"`
	GradedWithinS  float64 `json:"graded_within_s"` // -1 when not every attempt was graded in -grade-timeout
	Errors5xx      int64   `json:"errors_5xx"`
	Transport      int64   `json:"transport_errors"`
	QuizID         string  `json:"quiz_id"`
	ClassID        string  `json:"class_id"`
}

// runExam is the exam subcommand.
func runExam(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseExamFlags(args, stderr)
	if err != nil {
		return err
	}
	progress := stderr
	c := &client{http: newHTTPClient(max(cfg.workers, min(cfg.learners, 4096))), baseURL: cfg.baseURL,
		password: cfg.learnerPassword, timeout: cfg.timeout, rec: newRecorder(reservoirSize)}
	defer c.http.CloseIdleConnections()
	e := &exam{cfg: cfg, c: c, log: progress}
	res, err := e.run(ctx)
	if err != nil {
		return err
	}
	if !cfg.json {
		if err := e.writeTable(stdout); err != nil {
			return err
		}
	}
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return err
	}
	switch {
	case res.LostSaves > 0:
		return fmt.Errorf("%d acknowledged saves were lost", res.LostSaves)
	case res.UncheckedSaves > 0:
		return fmt.Errorf("%d acknowledged saves could not be checked: their attempts were not read back", res.UncheckedSaves)
	case res.Errors5xx > cfg.max5xx:
		return fmt.Errorf("%d 5xx answers, above -max-5xx %d", res.Errors5xx, cfg.max5xx)
	case res.Started == 0 && !cfg.prepareOnly:
		return errors.New("no attempt started")
	}
	return nil
}

// exam is one run of the exam subcommand.
type exam struct {
	cfg       examConfig
	c         *client
	log       io.Writer
	errors5xx atomic.Int64
	transport atomic.Int64
	busy      atomic.Int64 // 503/429 with Retry-After on starts
	busySave  atomic.Int64 // and on saves
	busySub   atomic.Int64 // and on submits
	started   atomic.Int64 // attempts started, the full-speed phase's included
	acked     atomic.Int64
	stale     atomic.Int64
	failed    atomic.Int64
	submitted atomic.Int64
	mu        sync.Mutex
	attempts  []*attempt
	// submittedInOrder: the attempts whose submit was acknowledged, in that order
	submittedInOrder []*attempt
	expiry           []time.Time // per learner, when the token issued[i] expires
	issued           []string    // per learner, the access token signed in, refreshed or cached
	tokenMu          sync.Mutex  // serialises writing the token cache
}

// logf writes a progress line to the log.
func (e *exam) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "corpu-load exam: "+format+"\n", args...)
}

// run provisions, signs in, measures and sits the exam.
func (e *exam) run(ctx context.Context) (examResult, error) {
	res := examResult{URL: e.cfg.baseURL, Learners: e.cfg.learners}
	setup, err := provision(ctx, e)
	if err != nil {
		return res, fmt.Errorf("provision: %w", err)
	}
	res.QuizID, res.ClassID = setup.quizID, setup.classID
	sessions, signIns, cached, took, err := e.signInAll(ctx, setup.learners)
	if err != nil {
		return res, err
	}
	res.SignIns, res.CachedTokens = signIns, cached
	if signIns > 0 && took > 0 {
		res.SignInPerS = float64(signIns) / took.Seconds()
	}
	defer e.saveTokens(sessions)
	if e.cfg.prepareOnly {
		return res, nil
	}

	e.logf("ping at full speed for %v", e.cfg.phase)
	n, errs, elapsed, _ := e.c.hammer(ctx, "/api/v1/ping", sessions, e.cfg.workers, e.cfg.phase)
	res.BaselineRPS = float64(n-errs) / elapsed.Seconds()
	e.logf("saves at full speed for %v", e.cfg.phase)
	res.SaveRPSMax = e.saveAtFullSpeed(ctx, setup.quizID, setup.classID, sessions)
	if res.BaselineRPS > 0 {
		res.SaveRatio = res.SaveRPSMax / res.BaselineRPS
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}

	e.logf("exam: %d learners start within %v, save every %v, submit after %v", len(sessions), e.cfg.startWindow, e.cfg.saveEvery, e.cfg.duration)
	grading := e.watchGrading(ctx)
	lastSubmit := e.sit(ctx, setup.quizID, setup.classID, sessions)
	e.logf("waiting for grading")
	graded, within := grading.finish(ctx, lastSubmit)
	res.Graded, res.GradedWithinS = graded, within
	res.LostSaves, res.UncheckedSaves = e.checkSaves()

	snap := func(k kind) kindSummary { s, _ := e.c.rec.kinds[k].snapshot(k); return s }
	res.Started = e.started.Load()
	res.StartBusy, res.SaveBusy, res.SubmitBusy = e.busy.Load(), e.busySave.Load(), e.busySub.Load()
	res.StartP99MS, res.StartWaitP99 = snap(kindStart).P99MS, snap(kindStartWait).P99MS
	res.SaveP99MS, res.SubmitP99MS = snap(kindSave).P99MS, snap(kindSubmit).P99MS
	res.AckedSaves, res.StaleSaves, res.FailedSaves = e.acked.Load(), e.stale.Load(), e.failed.Load()
	res.Submitted = e.submitted.Load()
	res.Errors5xx, res.Transport = e.errors5xx.Load(), e.transport.Load()
	return res, nil
}

// writeTable prints the latencies per kind of request.
func (e *exam) writeTable(w io.Writer) error {
	sum := e.c.rec.summarize(0)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "kind\trequests\terrors\tp50 ms\tp95 ms\tp99 ms\tmax ms\t  status\n")
	for _, ks := range sum.Kinds {
		writeRow(tw, 0, ks)
	}
	return tw.Flush()
}

// ---- requests ----

// reply is what came back for one request of the exam.
type reply struct {
	outcome
	body []byte
}

// busy reports whether the server turned the request away for now, asking to come back.
func (r reply) busy() bool {
	return r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable
}

// call sends one request with its own timeout and reads the whole answer (bounded).
// headers are added to the request. err is a transport failure, not a non-2xx status.
func (c *client) call(ctx context.Context, method, path, bearer string, body any, headers map[string]string) (reply, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, method, path, bearer, body)
	if err != nil {
		return reply{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{outcome: outcome{elapsed: time.Since(start)}}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	out := reply{outcome: outcome{status: resp.StatusCode, elapsed: time.Since(start), retryAfter: retryAfter(resp.Header)}, body: b}
	if err != nil {
		out.status = 0
	}
	return out, err
}

// note counts a reply among the 5xx (a 503 with Retry-After is busy, not an error) and
// transport errors.
func (e *exam) note(r reply, err error) {
	switch {
	case err != nil:
		e.transport.Add(1)
	case r.status == http.StatusServiceUnavailable && r.retryAfter > 0:
	case r.status >= 500:
		e.errors5xx.Add(1)
	}
}

// authed sends a request as s, renewing the session once on a 401, and records it
// under k (when k < numKinds) and in the exam's error counts. A request cut short by
// the end of ctx is returned with ctx's error and not recorded.
func (e *exam) authed(ctx context.Context, s *session, k kind, method, path string, body any, headers map[string]string) (reply, error) {
	stale := s.token()
	r, err := e.c.call(ctx, method, path, stale, body, headers)
	if err == nil && r.status == http.StatusUnauthorized {
		if rerr := e.c.renewOnce(ctx, s, stale); rerr == nil {
			r, err = e.c.call(ctx, method, path, s.token(), body, headers)
		}
	}
	if err != nil && ctx.Err() != nil {
		return r, ctx.Err()
	}
	if k < numKinds {
		e.c.rec.record(k, r.status, r.elapsed, err)
	}
	e.note(r, err)
	return r, err
}

// ---- the attempt contract ----

// ---- phases ----

// problemText is the detail (or title) of a problem body, for messages.
func problemText(body []byte) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) != nil {
		return strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	if p.Detail != "" {
		return p.Detail
	}
	return p.Title
}

// randomKey is 16 random hex digits.
func randomKey() string {
	return strconv.FormatUint(rand.Uint64(), 16)
}

// ---- sign-in and the token cache ----

// pool runs fn(0..n-1), at most width at once, until ctx ends.
func (e *exam) pool(ctx context.Context, n, width int, fn func(int)) {
	sem := make(chan struct{}, max(width, 1))
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// ---- provisioning ----
