package quiz

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/memo"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/shed"
)

func wantKind(t *testing.T, what string, err error, kind apperr.Kind) {
	t.Helper()
	if apperr.KindOf(err) != kind || err == nil {
		t.Errorf("%s = %v, want an error of status %d", what, err, kind.Status())
	}
}

func TestLearnersAndOtherAgenciesDoNotFindABank(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, qs := f.bank()
	q := qs[TypeSingleChoice]
	tests := []struct {
		actor string
		kind  apperr.Kind // 0: allowed
	}{
		{"authorA", 0}, {"reviewerA", 0}, {"authorB", apperr.KindNotFound}, {"learnerA1", apperr.KindNotFound}, {"learnerB1", apperr.KindNotFound},
	}
	for _, tt := range tests {
		_, err := f.svc.Bank(f.as(tt.actor), b.ID)
		_, qerr := f.svc.Question(f.as(tt.actor), b.ID, q.ID)
		if tt.kind == 0 {
			if err != nil || qerr != nil {
				t.Errorf("%s: Bank, Question = %v, %v, want nil", tt.actor, err, qerr)
			}
			continue
		}
		wantKind(t, tt.actor+": Bank", err, tt.kind)
		wantKind(t, tt.actor+": Question", qerr, tt.kind)
	}
	// A reviewer sees the bank and may not edit it.
	_, err := f.svc.UpdateBank(f.as("reviewerA"), b.ID, BankInput{Name: ptr("Baru")})
	wantKind(t, "UpdateBank as reviewerA", err, apperr.KindForbidden)
	_, err = f.svc.CreateQuestion(f.as("authorB"), b.ID, QuestionInput{Content: ptr(fixtures()[TypeTrueFalse])})
	wantKind(t, "CreateQuestion as authorB", err, apperr.KindNotFound)

	// Shared nationally, other agencies' authors use it; learners still do not see it.
	if _, err := f.svc.UpdateBank(f.as("authorA"), b.ID, BankInput{Sharing: ptr(SharingNational)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Bank(f.as("authorB"), b.ID); err != nil {
		t.Errorf("Bank as authorB of a national bank = %v, want nil", err)
	}
	_, err = f.svc.UpdateBank(f.as("authorB"), b.ID, BankInput{Name: ptr("Milik B")})
	wantKind(t, "UpdateBank as authorB of a national bank", err, apperr.KindForbidden)
	_, err = f.svc.Bank(f.as("learnerB1"), b.ID)
	wantKind(t, "Bank as learnerB1 of a national bank", err, apperr.KindNotFound)
	list, err := f.svc.Banks(f.as("learnerA1"), pageReq())
	if err != nil || len(list.Items) != 0 {
		t.Errorf("Banks as learnerA1 = %d banks, %v, want none", len(list.Items), err)
	}
	list, err = f.svc.Banks(f.as("authorB"), pageReq())
	if err != nil || len(list.Items) != 1 {
		t.Errorf("Banks as authorB = %d banks, %v, want the national one", len(list.Items), err)
	}
}

func TestEditingAQuestionAnAttemptUsedMakesANewVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, qs := f.bank()
	q := qs[TypeTrueFalse]
	edit := func(stem string) Question {
		c := q.Content
		c.Stem = stem
		got, err := f.svc.UpdateQuestion(f.as("authorA"), b.ID, q.ID, QuestionInput{Content: &c})
		if err != nil {
			t.Fatalf("UpdateQuestion: %v", err)
		}
		return got
	}
	if got := edit("Bumi itu bulat."); got.Version != 1 || got.VersionID != q.VersionID {
		t.Errorf("an unused question's edit = version %d, want it changed in place (1)", got.Version)
	}
	f.setQuiz(QuizInput{}, q.ID)
	a, err := f.svc.Start(f.as("learnerA1"), f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	got := edit("Bumi itu datar.")
	if got.Version != 2 || got.VersionID == q.VersionID {
		t.Errorf("a used question's edit = version %d, want a new version 2", got.Version)
	}
	seen, err := f.svc.GetAttempt(f.as("learnerA1"), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stem := seen.Slots[0].Content.Stem; stem != "Bumi itu bulat." {
		t.Errorf("the attempt shows %q, want the version it saw", stem)
	}
}

func TestAnAttemptFromStartToGrade(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, qs := f.bank()
	f.setQuiz(QuizInput{PassMark: ptr(50.0)}, qs[TypeSingleChoice].ID, qs[TypeMultipleChoice].ID, qs[TypeDescription].ID)
	ctx := f.as("learnerA1")
	a, err := f.svc.Start(ctx, f.quizID, f.classID)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if len(a.Slots) != 3 || a.MaxScore != 3 || a.ShowAnswers || a.ShowScore {
		t.Fatalf("Start = %d slots, max %v, answers shown %v, want 3 slots, max 3, no answers", len(a.Slots), a.MaxScore, a.ShowAnswers)
	}
	again, err := f.svc.Start(ctx, f.quizID, f.classID)
	if err != nil || again.ID != a.ID || !again.Resumed {
		t.Errorf("a second Start = %v, %v, want the attempt in progress resumed", again.ID, err)
	}

	// Saves: newer seq wins, older is refused with the stored seq, a retry of the same seq succeeds.
	save := func(slot int, seq int64, resp string) error {
		_, err := f.svc.SaveAnswer(ctx, a.ID, slot, seq, raw(resp))
		return err
	}
	// As on another server than the one that started it: the first save reads the layout.
	f.svc.layouts = memo.New[uuid.UUID, layout](10)
	if err := save(1, 2, `{"choice":"b"}`); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.svc.layouts.Get(a.ID); !ok {
		t.Error("after a save the attempt's layout is not known, want it cached for the next saves")
	}
	if err := save(1, 5, `{"choice":"a"}`); err != nil {
		t.Fatal(err)
	}
	err = save(1, 3, `{"choice":"c"}`)
	var ae *apperr.Error
	if !errors.Is(err, ErrStaleSeq) || !errors.As(err, &ae) || ae.Extensions["seq"] != int64(5) {
		t.Errorf("an older seq = %v, want ErrStaleSeq carrying seq 5", err)
	}
	if err := save(1, 5, `{"choice":"a"}`); err != nil {
		t.Errorf("the same seq again = %v, want it acknowledged", err)
	}
	wantKind(t, "an answer of the wrong shape", save(2, 1, `{"choice":"a"}`), apperr.KindInvalid)
	wantKind(t, "an answer to a slot not in the attempt", save(9, 1, `{"choice":"a"}`), apperr.KindNotFound)
	wantKind(t, "an answer to a description", save(3, 1, `{"text":"x"}`), apperr.KindInvalid)
	wantKind(t, "a save by another learner", func() error {
		_, err := f.svc.SaveAnswer(f.as("learner2"), a.ID, 1, 9, raw(`{"choice":"b"}`))
		return err
	}(), apperr.KindNotFound)
	wantKind(t, "a save by the class's instructor", func() error {
		_, err := f.svc.SaveAnswer(f.as("authorA"), a.ID, 1, 9, raw(`{"choice":"b"}`))
		return err
	}(), apperr.KindForbidden)
	if err := save(2, 1, `{"choices":["a"]}`); err != nil {
		t.Fatal(err)
	}
	seen, _ := f.svc.GetAttempt(ctx, a.ID)
	if seen.Slots[0].Seq != 5 || string(seen.Slots[0].Response) != `{"choice": "a"}` {
		t.Errorf("slot 1 = seq %d, %s, want seq 5 with choice a", seen.Slots[0].Seq, seen.Slots[0].Response)
	}

	// Submit is idempotent and records one grading job.
	for i := 0; i < 2; i++ {
		s, err := f.svc.Submit(ctx, a.ID)
		if err != nil || s.State != StateSubmitted {
			t.Fatalf("Submit #%d = %v, %v, want submitted", i+1, s.State, err)
		}
	}
	if n := f.countOutbox(TypeGradeAttempt); n != 1 {
		t.Errorf("grading jobs = %d, want 1", n)
	}
	if err := save(2, 2, `{"choices":["a","b"]}`); !errors.Is(err, ErrAttemptClosed) {
		t.Errorf("a save after submit = %v, want ErrAttemptClosed", err)
	}

	// A worker dies mid-grading: nothing of it stays; the rerun grades once; a duplicate changes nothing.
	f.svc.failAfterSlots = 1
	if err := f.svc.GradeAttempt(context.Background(), a.ID); err == nil {
		t.Fatal("GradeAttempt with a failure = nil, want the failure")
	}
	f.svc.failAfterSlots = 0
	if st, _ := f.svc.GetAttempt(ctx, a.ID); st.State != StateSubmitted || st.Slots[0].Score != nil {
		t.Fatalf("after a failed run: state %s, slot 1 score %v, want submitted and no score", st.State, st.Slots[0].Score)
	}
	for i := 0; i < 2; i++ {
		if err := f.svc.GradeAttempt(context.Background(), a.ID); err != nil {
			t.Fatalf("GradeAttempt #%d: %v", i+1, err)
		}
	}
	g, err := f.svc.GetAttempt(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.State != StateGraded || g.Score == nil || *g.Score != 2.5 || g.Passed == nil || !*g.Passed || !g.ShowScore {
		t.Errorf("graded attempt = %s, score %v, passed %v, want graded, 2.5 (2 + 0.5), passed", g.State, g.Score, g.Passed)
	}
	if n := f.countOutbox(TypeAttemptGraded); n != 1 {
		t.Errorf("attempt-graded events = %d, want 1", n)
	}

	// Only one attempt is allowed.
	_, err = f.svc.Start(ctx, f.quizID, f.classID)
	if !errors.Is(err, ErrNoAttemptsLeft) {
		t.Errorf("a start beyond the allowed attempts = %v, want ErrNoAttemptsLeft", err)
	}
	var attempts int64
	f.db.Conn(context.Background()).Table("quiz_attempts").Count(&attempts)
	if attempts != 1 {
		t.Errorf("attempts stored = %d, want 1: a refused start writes nothing", attempts)
	}
	// An extra attempt from the class's staff lets the learner start again.
	if err := f.svc.SetExtraAttempts(f.as("learnerA1"), f.classID, f.quizID, f.actor["learnerA1"].UserID, 1); apperr.KindOf(err) != apperr.KindForbidden {
		t.Errorf("SetExtraAttempts by the learner = %v, want forbidden", err)
	}
	if err := f.svc.SetExtraAttempts(f.as("authorA"), f.classID, f.quizID, f.actor["learnerA1"].UserID, 1); err != nil {
		t.Fatal(err)
	}
	if second, err := f.svc.Start(ctx, f.quizID, f.classID); err != nil || second.Number != 2 {
		t.Errorf("a start with an extra attempt = %v, want attempt number 2", err)
	}
}

func TestALearnerSeesOnlyTheirOwnAttempts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, qs := f.bank()
	f.setQuiz(QuizInput{}, qs[TypeTrueFalse].ID)
	a, err := f.svc.Start(f.as("learnerA1"), f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	for actor, kind := range map[string]apperr.Kind{"learner2": apperr.KindNotFound, "learnerB1": apperr.KindNotFound, "authorB": apperr.KindNotFound} {
		_, err := f.svc.GetAttempt(f.as(actor), a.ID)
		wantKind(t, "GetAttempt as "+actor, err, kind)
		_, err = f.svc.Submit(f.as(actor), a.ID)
		wantKind(t, "Submit as "+actor, err, kind)
	}
	staff, err := f.svc.GetAttempt(f.as("authorA"), a.ID)
	if err != nil || !staff.ShowAnswers {
		t.Errorf("GetAttempt as the class's instructor = %v, answers shown %v, want every detail", err, staff.ShowAnswers)
	}
	_, err = f.svc.Start(f.as("learnerB1"), f.quizID, f.classID)
	wantKind(t, "Start by a learner outside the class", err, apperr.KindNotFound)
	_, err = f.svc.Start(f.as("authorA"), f.quizID, f.classID)
	wantKind(t, "Start by the class's instructor", err, apperr.KindForbidden)
	token := *f.actor["learner2"]
	token.Scopes = []authz.Permission{authz.OrgRead}
	_, err = f.svc.Start(authz.WithActor(context.Background(), &token), f.quizID, f.classID)
	wantKind(t, "Start with a token without learning.self", err, apperr.KindForbidden)
}

func TestTheServerClockClosesAnAttemptAtItsDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, qs := f.bank()
	start := time.Now().UTC().Truncate(time.Second)
	f.clock.set(start)
	closes := start.Add(10 * time.Minute)
	if _, err := f.svc.SetClassSettings(f.as("authorA"), ClassSettings{ClassID: f.classID, QuizID: f.quizID, ClosesAt: &closes,
		TimeLimitSeconds: ptr(120)}); err == nil {
		t.Fatal("SetClassSettings before the quiz exists = nil, want quiz not found")
	}
	f.setQuiz(QuizInput{TimeLimitSeconds: ptr(ptr(3600)), AttemptsAllowed: ptr(0)}, qs[TypeTrueFalse].ID, qs[TypeNumeric].ID)
	if _, err := f.svc.SetClassSettings(f.as("learnerA1"), ClassSettings{ClassID: f.classID, QuizID: f.quizID, ClosesAt: &closes}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Errorf("SetClassSettings by a learner = %v, want forbidden", err)
	}
	// The class overrides the quiz's hour with two minutes.
	if _, err := f.svc.SetClassSettings(f.as("authorA"), ClassSettings{ClassID: f.classID, QuizID: f.quizID, ClosesAt: &closes,
		TimeLimitSeconds: ptr(120)}); err != nil {
		t.Fatal(err)
	}
	ctx := f.as("learnerA1")
	a, err := f.svc.Start(ctx, f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Deadline == nil || !a.Deadline.Equal(start.Add(2*time.Minute)) {
		t.Fatalf("deadline = %v, want start + the class's 2 minutes", a.Deadline)
	}
	// Within the grace a save still lands; after it, nothing is written.
	f.clock.set(start.Add(2*time.Minute + 3*time.Second))
	if _, err := f.svc.SaveAnswer(ctx, a.ID, 1, 1, raw(`{"value":true}`)); err != nil {
		t.Errorf("a save within the grace = %v, want it stored", err)
	}
	f.clock.set(start.Add(2*time.Minute + 6*time.Second))
	// The database's clock is real: only the service's check refuses here.
	if _, err := f.svc.SaveAnswer(ctx, a.ID, 2, 1, raw(`{"value":3.14}`)); !errors.Is(err, ErrAttemptClosed) {
		t.Errorf("a save after the deadline and grace = %v, want ErrAttemptClosed", err)
	}
	got, err := f.svc.GetAttempt(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateSubmitted || got.FinishedAt == nil || !got.FinishedAt.Equal(*a.Deadline) {
		t.Errorf("overdue attempt = %s finished %v, want submitted at the deadline %v", got.State, got.FinishedAt, a.Deadline)
	}
	if got.Slots[1].Response != nil {
		t.Errorf("slot 2 = %s, want nothing written after the deadline", got.Slots[1].Response)
	}

	// The sweep closes an attempt nobody touches, at its deadline even when it runs late.
	b, err := f.svc.Start(f.as("learner2"), f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.set(start.Add(9 * time.Minute))
	if _, err := f.svc.CloseOverdue(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err = f.svc.GetAttempt(f.as("authorA"), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateSubmitted || !got.FinishedAt.Equal(*b.Deadline) {
		t.Errorf("swept attempt = %s finished %v, want submitted at its deadline %v", got.State, got.FinishedAt, b.Deadline)
	}
	// After the window closes nobody starts.
	f.clock.set(closes.Add(time.Second))
	if _, err := f.svc.Start(ctx, f.quizID, f.classID); !errors.Is(err, ErrQuizClosed) {
		t.Errorf("a start after the window = %v, want ErrQuizClosed", err)
	}
}

func TestEssaysWaitForTheClassInstructor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, qs := f.bank()
	f.setQuiz(QuizInput{PassMark: ptr(60.0)}, qs[TypeEssay].ID, qs[TypeTrueFalse].ID)
	ctx := f.as("learnerA1")
	a, err := f.svc.Start(ctx, f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SaveAnswer(ctx, a.ID, 1, 1, raw(`{"text":"<p>Pelayanan prima</p>"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SaveAnswer(ctx, a.ID, 2, 1, raw(`{"value":true}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Submit(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.GradeAttempt(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.GetAttempt(ctx, a.ID)
	if got.State != StateNeedsGrading || f.countOutbox(TypeAttemptGraded) != 0 {
		t.Fatalf("state = %s, want needs_grading and no graded event yet", got.State)
	}
	queue, err := f.svc.GradingQueue(f.as("authorA"), f.classID, f.quizID, qs[TypeEssay].ID, pageReq())
	if err != nil || len(queue.Items) != 1 || queue.Items[0].AttemptID != a.ID || queue.Items[0].Slot != 1 {
		t.Errorf("GradingQueue of the essay = %+v, %v, want this attempt's slot 1", queue.Items, err)
	}
	_, err = f.svc.GradingQueue(ctx, f.classID, f.quizID, uuid.Nil, pageReq())
	wantKind(t, "GradingQueue as the learner", err, apperr.KindForbidden)
	for actor, want := range map[string]int{"authorA": 1, "learnerA1": 1, "learner2": 0} {
		list, err := f.svc.ClassAttempts(f.as(actor), f.classID, f.quizID, AttemptFilter{}, pageReq())
		if err != nil || len(list.Items) != want {
			t.Errorf("ClassAttempts as %s = %d, %v, want %d", actor, len(list.Items), err, want)
		}
	}
	_, err = f.svc.GradeSlot(ctx, a.ID, 1, 5, "")
	wantKind(t, "GradeSlot by the learner", err, apperr.KindForbidden)
	_, err = f.svc.GradeSlot(f.as("authorA"), a.ID, 2, 1, "")
	wantKind(t, "GradeSlot of an auto-graded slot", err, apperr.KindConflict)
	_, err = f.svc.GradeSlot(f.as("authorA"), a.ID, 1, 6, "")
	wantKind(t, "GradeSlot above the slot's points", err, apperr.KindInvalid)
	g, err := f.svc.GradeSlot(f.as("authorA"), a.ID, 1, 4, "Baik")
	if err != nil {
		t.Fatal(err)
	}
	if g.State != StateGraded || *g.Score != 5 || !*g.Passed || f.countOutbox(TypeAttemptGraded) != 1 {
		t.Errorf("after manual grading = %s, score %v, want graded 5/6 passed with one event", g.State, g.Score)
	}
}

func TestRandomDrawsPickFromTheCategory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, _ := f.bank()
	ctx := f.as("authorA")
	cat, err := f.svc.CreateCategory(ctx, b.ID, nil, "Etika")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateCategory(ctx, b.ID, nil, "Etika"); !errors.Is(err, ErrCategoryExists) {
		t.Errorf("a duplicate category = %v, want ErrCategoryExists", err)
	}
	var inCat []uuid.UUID
	for i := 0; i < 5; i++ {
		c := fixtures()[TypeTrueFalse]
		q, err := f.svc.CreateQuestion(ctx, b.ID, QuestionInput{CategoryID: &cat.ID, Content: &c})
		if err != nil {
			t.Fatal(err)
		}
		inCat = append(inCat, q.ID)
	}
	if _, _, err := f.svc.SetQuiz(ctx, f.quizID, QuizInput{Sections: &[]Section{{Draw: &Draw{BankID: b.ID, CategoryID: &cat.ID, Count: 3, Points: ptr(2.0)}}}}); err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.Start(f.as("learnerA1"), f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Slots) != 3 || a.MaxScore != 6 {
		t.Errorf("drawn = %d slots, max %v, want 3 of 2 points", len(a.Slots), a.MaxScore)
	}
	// Another agency's author may not build a quiz from A's private bank.
	_, _, err = f.svc.SetQuiz(f.as("authorA"), f.quizID, QuizInput{Sections: &[]Section{{Draw: &Draw{BankID: uuid.Must(uuid.NewV7()), Tag: "x", Count: 1}}}})
	wantKind(t, "a draw from an unknown bank", err, apperr.KindInvalid)
	itemB, _ := f.addQuizItem("B")
	_, _, err = f.svc.SetQuiz(f.as("authorB"), itemB, QuizInput{Sections: &[]Section{{Questions: []SectionQuestion{{QuestionID: inCat[0]}}}}})
	wantKind(t, "a quiz of B with a question of A's private bank", err, apperr.KindInvalid)
	_, _, err = f.svc.SetQuiz(f.as("authorB"), f.quizID, QuizInput{})
	wantKind(t, "SetQuiz by another agency's author", err, apperr.KindNotFound)
}

func pageReq() page.Request { return page.Request{Limit: 50} }

func TestABurstOfStartsBeyondTheBoundIsTurnedAwayWithRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, qs := f.bank()
	f.setQuiz(QuizInput{}, qs[TypeTrueFalse].ID)
	// The one place is held, as by a start still building.
	f.svc.starts = shed.New(1, time.Millisecond)
	hold, _ := f.svc.starts.Enter(context.Background())
	_, err := f.svc.Start(f.as("learnerA1"), f.quizID, f.classID)
	var ae *apperr.Error
	if !errors.Is(err, ErrStartBusy) || !errors.As(err, &ae) || ae.RetryAfter <= 0 || ae.Kind.Status() != 503 {
		t.Fatalf("a start beyond the bound = %v, want 503 ErrStartBusy with Retry-After", err)
	}
	var n int64
	f.db.Conn(context.Background()).Table("quiz_attempts").Count(&n)
	if n != 0 {
		t.Errorf("attempts = %d, want none written", n)
	}
	hold()
	if _, err := f.svc.Start(f.as("learnerA1"), f.quizID, f.classID); err != nil {
		t.Errorf("a start with a free place = %v, want it started", err)
	}
}

func TestACrowdOfSubmitsBeyondTheBoundIsTurnedAwayWithRetryAfterAndARetryOfADoneSubmitIsNot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, a := f.startQuizOf(TypeTrueFalse)
	// The one place is held, as by another learner's submit.
	f.svc.submits = shed.New(1, time.Millisecond)
	hold, _ := f.svc.submits.Enter(context.Background())
	_, err := f.svc.Submit(ctx, a.ID)
	var ae *apperr.Error
	if !errors.Is(err, ErrSubmitBusy) || !errors.As(err, &ae) || ae.RetryAfter <= 0 || ae.Kind.Status() != 503 {
		t.Fatalf("a submit beyond the bound = %v, want 503 ErrSubmitBusy with Retry-After", err)
	}
	if got, _ := f.svc.GetAttempt(ctx, a.ID); got.State != StateInProgress || f.countOutbox(TypeGradeAttempt) != 0 {
		t.Errorf("after a submit turned away: state %s, %d grading jobs; want in progress and none", got.State, f.countOutbox(TypeGradeAttempt))
	}
	hold()
	if got, err := f.svc.Submit(ctx, a.ID); err != nil || got.State != StateSubmitted {
		t.Fatalf("a submit with a free place = %v, %v; want submitted", got.State, err)
	}
	hold, _ = f.svc.submits.Enter(context.Background())
	defer hold()
	if got, err := f.svc.Submit(ctx, a.ID); err != nil || got.State != StateSubmitted {
		t.Errorf("a retry of the done submit while the place is held = %v, %v; want the attempt as it is", got.State, err)
	}
}

func TestTheGradedEventCarriesTheQuizGradeByItsMethod(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, qs := f.bank()
	f.setQuiz(QuizInput{GradingMethod: ptr(GradeLast), AttemptsAllowed: ptr(0), PassMark: ptr(50.0)}, qs[TypeTrueFalse].ID)
	ctx := f.as("learnerA1")
	for _, answer := range []string{`{"value":true}`, `{"value":false}`} {
		a, err := f.svc.Start(ctx, f.quizID, f.classID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SaveAnswer(ctx, a.ID, 1, 1, raw(answer)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Submit(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.GradeAttempt(context.Background(), a.ID); err != nil {
			t.Fatal(err)
		}
	}
	var payloads []string
	f.db.Conn(context.Background()).Raw("SELECT convert_from(payload, 'UTF8') FROM outbox WHERE task_type = ? ORDER BY created_at", TypeAttemptGraded).Scan(&payloads)
	if len(payloads) != 2 {
		t.Fatalf("graded events = %d, want 2", len(payloads))
	}
	for i, want := range []bool{true, false} {
		var p AttemptGradedPayload
		if err := json.Unmarshal([]byte(payloads[i]), &p); err != nil {
			t.Fatal(err)
		}
		if p.QuizPassed != want || p.Passed != want {
			t.Errorf("event %d: passed %v, quiz_passed %v, want both %v (grading method last)", i+1, p.Passed, p.QuizPassed, want)
		}
	}
}
