package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/identity/nip"
)

// runExamAgainst runs the exam subcommand against srv and returns its error and the
// decoded last line of output.
func runExamAgainst(t *testing.T, srv *httptest.Server, cache string, extra ...string) (error, examResult, map[string]any) {
	t.Helper()
	args := append([]string{"exam", "-url", srv.URL, "-learners", "6", "-workers", "2", "-phase", "300ms",
		"-start-window", "300ms", "-save-every", "250ms", "-duration", "900ms", "-grade-timeout", "10s",
		"-signin-workers", "3", "-token-cache", cache, "-json"}, extra...)
	var out bytes.Buffer
	err := run(context.Background(), args, &out, io.Discard)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	var res examResult
	var fields map[string]any
	if jerr := json.Unmarshal([]byte(last), &res); jerr != nil {
		t.Fatalf("the last line is not JSON: %v\n%s", jerr, out.String())
	}
	_ = json.Unmarshal([]byte(last), &fields)
	return err, res, fields
}

func TestExamProvisionsSitsAndFindsTheLostSaveThenReusesEverythingOnTheNextRun(t *testing.T) {
	t.Parallel()
	f := newExamCorpu()
	f.busyNth, f.dropNth, f.staleNth = 3, 3, 4 // attempts 1 and 2 are the full-speed phase's
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	cache := filepath.Join(t.TempDir(), "tokens.json")

	err, res, fields := runExamAgainst(t, srv, cache)
	t.Run("the last line has every field of the issue", func(t *testing.T) {
		for _, k := range []string{"learners", "baseline_rps", "save_rps_max", "save_ratio", "start_p99_ms", "save_p99_ms",
			"submit_p99_ms", "errors_5xx", "acked_saves", "lost_saves", "graded_within_s", "signin_per_s"} {
			if _, ok := fields[k]; !ok {
				t.Errorf("%q missing from %v", k, fields)
			}
		}
	})
	t.Run("a dropped acknowledged save is lost and fails the run", func(t *testing.T) {
		if res.LostSaves != 1 || err == nil || !strings.Contains(err.Error(), "lost") {
			t.Errorf("lost_saves = %d, err = %v; want 1 and an error", res.LostSaves, err)
		}
	})
	t.Run("a 503 at start is waited out and tried again", func(t *testing.T) {
		if res.StartBusy != 1 || res.Started != 8 || res.StartWaitP99 < 1000 {
			t.Errorf("start_busy %d, started %d, start wait p99 %.0f ms; want 1, 8 (6 learners and 2 full-speed) and ≥ 1 s of Retry-After",
				res.StartBusy, res.Started, res.StartWaitP99)
		}
	})
	t.Run("a stale save's 409 is counted, not an error, and no save is lost to it", func(t *testing.T) {
		if res.StaleSaves != 1 || res.FailedSaves != 0 || res.Errors5xx != 0 {
			t.Errorf("stale %d, failed %d, 5xx %d; want 1, 0, 0", res.StaleSaves, res.FailedSaves, res.Errors5xx)
		}
	})
	t.Run("every learner signed in, every attempt submitted and graded", func(t *testing.T) {
		if res.Learners != 6 || res.SignIns != 6 || res.SignInPerS <= 0 || f.learnerLogins() != 6 {
			t.Errorf("learners %d, signins %d (%.1f/s), server saw %d; want 6", res.Learners, res.SignIns, res.SignInPerS, f.learnerLogins())
		}
		if res.Submitted != 8 || res.Graded != 8 || res.GradedWithinS < 0.2 || res.GradedWithinS > 5 {
			t.Errorf("submitted %d, graded %d within %.2f s; want 8, 8, after the 200 ms grading", res.Submitted, res.Graded, res.GradedWithinS)
		}
		if res.AckedSaves < 12 || res.SaveRPSMax <= 0 || res.BaselineRPS <= 0 || res.SaveRatio <= 0 {
			t.Errorf("acked %d, save max %.0f/s, baseline %.0f/s, ratio %.3f", res.AckedSaves, res.SaveRPSMax, res.BaselineRPS, res.SaveRatio)
		}
	})

	f.mu.Lock()
	f.dropNth, f.staleNth, f.fail500 = 0, 0, true
	f.mu.Unlock()
	err, res, _ = runExamAgainst(t, srv, cache, "-max-5xx", "1")
	t.Run("the second run signs nobody in and provisions nothing again", func(t *testing.T) {
		if err != nil {
			t.Fatalf("second run = %v", err)
		}
		if res.SignIns != 0 || res.CachedTokens != 6 || f.learnerLogins() != 6 {
			t.Errorf("signins %d, cached %d, server saw %d learner sign-ins; want 0, 6, still 6", res.SignIns, res.CachedTokens, f.learnerLogins())
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.created["users"] != 6 || f.created["courses"] != 1 || f.created["classes"] != 1 || f.created["organizations"] != 1 {
			t.Errorf("created %v; want everything once", f.created)
		}
	})
	t.Run("a 500 is counted and tried again, within -max-5xx", func(t *testing.T) {
		if res.Errors5xx != 1 || res.LostSaves != 0 || res.FailedSaves != 0 {
			t.Errorf("5xx %d, lost %d, failed %d; want 1, 0, 0", res.Errors5xx, res.LostSaves, res.FailedSaves)
		}
	})
}

func TestExamRefreshesCachedTokensThatAreAboutToExpire(t *testing.T) {
	t.Parallel()
	f := newExamCorpu()
	f.expiresIn = 30 // under the minute a cached token must still have
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	cache := filepath.Join(t.TempDir(), "tokens.json")
	if err, _, _ := runExamAgainst(t, srv, cache); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	before := f.refreshed
	f.mu.Unlock()
	err, res, _ := runExamAgainst(t, srv, cache)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	refreshed := f.refreshed - before
	f.mu.Unlock()
	if res.SignIns != 0 || res.CachedTokens != 6 || refreshed != 6 || f.learnerLogins() != 6 {
		t.Errorf("signins %d, cached %d, refreshed %d, learner sign-ins %d; want 0, 6, 6, 6", res.SignIns, res.CachedTokens, refreshed, f.learnerLogins())
	}
}

func TestExamPrepareOnlySignsEveryoneInAndStartsNoAttemptSoTheExamRunSignsNobodyIn(t *testing.T) {
	t.Parallel()
	f := newExamCorpu()
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	cache := filepath.Join(t.TempDir(), "tokens.json")

	err, res, _ := runExamAgainst(t, srv, cache, "-prepare-only")
	if err != nil {
		t.Fatalf("prepare = %v", err)
	}
	f.mu.Lock()
	attempts := len(f.attempts)
	f.mu.Unlock()
	if res.SignIns != 6 || f.learnerLogins() != 6 || attempts != 0 || res.Started != 0 || res.BaselineRPS != 0 {
		t.Errorf("signins %d, server saw %d, attempts %d, started %d, baseline %.0f; want 6, 6, 0, 0, 0 (nothing measured)",
			res.SignIns, f.learnerLogins(), attempts, res.Started, res.BaselineRPS)
	}

	err, res, _ = runExamAgainst(t, srv, cache)
	if err != nil {
		t.Fatalf("exam after prepare = %v", err)
	}
	if res.SignIns != 0 || res.CachedTokens != 6 || f.learnerLogins() != 6 || res.Started == 0 {
		t.Errorf("signins %d, cached %d, learner sign-ins %d, started %d; want 0, 6, still 6, some", res.SignIns, res.CachedTokens, f.learnerLogins(), res.Started)
	}
}

func TestExamWaitsOutABusyServerAtSubmitHoweverOftenItAsks(t *testing.T) {
	t.Parallel()
	f := newExamCorpu()
	f.busySubmit = 6 // more than the tries given to a failing submit
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	err, res, _ := runExamAgainst(t, srv, filepath.Join(t.TempDir(), "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.SubmitBusy != 6 || res.Submitted != 8 || res.Graded != 8 || res.Errors5xx != 0 {
		t.Errorf("submit_busy %d, submitted %d, graded %d, 5xx %d; want 6, 8, 8, 0", res.SubmitBusy, res.Submitted, res.Graded, res.Errors5xx)
	}
}

func TestExamFlagsAreChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"no learners", []string{"-learners", "0"}},
		{"more learners than a class holds", []string{"-learners", "100001"}},
		{"the author reviewing their own course", []string{"-reviewer", "instruktur@bpsdm.kemendagri.go.id"}},
		{"a prefix that is no code", []string{"-prefix", "no spaces"}},
		{"a save interval of zero", []string{"-save-every", "0s"}},
		{"a URL that is not http", []string{"-url", "ftp://x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := parseExamFlags(tt.args, io.Discard); err == nil {
				t.Errorf("parseExamFlags(%v) = nil, want an error", tt.args)
			}
		})
	}
}

