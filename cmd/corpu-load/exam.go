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
	"slices"
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
	URL           string  `json:"url"`
	Learners      int     `json:"learners"`
	SignIns       int64   `json:"signins"`       // fresh sign-ins of this run
	CachedTokens  int64   `json:"cached_tokens"` // learners whose cached (or refreshed) tokens were used
	SignInPerS    float64 `json:"signin_per_s"`
	BaselineRPS   float64 `json:"baseline_rps"`
	SaveRPSMax    float64 `json:"save_rps_max"`
	SaveRatio     float64 `json:"save_ratio"`
	Started       int64   `json:"started"`
	StartBusy     int64   `json:"start_busy"` // 503/429 answers to a start, each honoured and tried again
	StartP99MS    float64 `json:"start_p99_ms"`
	StartWaitP99  float64 `json:"start_wait_p99_ms"` // first try to 201 (or 200), waits included
	SaveP99MS     float64 `json:"save_p99_ms"`
	AckedSaves    int64   `json:"acked_saves"`
	StaleSaves    int64   `json:"stale_saves"` // 409: the server held a newer seq
	FailedSaves   int64   `json:"failed_saves"`
	LostSaves     int64   `json:"lost_saves"`
	Submitted     int64   `json:"submitted"`
	SubmitP99MS   float64 `json:"submit_p99_ms"`
	Graded        int64   `json:"graded"`
	GradedWithinS float64 `json:"graded_within_s"` // -1 when not every attempt was graded in -grade-timeout
	Errors5xx     int64   `json:"errors_5xx"`
	Transport     int64   `json:"transport_errors"`
	QuizID        string  `json:"quiz_id"`
	ClassID       string  `json:"class_id"`
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
	case res.Errors5xx > cfg.max5xx:
		return fmt.Errorf("%d 5xx answers, above -max-5xx %d", res.Errors5xx, cfg.max5xx)
	case res.Started == 0:
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
	acked     atomic.Int64
	stale     atomic.Int64
	failed    atomic.Int64
	submitted atomic.Int64
	mu        sync.Mutex
	attempts  []*attempt
	expiry    []time.Time // per learner, when the token issued[i] expires
	issued    []string    // per learner, the access token signed in, refreshed or cached
	tokenMu   sync.Mutex  // serialises writing the token cache
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

	e.logf("ping at full speed for %v", e.cfg.phase)
	n, errs, elapsed := e.c.hammer(ctx, "/api/v1/ping", sessions, e.cfg.workers, e.cfg.phase)
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
	lastSubmit := e.sit(ctx, setup.quizID, setup.classID, sessions)
	e.logf("waiting for grading")
	graded, within := e.awaitGrading(ctx, lastSubmit)
	res.Graded, res.GradedWithinS = graded, within
	res.LostSaves = e.lostSaves()

	snap := func(k kind) kindSummary { s, _ := e.c.rec.kinds[k].snapshot(k); return s }
	res.Started = snap(kindStartWait).Requests
	res.StartBusy = e.busy.Load()
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
	r, err := e.c.call(ctx, method, path, s.access, body, headers)
	if err == nil && r.status == http.StatusUnauthorized {
		if rerr := e.c.renew(ctx, s); rerr == nil {
			r, err = e.c.call(ctx, method, path, s.access, body, headers)
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

// layoutQuestion is one question of an attempt's frozen layout.
type layoutQuestion struct {
	Slot    int      `json:"slot"`
	Type    string   `json:"type"`
	Seq     int64    `json:"seq"` // stored: above 0 in an attempt resumed
	Options []option `json:"options"`
	// A matching question's left-hand prompts; its options are the right-hand
	// answers (distractors included).
	Prompts []option `json:"prompts"`
}

// option is a choice, a matching answer or an item to order.
type option struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// attempt is one attempt as the generator tracks it.
type attempt struct {
	ID        string           `json:"id"`
	Deadline  time.Time        `json:"deadline"`
	Questions []layoutQuestion `json:"questions"`

	s         *session
	seq       int64
	mu        sync.Mutex
	acked     map[int][]int64 // slot → every acknowledged seq
	submitted bool
	view      *attemptView // the last one read
}

// attemptView is GET /api/v1/attempts/{id} as the generator reads it.
type attemptView struct {
	State    string   `json:"state"`
	Score    *float64 `json:"score"`
	MaxScore *float64 `json:"max_score"`
	// The owner sees each slot's stored seq (0 before the first save) and response.
	Questions []struct {
		Slot     int             `json:"slot"`
		Seq      int64           `json:"seq"`
		Response json.RawMessage `json:"response"`
	} `json:"questions"`
}

// done reports whether grading is over for the attempt (essays wait for a person).
func (v *attemptView) done() bool {
	return v != nil && (v.State == "graded" || v.State == "needs_grading")
}

// answerable is the attempt's slots that take an answer.
func (a *attempt) answerable() []layoutQuestion {
	var out []layoutQuestion
	for _, q := range a.Questions {
		if q.Type != "description" {
			out = append(out, q)
		}
	}
	return out
}

// response makes a well-formed answer for q.
func response(q layoutQuestion, rng *rand.Rand) any {
	ids := func(opts []option) []string {
		out := make([]string, len(opts))
		for i, o := range opts {
			out[i] = o.ID
		}
		return out
	}
	opts := ids(q.Options)
	switch q.Type {
	case "single_choice":
		if len(opts) > 0 {
			return map[string]any{"choice": opts[rng.IntN(len(opts))]}
		}
	case "multiple_choice":
		picked := []string{}
		for _, id := range opts {
			if rng.IntN(2) == 0 {
				picked = append(picked, id)
			}
		}
		if len(picked) == 0 && len(opts) > 0 {
			picked = append(picked, opts[0])
		}
		return map[string]any{"choices": picked}
	case "true_false":
		return map[string]any{"value": rng.IntN(2) == 0}
	case "numeric":
		return map[string]any{"value": 3.12, "unit": "%"}
	case "matching":
		pairs := map[string]string{}
		for _, l := range q.Prompts {
			if len(opts) > 0 {
				pairs[l.ID] = opts[rng.IntN(len(opts))]
			}
		}
		return map[string]any{"pairs": pairs}
	case "ordering":
		order := slices.Clone(opts)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		return map[string]any{"order": order}
	}
	return map[string]any{"text": "jawaban " + strconv.Itoa(rng.IntN(1000))} // short answer, essay
}

// start starts an attempt as s, honouring Retry-After on 503/429 and trying again
// until it is given one, the request fails otherwise, or ctx ends.
func (e *exam) start(ctx context.Context, s *session, quizID, classID string) (*attempt, error) {
	path := "/api/v1/quizzes/" + url.PathEscape(quizID) + "/attempts"
	// One key for every try: a start whose answer was lost is not a second attempt.
	headers := map[string]string{"Idempotency-Key": "corpu-load-start-" + randomKey()}
	first := time.Now()
	for tries := 0; ; tries++ {
		r, err := e.authed(ctx, s, kindStart, http.MethodPost, path, map[string]string{"class_id": classID}, headers)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err == nil && (r.status == http.StatusCreated || r.status == http.StatusOK):
			a := &attempt{s: s, acked: map[int][]int64{}}
			if err := json.Unmarshal(r.body, a); err != nil || a.ID == "" {
				return nil, fmt.Errorf("start: the attempt cannot be read: %v", err)
			}
			for _, q := range a.Questions { // a resumed attempt (200) goes on from its seqs
				a.seq = max(a.seq, q.Seq)
			}
			e.c.rec.record(kindStartWait, r.status, time.Since(first), nil)
			e.mu.Lock()
			e.attempts = append(e.attempts, a)
			e.mu.Unlock()
			return a, nil
		case err == nil && r.busy():
			e.busy.Add(1)
			if err := sleep(ctx, backoff(r.retryAfter)); err != nil {
				return nil, err
			}
		case (err != nil || r.status >= 500) && tries < 5:
			if err := sleep(ctx, backoff(0)); err != nil {
				return nil, err
			}
		case err != nil:
			return nil, fmt.Errorf("start: %w", err)
		default:
			return nil, fmt.Errorf("start: HTTP %d %s", r.status, problemText(r.body))
		}
	}
}

// save saves an answer to q with the attempt's next seq, trying a busy or failed save
// again with the same seq. It reports whether the server acknowledged the seq.
func (e *exam) save(ctx context.Context, a *attempt, q layoutQuestion, k kind, rng *rand.Rand) bool {
	a.mu.Lock()
	a.seq++
	seq := a.seq
	a.mu.Unlock()
	path := "/api/v1/attempts/" + url.PathEscape(a.ID) + "/answers/" + strconv.Itoa(q.Slot)
	body := map[string]any{"seq": seq, "response": response(q, rng)}
	for tries := 0; ; tries++ {
		r, err := e.authed(ctx, a.s, k, http.MethodPut, path, body, nil)
		if ctx.Err() != nil {
			return false
		}
		switch {
		case err == nil && ok(r.status):
			e.ack(a, q.Slot, seq)
			return true
		case err == nil && r.status == http.StatusConflict:
			// A stale seq (quiz.stale_seq) carries the stored one; the server answers
			// the same seq again (a retry of a save that got through) with 200. Any
			// other 409 (quiz.attempt_closed) has no seq and is a failed save.
			var stored struct {
				Seq *int64 `json:"seq"`
			}
			if json.Unmarshal(r.body, &stored) != nil || stored.Seq == nil {
				e.logf("save %s slot %d: HTTP 409 %s", a.ID, q.Slot, problemText(r.body))
				e.failed.Add(1)
				return false
			}
			e.stale.Add(1)
			a.mu.Lock()
			a.seq = max(a.seq, *stored.Seq)
			a.mu.Unlock()
			return false
		case tries < 3 && (err != nil || r.busy() || r.status >= 500):
			if sleep(ctx, backoff(r.retryAfter)/2) != nil {
				return false
			}
		default:
			e.failed.Add(1)
			return false
		}
	}
}

// ack notes an acknowledged save.
func (e *exam) ack(a *attempt, slot int, seq int64) {
	e.acked.Add(1)
	a.mu.Lock()
	a.acked[slot] = append(a.acked[slot], seq)
	a.mu.Unlock()
}

// submit submits the attempt (idempotent, one key for every try) and reports when
// the server acknowledged it.
func (e *exam) submit(ctx context.Context, a *attempt) (time.Time, bool) {
	path := "/api/v1/attempts/" + url.PathEscape(a.ID) + "/submit"
	headers := map[string]string{"Idempotency-Key": "corpu-load-submit-" + a.ID}
	for tries := 0; ; tries++ {
		r, err := e.authed(ctx, a.s, kindSubmit, http.MethodPost, path, nil, headers)
		switch {
		case ctx.Err() != nil:
			return time.Time{}, false
		case err == nil && ok(r.status):
			e.submitted.Add(1)
			a.mu.Lock()
			a.submitted = true
			a.mu.Unlock()
			return time.Now(), true
		case tries < 5 && (err != nil || r.busy() || r.status >= 500):
			if sleep(ctx, backoff(r.retryAfter)) != nil {
				return time.Time{}, false
			}
		default:
			e.logf("submit %s: HTTP %d %s", a.ID, r.status, problemText(r.body))
			return time.Time{}, false
		}
	}
}

// view reads the attempt back as its owner.
func (e *exam) view(ctx context.Context, a *attempt) (*attemptView, error) {
	r, err := e.authed(ctx, a.s, kindAttempt, http.MethodGet, "/api/v1/attempts/"+url.PathEscape(a.ID), nil, nil)
	if err != nil {
		return nil, err
	}
	if !ok(r.status) {
		return nil, fmt.Errorf("attempt %s: HTTP %d", a.ID, r.status)
	}
	var v attemptView
	if err := json.Unmarshal(r.body, &v); err != nil {
		return nil, fmt.Errorf("attempt %s: %w", a.ID, err)
	}
	a.mu.Lock()
	a.view = &v
	a.mu.Unlock()
	return &v, nil
}

// ---- phases ----

// saveAtFullSpeed starts one attempt for each of up to -workers learners, saves to it
// closed-loop for -phase, submits it, and returns the acknowledged saves per second.
func (e *exam) saveAtFullSpeed(ctx context.Context, quizID, classID string, sessions []*session) float64 {
	n := min(e.cfg.workers, len(sessions))
	attempts := make([]*attempt, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, err := e.start(ctx, sessions[i], quizID, classID)
			if err != nil {
				e.logf("full-speed saves: %v", err)
				return
			}
			attempts[i] = a
		})
	}
	wg.Wait()
	phaseCtx, cancel := context.WithTimeout(ctx, e.cfg.phase)
	defer cancel()
	var saved atomic.Int64
	begin := time.Now()
	for i, a := range attempts {
		if a == nil || len(a.answerable()) == 0 {
			continue
		}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			qs := a.answerable()
			for j := 0; phaseCtx.Err() == nil; j++ {
				if e.save(phaseCtx, a, qs[j%len(qs)], kindSaveMax, rng) {
					saved.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	for _, a := range attempts {
		if a != nil {
			wg.Go(func() { e.submit(ctx, a) })
		}
	}
	wg.Wait()
	return float64(saved.Load()) / elapsed.Seconds()
}

// sit runs the exam: learner i starts at i/N of the window, saves every -save-every
// (the first at a random point of the first interval) until -duration has passed,
// and submits. It returns when the last submit was acknowledged.
func (e *exam) sit(ctx context.Context, quizID, classID string, sessions []*session) time.Time {
	clock := time.Now()
	var mu sync.Mutex
	var last time.Time
	var wg sync.WaitGroup
	for i, s := range sessions {
		offset := time.Duration(int64(e.cfg.startWindow) * int64(i) / int64(len(sessions)))
		wg.Go(func() {
			if sleep(ctx, time.Until(clock.Add(offset))) != nil {
				return
			}
			a, err := e.start(ctx, s, quizID, classID)
			if err != nil {
				if ctx.Err() == nil {
					e.logf("learner %s: %v", s.login, err)
				}
				return
			}
			began := time.Now()
			end := began.Add(e.cfg.duration)
			if !a.Deadline.IsZero() && a.Deadline.Before(end) {
				end = a.Deadline
			}
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			qs := a.answerable()
			next := began.Add(rand.N(e.cfg.saveEvery) + 1)
			for j := 0; len(qs) > 0 && next.Before(end); j++ {
				if sleep(ctx, time.Until(next)) != nil {
					return
				}
				e.save(ctx, a, qs[j%len(qs)], kindSave, rng)
				next = next.Add(e.cfg.saveEvery)
			}
			if sleep(ctx, time.Until(end)) != nil {
				return
			}
			if at, ok := e.submit(ctx, a); ok {
				mu.Lock()
				if at.After(last) {
					last = at
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return last
}

// awaitGrading polls every submitted attempt until it is graded or -grade-timeout
// passes, and returns how many were graded and the seconds from lastSubmit until
// the last of them was seen graded (-1 when some were not).
func (e *exam) awaitGrading(ctx context.Context, lastSubmit time.Time) (int64, float64) {
	e.mu.Lock()
	pending := slices.Clone(e.attempts)
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.gradeTimeout)
	defer cancel()
	var graded atomic.Int64
	var doneAt time.Time
	var submitted []*attempt
	for _, a := range pending {
		a.mu.Lock()
		if a.submitted {
			submitted = append(submitted, a)
		}
		a.mu.Unlock()
	}
	pending = submitted
	for len(pending) > 0 && ctx.Err() == nil {
		still := make([]*attempt, 0, len(pending))
		var mu sync.Mutex
		e.each(ctx, pending, func(a *attempt) {
			v, err := e.view(ctx, a)
			mu.Lock()
			defer mu.Unlock()
			if err == nil && v.done() {
				graded.Add(1)
				doneAt = time.Now()
				return
			}
			still = append(still, a)
		})
		pending = still
		if len(pending) > 0 && sleep(ctx, 250*time.Millisecond) != nil {
			break
		}
	}
	if len(pending) > 0 || doneAt.IsZero() {
		return graded.Load(), -1
	}
	return graded.Load(), max(doneAt.Sub(lastSubmit).Seconds(), 0)
}

// each runs fn on every attempt, at most 32 at once.
func (e *exam) each(ctx context.Context, attempts []*attempt, fn func(*attempt)) {
	e.pool(ctx, len(attempts), 32, func(i int) { fn(attempts[i]) })
}

// lostSaves reads back every attempt (those whose last view came from grading are
// not read again) and counts the acknowledged saves whose seq is newer than the seq
// the server holds for the slot: each of them was acknowledged and is gone.
func (e *exam) lostSaves() int64 {
	e.mu.Lock()
	attempts := slices.Clone(e.attempts)
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.gradeTimeout)
	defer cancel()
	var lost atomic.Int64
	e.each(ctx, attempts, func(a *attempt) {
		a.mu.Lock()
		v := a.view
		a.mu.Unlock()
		if !v.done() {
			var err error
			if v, err = e.view(ctx, a); err != nil {
				e.logf("lost saves: %v", err)
				n := int64(0)
				for _, seqs := range a.acked {
					n += int64(len(seqs))
				}
				lost.Add(n) // nothing can be shown to be kept
				return
			}
		}
		stored := map[int]int64{}
		for _, s := range v.Questions {
			stored[s.Slot] = s.Seq
		}
		for slot, seqs := range a.acked {
			for _, seq := range seqs {
				if seq > stored[slot] {
					lost.Add(1)
				}
			}
		}
	})
	return lost.Load()
}

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

// cachedToken is one learner's tokens in the cache file.
type cachedToken struct {
	Access    string    `json:"access_token"`
	Refresh   string    `json:"refresh_token"`
	ExpiresAt time.Time `json:"expires_at"` // zero: unknown, refresh before use
}

// tokenFile is the cache file: base URL → login → tokens.
type tokenFile map[string]map[string]cachedToken

// loadTokens reads the cache file (empty when there is none or it cannot be read).
func loadTokens(path string) tokenFile {
	f := tokenFile{}
	if path == "" {
		return f
	}
	b, err := os.ReadFile(path)
	if err == nil {
		_ = json.Unmarshal(b, &f)
	}
	if f == nil {
		f = tokenFile{}
	}
	return f
}

// tokenGrant is the answer of login and refresh with the access token's lifetime.
type tokenGrant struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// expiresAt is when the grant's access token expires (zero when not said).
func (g tokenGrant) expiresAt(now time.Time) time.Time {
	if g.ExpiresIn <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(g.ExpiresIn) * time.Second)
}

// signInAll gives every learner a session before the exam clock starts: from the
// cache when the access token still has a minute to live, by refreshing it when it
// does not (cheap), else by signing in (an argon2id hash on the server), at most
// -signin-workers at once. It returns the sessions in the order of learners, the
// fresh sign-ins, the learners served from the cache and how long the sign-ins took.
func (e *exam) signInAll(ctx context.Context, learners []learner) ([]*session, int64, int64, time.Duration, error) {
	cache := loadTokens(e.cfg.tokenCache)[e.cfg.baseURL]
	sessions := make([]*session, len(learners))
	e.expiry, e.issued = make([]time.Time, len(learners)), make([]string, len(learners))
	var stale, unknown []int
	now := time.Now()
	for i, l := range learners {
		t, found := cache[l.login]
		switch {
		case found && t.ExpiresAt.After(now.Add(time.Minute)):
			sessions[i] = &session{login: l.login, access: t.Access, refresh: t.Refresh}
			e.expiry[i], e.issued[i] = t.ExpiresAt, t.Access
		case found && t.Refresh != "":
			stale = append(stale, i)
		default:
			unknown = append(unknown, i)
		}
	}
	var cached atomic.Int64
	cached.Store(int64(len(learners) - len(stale) - len(unknown)))
	var mu sync.Mutex
	e.pool(ctx, len(stale), 16, func(j int) {
		i := stale[j]
		t := cache[learners[i].login]
		var g tokenGrant
		r, err := e.c.call(ctx, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": t.Refresh}, nil)
		if err == nil && ok(r.status) && json.Unmarshal(r.body, &g) == nil && g.AccessToken != "" {
			sessions[i] = &session{login: learners[i].login, access: g.AccessToken, refresh: g.RefreshToken}
			e.expiry[i], e.issued[i] = g.expiresAt(time.Now()), g.AccessToken
			cached.Add(1)
			return
		}
		mu.Lock()
		unknown = append(unknown, i)
		mu.Unlock()
	})
	if len(unknown) > 0 {
		e.logf("signing in %d learners, %d at once", len(unknown), e.cfg.signInWorkers)
	}
	begin := time.Now()
	var signedIn atomic.Int64
	var firstErr error
	e.pool(ctx, len(unknown), e.cfg.signInWorkers, func(j int) {
		i := unknown[j]
		s, exp, err := e.signIn(ctx, e.c, learners[i].login, e.cfg.learnerPassword)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		sessions[i], e.expiry[i], e.issued[i] = s, exp, s.access
		if n := signedIn.Add(1); n%500 == 0 {
			e.logf("%d of %d signed in (%.1f/s)", n, len(unknown), float64(n)/time.Since(begin).Seconds())
		}
	})
	took := time.Since(begin)
	e.saveTokens(sessions)
	if firstErr != nil {
		return nil, 0, 0, 0, firstErr
	}
	if ctx.Err() != nil {
		return nil, 0, 0, 0, ctx.Err()
	}
	return sessions, signedIn.Load(), cached.Load(), took, nil
}

// signIn signs in as login, backing off for Retry-After while the server is busy
// (503: hashing is bounded; 429: too many from this address).
func (e *exam) signIn(ctx context.Context, c *client, login, password string) (*session, time.Time, error) {
	body := map[string]string{"login": login, "password": password}
	for {
		r, err := c.call(ctx, http.MethodPost, "/api/v1/auth/login", "", body, nil)
		if ctx.Err() != nil {
			return nil, time.Time{}, ctx.Err()
		}
		c.rec.record(kindLogin, r.status, r.elapsed, err)
		var g tokenGrant
		switch {
		case err != nil:
			return nil, time.Time{}, fmt.Errorf("sign in as %s: %w", login, err)
		case ok(r.status) && json.Unmarshal(r.body, &g) == nil:
			return &session{login: login, access: g.AccessToken, refresh: g.RefreshToken}, g.expiresAt(time.Now()), nil
		case !r.busy():
			return nil, time.Time{}, fmt.Errorf("sign in as %s: HTTP %d %s", login, r.status, problemText(r.body))
		}
		if err := sleep(ctx, backoff(r.retryAfter)); err != nil {
			return nil, time.Time{}, err
		}
	}
}

// saveTokens writes the sessions' tokens to the cache file under this URL, keeping
// the other URLs'. A session renewed during the run has an unknown expiry, so the
// next run refreshes it first.
func (e *exam) saveTokens(sessions []*session) {
	if e.cfg.tokenCache == "" {
		return
	}
	e.tokenMu.Lock()
	defer e.tokenMu.Unlock()
	f := loadTokens(e.cfg.tokenCache)
	entries := f[e.cfg.baseURL]
	if entries == nil {
		entries = map[string]cachedToken{}
	}
	for i, s := range sessions {
		if s == nil {
			continue
		}
		t := cachedToken{Access: s.access, Refresh: s.refresh}
		if i < len(e.expiry) && s.access == e.issued[i] {
			t.ExpiresAt = e.expiry[i]
		}
		entries[s.login] = t
	}
	f[e.cfg.baseURL] = entries
	b, err := json.Marshal(f)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(e.cfg.tokenCache), 0o700)
	}
	if err == nil {
		tmp := e.cfg.tokenCache + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, e.cfg.tokenCache)
		}
	}
	if err != nil {
		e.logf("token cache: %v", err)
	}
}

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

// examSetup is what the exam runs on.
type examSetup struct {
	unitID, instituteID, courseID, versionID, quizID, classID string
	learners                                                  []learner
}

// learner is one provisioned learner.
type learner struct {
	id, login, nip string
}

// staff is a signed-in member of staff who provisions through the API.
type staff struct {
	c *client // with the staff password, for renewing
	s *session
}

// httpError is a non-2xx answer during provisioning.
type httpError struct {
	method, path string
	status       int
	detail       string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.path, e.status, e.detail)
}

