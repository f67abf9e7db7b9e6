package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

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
// until it is given one, the request fails otherwise, or ctx ends. Each try is
// recorded as k: kindStart in the exam, kindStartMax in the full-speed phase,
// whose burst of -workers starts at once is the measurement's set-up and not
// the exam's start window; only the exam's starts are timed from first try
// to attempt (kindStartWait).
func (e *exam) start(ctx context.Context, s *session, quizID, classID string, k kind) (*attempt, error) {
	path := "/api/v1/quizzes/" + url.PathEscape(quizID) + "/attempts"
	// One key for every try: a start whose answer was lost is not a second attempt.
	headers := map[string]string{"Idempotency-Key": "corpu-load-start-" + randomKey()}
	first := time.Now()
	for tries := 0; ; tries++ {
		r, err := e.authed(ctx, s, k, http.MethodPost, path, map[string]string{"class_id": classID}, headers)
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
			if k == kindStart {
				e.c.rec.record(kindStartWait, r.status, time.Since(first), nil)
			}
			e.started.Add(1)
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
		case err == nil && r.busy():
			e.busySave.Add(1)
			if sleep(ctx, backoff(r.retryAfter)) != nil {
				return false
			}
		case tries < 3 && (err != nil || r.status >= 500):
			if sleep(ctx, backoff(0)/2) != nil {
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

// submit submits the attempt (idempotent, one key for every try), recording each
// try as k (kindSubmit, or kindSubmitMax at the end of the full-speed phase), and
// reports when the server acknowledged it.
func (e *exam) submit(ctx context.Context, a *attempt, k kind) (time.Time, bool) {
	path := "/api/v1/attempts/" + url.PathEscape(a.ID) + "/submit"
	headers := map[string]string{"Idempotency-Key": "corpu-load-submit-" + a.ID}
	for tries := 0; ; tries++ {
		r, err := e.authed(ctx, a.s, k, http.MethodPost, path, nil, headers)
		switch {
		case ctx.Err() != nil:
			return time.Time{}, false
		case err == nil && ok(r.status):
			e.submitted.Add(1)
			a.mu.Lock()
			a.submitted = true
			a.mu.Unlock()
			e.mu.Lock()
			e.submittedInOrder = append(e.submittedInOrder, a)
			e.mu.Unlock()
			return time.Now(), true
		case err == nil && r.busy(): // the server asks to come back: a learner's page would
			e.busySub.Add(1)
			if sleep(ctx, backoff(r.retryAfter)) != nil {
				return time.Time{}, false
			}
		case tries < 5 && (err != nil || r.status >= 500):
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

// saveAtFullSpeed starts one attempt for each of up to -workers learners, saves to it
// closed-loop for -phase, submits it, and returns the acknowledged saves per second.
func (e *exam) saveAtFullSpeed(ctx context.Context, quizID, classID string, sessions []*session) float64 {
	n := min(e.cfg.workers, len(sessions))
	attempts := make([]*attempt, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, err := e.start(ctx, sessions[i], quizID, classID, kindStartMax)
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
			wg.Go(func() { e.submit(ctx, a, kindSubmitMax) })
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
			a, err := e.start(ctx, s, quizID, classID, kindStart)
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
			if at, ok := e.submit(ctx, a, kindSubmit); ok {
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

// gradeWatch follows the grading of the exam's submitted attempts while the
// exam runs: every quarter second it polls the attempts submitted so far that
// it has not seen graded, in the order they were submitted (and so, near
// enough, graded). A round stops at the first batch of gradePollBatch in which
// none is graded yet: the attempts after it are most likely waiting too.
// Each attempt is so read about once, soon after it is graded, as a
// learner's result page would; reading every pending attempt after the last
// submit instead (10,000 GETs a round) took the server's CPU from the grading
// being waited for, and the last attempt was seen graded 16 s after it was.
type gradeWatch struct {
	e       *exam
	sitDone chan struct{} // closed when the exam is over
	done    chan struct{}
	p       gradePoll
	pending []*attempt
	taken   int // of e.submittedInOrder
}

// watchGrading starts following the grading; finish ends it.
func (e *exam) watchGrading(ctx context.Context) *gradeWatch {
	w := &gradeWatch{e: e, sitDone: make(chan struct{}), done: make(chan struct{})}
	go w.run(ctx)
	return w
}

func (w *gradeWatch) run(ctx context.Context) {
	defer close(w.done)
	over := w.sitDone // nil once it is closed
	var deadline <-chan time.Time
	for {
		w.takeSubmitted()
		w.pending = w.e.pollGraded(ctx, w.pending, &w.p, true)
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			return
		case <-over:
			over = nil
			timer := time.NewTimer(w.e.cfg.gradeTimeout)
			defer timer.Stop()
			deadline = timer.C
		case <-time.After(250 * time.Millisecond):
		}
		if over == nil && len(w.pending) == 0 {
			w.takeSubmitted()
			if len(w.pending) == 0 {
				return
			}
		}
	}
}

// takeSubmitted adds the attempts submitted since the last round to pending.
func (w *gradeWatch) takeSubmitted() {
	w.e.mu.Lock()
	defer w.e.mu.Unlock()
	w.pending = append(w.pending, w.e.submittedInOrder[w.taken:]...)
	w.taken = len(w.e.submittedInOrder)
}

// finish waits until every submitted attempt is graded or -grade-timeout
// passes after lastSubmit, and returns how many were graded and the seconds
// from lastSubmit until the last of them was seen graded (-1 when some were
// not). When the time is up, one last round reads every attempt still
// pending, so the count is exact.
func (w *gradeWatch) finish(ctx context.Context, lastSubmit time.Time) (int64, float64) {
	close(w.sitDone)
	<-w.done
	w.takeSubmitted()
	if len(w.pending) > 0 {
		last, cancel := context.WithTimeout(ctx, w.e.cfg.gradeTimeout)
		defer cancel()
		w.pending = w.e.pollGraded(last, w.pending, &w.p, false)
	}
	if len(w.pending) > 0 || w.p.doneAt.IsZero() {
		return w.p.graded, -1
	}
	return w.p.graded, max(w.p.doneAt.Sub(lastSubmit).Seconds(), 0)
}

// gradePollBatch is how many attempts a round of awaitGrading reads at once.
const gradePollBatch = 32

// gradePoll is what awaitGrading has seen: how many attempts were graded,
// and when the last of them was.
type gradePoll struct {
	graded int64
	doneAt time.Time
}

// pollGraded reads the pending attempts batch by batch and returns those not
// graded yet, in order; with stopEarly it stops at a batch in which none was.
func (e *exam) pollGraded(ctx context.Context, pending []*attempt, p *gradePoll, stopEarly bool) []*attempt {
	still := make([]*attempt, 0, len(pending))
	for from := 0; from < len(pending); from += gradePollBatch {
		batch := pending[from:min(from+gradePollBatch, len(pending))]
		waiting := make([]bool, len(batch))
		e.pool(ctx, len(batch), gradePollBatch, func(i int) {
			v, err := e.view(ctx, batch[i])
			waiting[i] = err != nil || !v.done()
		})
		before := len(still)
		for i, a := range batch {
			if waiting[i] {
				still = append(still, a)
			}
		}
		if graded := len(batch) - (len(still) - before); graded > 0 {
			p.graded += int64(graded)
			p.doneAt = time.Now()
		} else if stopEarly || ctx.Err() != nil {
			return append(still, pending[from+len(batch):]...)
		}
	}
	return still
}

// checkSaves reads back every attempt (those whose last view came from grading are
// not read again) and counts the acknowledged saves whose seq is newer than the seq
// the server holds for the slot: each of them was acknowledged and is gone. The
// saves of an attempt that could not be read back are counted as unchecked, not
// lost: nothing shows them kept or gone.
//
// The read-back has a budget of its own (checkBudget), not -grade-timeout: a short
// grading wait cut it off and reported the saves of the attempts it had not read as
// lost.
func (e *exam) checkSaves() (lost, unchecked int64) {
	e.mu.Lock()
	attempts := slices.Clone(e.attempts)
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), checkBudget)
	defer cancel()
	var lostN, uncheckedN atomic.Int64
	checked := make([]bool, len(attempts))
	e.pool(ctx, len(attempts), 32, func(i int) {
		a := attempts[i]
		a.mu.Lock()
		v := a.view
		a.mu.Unlock()
		if !v.done() {
			var err error
			if v, err = e.view(ctx, a); err != nil {
				e.logf("checking saves: %v", err)
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
					lostN.Add(1)
				}
			}
		}
		checked[i] = true // each index by one goroutine; read after pool returns
	})
	for i, a := range attempts {
		if !checked[i] {
			for _, seqs := range a.acked {
				uncheckedN.Add(int64(len(seqs)))
			}
		}
	}
	return lostN.Load(), uncheckedN.Load()
}

// checkBudget bounds reading every attempt back after the exam.
const checkBudget = 10 * time.Minute