func TestLearnerNIPsAreValidAndDistinctWithinAndAcrossPrefixes(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, prefix := range []string{"LOADEXAM", "LOADEXAM2", "EXAM20K", "X"} {
		for _, i := range []int{0, 1, 998, 999, 1000, 19_999, 99_999} {
			n := learnerNIP(prefix, i)
			if _, err := nip.Parse(n, now); err != nil {
				t.Errorf("learnerNIP(%s, %d) = %s: %v", prefix, i, n, err)
			}
			if other, taken := seen[n]; taken {
				t.Errorf("learnerNIP(%s, %d) = %s, already learner %s's", prefix, i, n, other)
			}
			seen[n] = fmt.Sprintf("%s/%d", prefix, i)
		}
	}
}

// Waiting for grading reads the attempts in the order they were submitted
// and ends a round at a batch none of whose attempts is graded yet, instead
// of reading every pending attempt each round: at 10,000 learners those
// reads took the server's CPU from the grading being waited for. The last
// round, when time is up, reads every attempt, so the count stays exact.
func TestWaitingForGradingStopsARoundAtTheFirstBatchStillWaiting(t *testing.T) {
	t.Parallel()
	var reads atomic.Int64
	graded := map[string]bool{}
	for i := range 40 {
		graded[fmt.Sprint("a", i)] = true
	}
	graded["a150"] = true // graded out of order, beyond the first waiting batch
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reads.Add(1)
		state := "submitted"
		if graded[strings.TrimPrefix(r.URL.Path, "/api/v1/attempts/")] {
			state = "graded"
		}
		writeJSON(w, 200, `{"state":"`+state+`","score":1,"max_score":20}`)
	}))
	defer srv.Close()
	e := &exam{cfg: examConfig{gradeTimeout: time.Second}, log: io.Discard,
		c: &client{http: srv.Client(), baseURL: srv.URL, timeout: time.Second, rec: newRecorder(10)}}
	var pending []*attempt
	for i := range 200 {
		pending = append(pending, &attempt{ID: fmt.Sprint("a", i), s: &session{access: "t"}})
	}

	var p gradePoll
	still := e.pollGraded(context.Background(), pending, &p, true)
	if reads.Load() != 3*gradePollBatch || p.graded != 40 || len(still) != 160 || still[0].ID != "a40" {
		t.Errorf("a round read %d attempts, counted %d graded, left %d (first %s); want %d read (up to a batch with none graded), 40, 160, a40",
			reads.Load(), p.graded, len(still), still[0].ID, 3*gradePollBatch)
	}

	reads.Store(0)
	still = e.pollGraded(context.Background(), still, &p, false)
	if reads.Load() != 160 || p.graded != 41 || len(still) != 159 {
		t.Errorf("the last round read %d attempts, counted %d graded in all, left %d; want 160, 41, 159", reads.Load(), p.graded, len(still))
	}
}

// Saves whose attempt cannot be read back after the exam are reported as
// unchecked, not lost: nothing shows them kept or gone. The run still fails.
func TestSavesOfAttemptsThatCannotBeReadBackAreUncheckedNotLost(t *testing.T) {
	t.Parallel()
	f := newExamCorpu()
	f.unreadable = true
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	err, res, _ := runExamAgainst(t, srv, filepath.Join(t.TempDir(), "tokens.json"), "-grade-timeout", "300ms")
	if err == nil || !strings.Contains(err.Error(), "could not be checked") {
		t.Errorf("run = %v, want the unchecked saves reported as an error", err)
	}
	if res.LostSaves != 0 || res.UncheckedSaves == 0 || res.UncheckedSaves != res.AckedSaves || res.Graded != 0 {
		t.Errorf("lost %d, unchecked %d of %d acknowledged, graded %d; want 0, all, 0",
			res.LostSaves, res.UncheckedSaves, res.AckedSaves, res.Graded)
	}
}
