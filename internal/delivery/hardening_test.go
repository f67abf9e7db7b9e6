package delivery

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
)

// codeOf returns the check-in code staff show at a session at time at.
func (w *world) codeOf(sessionID uuid.UUID, at time.Time) string {
	w.t.Helper()
	row, err := w.svc.store.session(context.Background(), sessionID)
	if err != nil {
		w.t.Fatal(err)
	}
	code, _ := currentCode(row.Secret, at)
	return code
}

// wrongCode is a six-digit code that is not the session's now.
func (w *world) wrongCode(sessionID uuid.UUID, at time.Time) string {
	right := w.codeOf(sessionID, at)
	prev, _ := strconv.Atoi(right)
	return strconv.Itoa(100000 + (prev+1)%900000)
}

func TestWrongCheckInCodesAreThrottled(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(ItemLiveSession))
	sess := w.session(c, 0, 2*time.Hour)
	guesser, other := w.person(w.unitA, nil), w.person(w.unitA, nil)
	w.enrol(guesser, c)
	w.enrol(other, c)
	srv := w.server()
	path := "/api/v1/sessions/" + sess.ID.String() + "/check-in"
	checkIn := func(l Learner, code string) response {
		return w.do(srv, l, http.MethodPost, path, "application/json", `{"code":"`+code+`"}`)
	}

	for i := range MaxCheckInGuesses {
		if r := checkIn(guesser, w.wrongCode(sess.ID, w.clock.Now())); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code %d = %d %s, want 422", i+1, r.status, r.body)
		}
	}
	r := checkIn(guesser, w.wrongCode(sess.ID, w.clock.Now()))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("wrong code %d = %d (Retry-After %q), want 429 with Retry-After", MaxCheckInGuesses+1, r.status, r.header.Get("Retry-After"))
	}
	if p := problem(t, r); p.Type == "" {
		t.Errorf("429 problem = %+v, want a type", p)
	}
	if r := checkIn(guesser, w.codeOf(sess.ID, w.clock.Now())); r.status != http.StatusTooManyRequests {
		t.Errorf("the right code while throttled = %d, want 429: a throttled guesser learns nothing", r.status)
	}
	if r := checkIn(other, w.codeOf(sess.ID, w.clock.Now())); r.status != http.StatusCreated {
		t.Errorf("another learner's right code = %d %s, want 201", r.status, r.body)
	}
	if n := w.count("attendance", "session_id = ? AND user_id = ?", sess.ID, guesser.UserID); n != 0 {
		t.Errorf("attendance of the guesser = %d, want none", n)
	}

	// Once the window has passed, the right code checks in.
	w.clock.Set(start.Add(CheckInGuessWindow + time.Minute))
	if r := checkIn(guesser, w.codeOf(sess.ID, w.clock.Now())); r.status != http.StatusCreated {
		t.Errorf("the right code after the window = %d %s, want 201", r.status, r.body)
	}
}

func TestSprayingCheckInCodesFromManyAccountsIsThrottledPerSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version(ItemLiveSession), withCapacity(100, false))
	sess := w.session(c, 0, 2*time.Hour)
	srv := w.server()
	path := "/api/v1/sessions/" + sess.ID.String() + "/check-in"
	accounts := MaxSessionCheckInGuesses/MaxCheckInGuesses + 1
	var sprayers []Learner
	for range accounts {
		l := w.person(w.unitA, nil)
		w.enrol(l, c)
		sprayers = append(sprayers, l)
	}
	late := w.person(w.unitA, nil)
	w.enrol(late, c)
	throttled := 0
	for _, l := range sprayers {
		for range MaxCheckInGuesses {
			r := w.do(srv, l, http.MethodPost, path, "application/json", `{"code":"`+w.wrongCode(sess.ID, w.clock.Now())+`"}`)
			if r.status == http.StatusTooManyRequests {
				throttled++
			}
		}
	}
	if throttled == 0 {
		t.Fatalf("%d wrong codes from %d accounts: none throttled, want the session's limit of %d to hold",
			accounts*MaxCheckInGuesses, accounts, MaxSessionCheckInGuesses)
	}
	// A learner trying for the first time in the window is not locked out by the others.
	r := w.do(srv, late, http.MethodPost, path, "application/json", `{"code":"`+w.codeOf(sess.ID, w.clock.Now())+`"}`)
	if r.status != http.StatusCreated {
		t.Errorf("a first right code while the session is throttled = %d %s, want 201", r.status, r.body)
	}
}

func TestCompletingTheSameVersionInTwoClassesCreditsItsJPOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemText)
	first, second := w.classOf(v), w.classOf(v)
	l := w.person(w.unitA, nil)
	e1, e2 := w.enrol(l, first), w.enrol(l, second)
	w.complete(l, e1, v)
	w.complete(l, e2, v)
	for _, e := range []Enrolment{e1, e2} {
		if got := w.enrolment(e.ID); got.Status != EnrolmentCompleted {
			t.Fatalf("enrolment %s = %s, want completed", e.ID, got.Status)
		}
	}
	ledger, err := w.svc.MyJP(w.as(l), start.Year())
	if err != nil {
		t.Fatal(err)
	}
	if ledger.JP != v.JPCredit || len(ledger.Credits) != 1 {
		t.Errorf("MyJP = %v JP in %d credits, want %v JP credited once", ledger.JP, len(ledger.Credits), v.JPCredit)
	}
	if n := w.count("jp_credits", "user_id = ? AND version_id = ?", l.UserID, v.VersionID); n != 1 {
		t.Errorf("jp_credits of the version = %d, want 1", n)
	}
}