// statusOf is the HTTP status of a provisioning error (0 when it is not one).
func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.status
	}
	return 0
}

// signInStaff signs in as a member of staff.
func (e *exam) signInStaff(ctx context.Context, login, password string) (staff, error) {
	c := *e.c
	c.password = password
	s, _, err := e.signIn(ctx, &c, login, password)
	return staff{c: &c, s: s}, err
}

// do sends one request as u (renewing once on a 401) and decodes a 2xx answer into
// into; any other status is an *httpError.
func (u staff) do(ctx context.Context, method, path string, body, into any) error {
	r, err := u.c.call(ctx, method, path, u.s.access, body, nil)
	if err == nil && r.status == http.StatusUnauthorized && u.c.renew(ctx, u.s) == nil {
		r, err = u.c.call(ctx, method, path, u.s.access, body, nil)
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s %s: %w", method, path, err)
	case !ok(r.status):
		return &httpError{method: method, path: path, status: r.status, detail: problemText(r.body)}
	case into != nil:
		if err := json.Unmarshal(r.body, into); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// eachItem walks every page of a list endpoint ({"items", "next_cursor"}), calling fn on
// every item until fn returns true.
func eachItem[T any](ctx context.Context, u staff, path string, q url.Values, fn func(T) bool) error {
	q.Set("limit", "200")
	for {
		var page struct {
			Items      []T    `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if err := u.do(ctx, http.MethodGet, path+"?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, it := range page.Items {
			if fn(it) {
				return nil
			}
		}
		if page.NextCursor == "" || len(page.Items) == 0 {
			return nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

// provision makes sure everything the exam needs exists, finding what an earlier run
// made by its codes: the platform admin makes the unit, the learners, the class and
// the assignment; the author writes the course and the quiz; the reviewer publishes.
func provision(ctx context.Context, e *exam) (examSetup, error) {
	cfg := e.cfg
	var setup examSetup
	admin, err := e.signInStaff(ctx, cfg.admin, cfg.staffPassword)
	if err != nil {
		return setup, err
	}
	author, err := e.signInStaff(ctx, cfg.author, cfg.staffPassword)
	if err != nil {
		return setup, err
	}
	reviewer, err := e.signInStaff(ctx, cfg.reviewer, cfg.staffPassword)
	if err != nil {
		return setup, err
	}
	var me struct {
		User struct {
			OrgID string `json:"org_id"`
		} `json:"user"`
	}
	if err := author.do(ctx, http.MethodGet, "/api/v1/me", nil, &me); err != nil {
		return setup, err
	}
	setup.instituteID = me.User.OrgID // the author's institute runs the course and the class
	if setup.unitID, err = ensureUnit(ctx, admin, cfg.prefix); err != nil {
		return setup, err
	}
	if setup.learners, err = e.ensureLearners(ctx, admin, setup.unitID); err != nil {
		return setup, err
	}
	if setup.courseID, setup.versionID, setup.quizID, err = e.ensureCourse(ctx, author, reviewer, setup.instituteID); err != nil {
		return setup, err
	}
	if setup.classID, err = ensureClass(ctx, admin, setup, cfg.prefix); err != nil {
		return setup, err
	}
	if err := e.assign(ctx, admin, setup); err != nil {
		return setup, err
	}
	e.logf("provisioned: unit %s, %d learners, course %s (version %s), quiz %s, class %s",
		setup.unitID, len(setup.learners), setup.courseID, setup.versionID, setup.quizID, setup.classID)
	return setup, nil
}

// ensureUnit finds the unit PREFIX-UNIT or makes it under KEMENDAGRI (or as a root).
func ensureUnit(ctx context.Context, admin staff, prefix string) (string, error) {
	type org struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	code := prefix + "-UNIT"
	var unitID, parentID string
	err := eachItem(ctx, admin, "/api/v1/organizations", url.Values{}, func(o org) bool {
		switch o.Code {
		case code:
			unitID = o.ID
		case "KEMENDAGRI":
			parentID = o.ID
		}
		return unitID != ""
	})
	if err != nil || unitID != "" {
		return unitID, err
	}
	body := map[string]any{"kind": "work_unit", "code": code, "name": "Unit Uji Beban Ujian " + prefix}
	if parentID != "" {
		body["parent_id"] = parentID
	}
	var made org
	err = admin.do(ctx, http.MethodPost, "/api/v1/organizations", body, &made)
	return made.ID, err
}

// learnerLogin and learnerNIP name learner i (from 0) of the run's prefix. The NIP is
// valid: born 1990-01-01 plus i/999 days, appointed January 2015, serial i%999+1.
func learnerLogin(prefix string, i int) string {
	return fmt.Sprintf("%s.%06d@ujian.corpu.go.id", strings.ToLower(prefix), i+1)
}

func learnerNIP(i int) string {
	born := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/999)
	return fmt.Sprintf("%s2015011%03d", born.Format("20060102"), i%999+1)
}

// ensureLearners finds the unit's learners and registers the missing ones.
//
// They are registered one by one with POST /api/v1/users and a password (one
// argon2id hash each, -signin-workers at once), not through the HR import: the HR
// import never sets passwords (see importUsers in assets/openapi.yaml), and there is
// no API through which an administrator could give an imported person one, so
// imported learners could not sign in. Registered once, they are reused.
func (e *exam) ensureLearners(ctx context.Context, admin staff, unitID string) ([]learner, error) {
	type user struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	known := map[string]string{}
	err := eachItem(ctx, admin, "/api/v1/users", url.Values{"org_id": {unitID}}, func(u user) bool {
		known[strings.ToLower(u.Email)] = u.ID
		return false
	})
	if err != nil {
		return nil, err
	}
	learners := make([]learner, e.cfg.learners)
	var missing []int
	for i := range learners {
		learners[i] = learner{login: learnerLogin(e.cfg.prefix, i), nip: learnerNIP(i)}
		if learners[i].id = known[learners[i].login]; learners[i].id == "" {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return learners, nil
	}
	e.logf("registering %d learners, %d at once", len(missing), e.cfg.signInWorkers)
	var mu sync.Mutex
	var firstErr error
	e.pool(ctx, len(missing), e.cfg.signInWorkers, func(j int) {
		l := &learners[missing[j]]
		body := map[string]any{"nip": l.nip, "name": fmt.Sprintf("Peserta Ujian %06d", missing[j]+1), "email": l.login,
			"org_id": unitID, "password": e.cfg.learnerPassword}
		var made user
		err := admin.do(ctx, http.MethodPost, "/api/v1/users", body, &made)
		if statusOf(err) == http.StatusConflict { // registered elsewhere by an earlier run
			err = eachItem(ctx, admin, "/api/v1/users", url.Values{"q": {l.login}}, func(u user) bool {
				if strings.EqualFold(u.Email, l.login) {
					made = u
				}
				return made.ID != ""
			})
		}
		mu.Lock()
		defer mu.Unlock()
		if err == nil && made.ID == "" {
			err = fmt.Errorf("learner %s: registered, but not found", l.login)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		l.id = made.ID
	})
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return learners, firstErr
}

// courseVersion is the part of a course version the provisioning reads.
type courseVersion struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Modules []struct {
		Lessons []struct {
			Items []struct {
				ID   string `json:"id"`
				Kind string `json:"kind"`
			} `json:"items"`
		} `json:"lessons"`
	} `json:"modules"`
}

// quizItem is the version's first item of kind quiz, whose id is the quiz's ("" when
// it has none).
func (v courseVersion) quizItem() string {
	for _, m := range v.Modules {
		for _, l := range m.Lessons {
			for _, it := range l.Items {
				if it.Kind == "quiz" && it.ID != "" {
					return it.ID
				}
			}
		}
	}
	return ""
}

// ensureCourse finds the course PREFIX-COURSE of the institute or writes it, and
// carries its version through to publication: the author writes a module, a lesson
// and a quiz item, provisionQuiz sets the quiz, and the author submits; the reviewer
// approves. A run that stopped half-way is taken up where it stopped (the quiz of a
// draft is set again: PUT replaces its settings).
func (e *exam) ensureCourse(ctx context.Context, author, reviewer staff, instituteID string) (courseID, versionID, quizID string, err error) {
	type course struct {
		ID                 string         `json:"id"`
		Code               string         `json:"code"`
		PublishedVersionID *string        `json:"published_version_id"`
		OpenVersion        *courseVersion `json:"open_version"`
	}
	code := e.cfg.prefix + "-COURSE"
	var found *course
	err = eachItem(ctx, author, "/api/v1/courses", url.Values{"org_id": {instituteID}, "q": {code}}, func(c course) bool {
		if c.Code == code {
			found = &c
		}
		return found != nil
	})
	if err != nil {
		return "", "", "", err
	}
	if found == nil {
		body := map[string]any{"org_id": instituteID, "code": code, "title": "Ujian Nasional Uji Beban " + e.cfg.prefix,
			"summary": "Kursus untuk uji beban ujian (corpu-load exam).", "objectives": []string{"Menyelesaikan ujian 20 soal"},
			"jp_credit": 2, "sharing": "national", "competency_tags": []string{"uji-beban"}}
		var made course
		if err := author.do(ctx, http.MethodPost, "/api/v1/courses", body, &made); err != nil {
			return "", "", "", err
		}
		found = &made
		e.logf("course %s created", made.ID)
	}
	courseID = found.ID
	switch {
	case found.PublishedVersionID != nil && (found.OpenVersion == nil || found.OpenVersion.ID == ""):
		versionID = *found.PublishedVersionID
	case found.OpenVersion != nil && found.OpenVersion.ID != "":
		versionID = found.OpenVersion.ID
	default:
		return "", "", "", fmt.Errorf("course %s has neither a published version nor a draft", courseID)
	}
	var v courseVersion
	if err := author.do(ctx, http.MethodGet, "/api/v1/course-versions/"+versionID, nil, &v); err != nil {
		return "", "", "", err
	}
	quizID = v.quizItem()
	if v.Status == "draft" || v.Status == "changes_requested" {
		if quizID == "" {
			if quizID, err = e.writeCurriculum(ctx, author, versionID); err != nil {
				return "", "", "", err
			}
		}
		if err := provisionQuiz(ctx, author, instituteID, quizID, e.cfg.prefix); err != nil {
			return "", "", "", fmt.Errorf("quiz: %w", err)
		}
		if err := author.do(ctx, http.MethodPost, "/api/v1/course-versions/"+versionID+"/submit", nil, nil); err != nil {
			return "", "", "", err
		}
		v.Status = "in_review"
	}
	if v.Status == "in_review" {
		body := map[string]any{"decision": "approve",
			"checklist": map[string]bool{"objectives": true, "assessment": true, "jp": true, "accessibility": true}}
		if err := reviewer.do(ctx, http.MethodPost, "/api/v1/course-versions/"+versionID+"/reviews", body, nil); err != nil {
			return "", "", "", err
		}
		e.logf("course version %s published", versionID)
	} else if v.Status != "published" {
		return "", "", "", fmt.Errorf("course version %s is %s", versionID, v.Status)
	}
	if quizID == "" {
		return "", "", "", fmt.Errorf("course version %s has no quiz item", versionID)
	}
	return courseID, versionID, quizID, nil
}

// writeCurriculum adds a module, a lesson and the quiz item to a draft version and
// returns the item's id, which is the quiz's.
func (e *exam) writeCurriculum(ctx context.Context, author staff, versionID string) (string, error) {
	var module, lesson, item struct {
		ID string `json:"id"`
	}
	if err := author.do(ctx, http.MethodPost, "/api/v1/course-versions/"+versionID+"/modules", map[string]string{"title": "Ujian"}, &module); err != nil {
		return "", err
	}
	if err := author.do(ctx, http.MethodPost, "/api/v1/modules/"+module.ID+"/lessons", map[string]string{"title": "Ujian akhir"}, &lesson); err != nil {
		return "", err
	}
	body := map[string]any{"kind": "quiz", "title": "Ujian 20 soal", "required": true, "estimated_minutes": 30}
	if err := author.do(ctx, http.MethodPost, "/api/v1/lessons/"+lesson.ID+"/items", body, &item); err != nil {
		return "", err
	}
	if item.ID == "" {
		return "", fmt.Errorf("lesson %s: the quiz item came back without an id", lesson.ID)
	}
	return item.ID, nil
}

// provisionQuiz sets the 20-question quiz of a quiz item of a draft version:
//
//	GET  /api/v1/question-banks                                → {"items": [{"id", "name"}], "next_cursor"}
//	     (every bank the caller may read; there is no filter by organisation or name)
//	POST /api/v1/question-banks {"org_id", "name", "sharing": "private"} → 201 {"id"}
//	GET  /api/v1/question-banks/{bank_id}/questions            → {"items": [{"id", "name"}], "next_cursor"}
//	POST /api/v1/question-banks/{bank_id}/questions {"name", "type", "stem", "points",
//	     and the type's body fields flat: "options", "prompts", "correct", …} → 201 {"id"}
//	     (see examQuestions)
//	PUT  /api/v1/quizzes/{item_id} {"sections": [{"questions": [{"question_id"}]}],
//	     "shuffle_questions", "shuffle_options", "time_limit_seconds", "attempts_allowed": 0
//	     (any number), "grading_method", "pass_mark" (percent), "review"} → 201 or 200
//
// The bank (named after the prefix) and its questions are reused.
func provisionQuiz(ctx context.Context, author staff, orgID, quizID, prefix string) error {
	type named struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	name := prefix + " bank soal uji beban"
	var bank named
	err := eachItem(ctx, author, "/api/v1/question-banks", url.Values{}, func(b named) bool {
		if b.Name == name {
			bank = b
		}
		return bank.ID != ""
	})
	if err != nil {
		return err
	}
	if bank.ID == "" {
		if err := author.do(ctx, http.MethodPost, "/api/v1/question-banks",
			map[string]any{"org_id": orgID, "name": name, "sharing": "private"}, &bank); err != nil {
			return err
		}
	}
	have := map[string]string{}
	if err := eachItem(ctx, author, "/api/v1/question-banks/"+bank.ID+"/questions", url.Values{}, func(q named) bool {
		have[q.Name] = q.ID
		return false
	}); err != nil {
		return err
	}
	var questions []map[string]string
	for _, q := range examQuestions() {
		id := have[q["name"].(string)]
		if id == "" {
			var made named
			if err := author.do(ctx, http.MethodPost, "/api/v1/question-banks/"+bank.ID+"/questions", q, &made); err != nil {
				return err
			}
			id = made.ID
		}
		questions = append(questions, map[string]string{"question_id": id})
	}
	quiz := map[string]any{
		"sections":           []map[string]any{{"title": "Ujian", "questions": questions}},
		"shuffle_questions":  true,
		"shuffle_options":    true,
		"time_limit_seconds": 4 * 3600,
		"attempts_allowed":   0,
		"grading_method":     "highest",
		"pass_mark":          60,
		"review":             map[string]string{"score": "immediately", "answers": "never", "feedback": "never"},
	}
	return author.do(ctx, http.MethodPut, "/api/v1/quizzes/"+url.PathEscape(quizID), quiz, nil)
}

// examQuestions are the 20 auto-graded questions of the exam, every auto-graded
// type of internal/quiz in turn, in the body of POST .../questions.
func examQuestions() []map[string]any {
	var qs []map[string]any
	for i := range 20 {
		n := i + 1
		q := map[string]any{"name": fmt.Sprintf("uji-beban-%02d", n), "points": 1}
		switch i % 7 {
		case 0:
			q["type"], q["stem"] = "single_choice", fmt.Sprintf("Soal %d: manakah ibu kota Indonesia?", n)
			q["options"] = []map[string]any{{"text": "Jakarta", "weight": 1}, {"text": "Bandung"},
				{"text": "Surabaya"}, {"text": "Medan"}}
		case 1:
			q["type"], q["stem"] = "multiple_choice", fmt.Sprintf("Soal %d: pilih semua bilangan prima.", n)
			q["options"] = []map[string]any{{"text": "2", "weight": 0.5}, {"text": "3", "weight": 0.5},
				{"text": "4", "weight": -0.5}, {"text": "9", "weight": -0.5}}
		case 2:
			q["type"], q["stem"], q["correct"] = "true_false", fmt.Sprintf("Soal %d: SPBE singkatan dari Sistem Pemerintahan Berbasis Elektronik.", n), true
		case 3:
			q["type"], q["stem"] = "short_answer", fmt.Sprintf("Soal %d: sebutkan nama provinsi dengan kode 32.", n)
			q["text_answers"] = []map[string]any{{"text": "jawa barat", "credit": 1}, {"text": "jabar", "credit": 1}}
		case 4:
			q["type"], q["stem"] = "numeric", fmt.Sprintf("Soal %d: berapa persen kenaikan 100 menjadi 103,12?", n)
			q["numeric_answers"] = []map[string]any{{"value": 3.12, "tolerance": 0.01, "credit": 1}}
			q["units"] = []map[string]any{{"name": "%", "multiplier": 1}}
		case 5:
			q["type"], q["stem"] = "matching", fmt.Sprintf("Soal %d: pasangkan provinsi dengan ibu kotanya.", n)
			q["options"] = []map[string]any{{"id": "bandung", "text": "Bandung"}, {"id": "surabaya", "text": "Surabaya"},
				{"id": "medan", "text": "Medan"}, {"id": "semarang", "text": "Semarang"}} // the last a distractor
			q["prompts"] = []map[string]any{{"id": "jabar", "text": "Jawa Barat", "answer": "bandung"},
				{"id": "jatim", "text": "Jawa Timur", "answer": "surabaya"}, {"id": "sumut", "text": "Sumatera Utara", "answer": "medan"}}
		case 6:
			q["type"], q["stem"] = "ordering", fmt.Sprintf("Soal %d: urutkan dari yang terkecil.", n)
			q["options"] = []map[string]any{{"text": "satu"}, {"text": "dua"}, {"text": "tiga"}, {"text": "empat"}}
			q["scoring"] = "by_position"
		}
		qs = append(qs, q)
	}
	return qs
}

// ensureClass finds the class of the published version or opens it (assigned only).
func ensureClass(ctx context.Context, admin staff, setup examSetup, prefix string) (string, error) {
	type class struct {
		ID        string `json:"id"`
		Code      string `json:"code"`
		VersionID string `json:"version_id"`
	}
	code := prefix + "-CLASS-" + setup.versionID[:min(8, len(setup.versionID))]
	var found class
	err := eachItem(ctx, admin, "/api/v1/classes", url.Values{"course_id": {setup.courseID}, "org_id": {setup.instituteID}}, func(c class) bool {
		if c.Code == code && c.VersionID == setup.versionID {
			found = c
		}
		return found.ID != ""
	})
	if err != nil || found.ID != "" {
		return found.ID, err
	}
	today := time.Now()
	body := map[string]any{"version_id": setup.versionID, "org_id": setup.instituteID, "code": code, "title": "Kelas uji beban " + prefix,
		"starts_on": today.Format(time.DateOnly), "ends_on": today.AddDate(1, 0, 0).Format(time.DateOnly),
		"capacity": 100_000, "policy": "assigned"}
	err = admin.do(ctx, http.MethodPost, "/api/v1/classes", body, &found)
	return found.ID, err
}

// assign enrols every learner in the class, 2000 at a time; one already enrolled is
// fine, any other row left out is an error.
func (e *exam) assign(ctx context.Context, admin staff, setup examSetup) error {
	for from := 0; from < len(setup.learners); from += 2000 {
		batch := setup.learners[from:min(from+2000, len(setup.learners))]
		ids := make([]string, len(batch))
		for i, l := range batch {
			ids[i] = l.id
		}
		var res struct {
			Assigned []json.RawMessage `json:"assigned"`
			Skipped  []struct {
				Row     int    `json:"row"`
				Reason  string `json:"reason"`
				Message string `json:"message"`
			} `json:"skipped"`
		}
		if err := admin.do(ctx, http.MethodPost, "/api/v1/classes/"+setup.classID+"/assignments", map[string]any{"user_ids": ids}, &res); err != nil {
			return err
		}
		for _, s := range res.Skipped {
			if s.Reason != "already_enrolled" {
				return fmt.Errorf("assign row %d of a batch from learner %d: %s (%s)", s.Row, from+1, s.Reason, s.Message)
			}
		}
		if len(res.Assigned) > 0 {
			e.logf("%d learners assigned to the class", len(res.Assigned))
		}
	}
	return nil
}
