package quiz

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

func TestSavesWrittenInOneBatchKeepTheNewestSeqOfEachSlot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, qs := f.bank()
	f.setQuiz(QuizInput{}, qs[TypeSingleChoice].ID, qs[TypeMultipleChoice].ID)
	first, err := f.svc.Start(f.as("learnerA1"), f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.svc.Start(f.newLearner(), f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	saved, err := f.svc.store.saveAnswers(ctx, []answerSave{
		{first.ID, 1, 3, []byte(`{"choice":"b"}`)},
		{first.ID, 1, 5, []byte(`{"choice":"a"}`)},
		{other.ID, 1, 1, []byte(`{"choice":"c"}`)},
		{first.ID, 1, 4, []byte(`{"choice":"c"}`)},
		{first.ID, 2, 1, []byte(`{"choices":["a"]}`)},
	}, f.svc.grace)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, true, false, true}; fmt.Sprint(saved) != fmt.Sprint(want) {
		t.Errorf("written = %v, want %v: of the three saves to slot 1 only seq 5", saved, want)
	}
	if got := f.slotSeqs(first.ID); fmt.Sprint(got) != "[5 1]" {
		t.Errorf("stored seqs = %v, want [5 1]", got)
	}

	if _, err := f.svc.Submit(f.as("learnerA1"), first.ID); err != nil {
		t.Fatal(err)
	}
	saved, err = f.svc.store.saveAnswers(ctx, []answerSave{
		{first.ID, 2, 2, []byte(`{"choices":["b"]}`)},
		{other.ID, 1, 1, []byte(`{"choice":"a"}`)},
		{other.ID, 2, 7, []byte(`{"choices":["b"]}`)},
	}, f.svc.grace)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, false, true}; fmt.Sprint(saved) != fmt.Sprint(want) {
		t.Errorf("written = %v, want %v: nothing to a submitted attempt, nothing of a seq already stored", saved, want)
	}
	if got := f.slotSeqs(first.ID); fmt.Sprint(got) != "[5 1]" {
		t.Errorf("stored seqs of the submitted attempt = %v, want [5 1]", got)
	}
}

func TestConcurrentSavesToOneSlotLeaveTheNewestSeqAndRefuseOnlyOlderOnes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, a := f.startQuizOf(TypeSingleChoice)
	const saves = 40
	errs := make([]error, saves+1)
	var wg sync.WaitGroup
	for seq := 1; seq <= saves; seq++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[seq] = f.svc.SaveAnswer(ctx, a.ID, 1, int64(seq), raw(`{"choice":"a"}`))
		}()
	}
	wg.Wait()
	if errs[saves] != nil {
		t.Errorf("the newest save = %v, want it written", errs[saves])
	}
	for seq, err := range errs[1:saves] {
		if err != nil && !errors.Is(err, ErrStaleSeq) {
			t.Errorf("save of seq %d = %v, want written or refused as stale", seq+1, err)
		}
	}
	if got := f.slotSeqs(a.ID); fmt.Sprint(got) != fmt.Sprint([]int64{saves}) {
		t.Errorf("stored seq = %v, want [%d]", got, saves)
	}
}

// slotSeqs returns the stored seq of each slot of an attempt, by slot.
func (f *fixture) slotSeqs(attemptID uuid.UUID) []int64 {
	f.t.Helper()
	var seqs []int64
	if err := f.db.Conn(context.Background()).Raw(`SELECT seq FROM quiz_attempt_slots WHERE attempt_id = ? ORDER BY slot`,
		attemptID).Scan(&seqs).Error; err != nil {
		f.t.Fatal(err)
	}
	return seqs
}

// Saves are written in batches: an answer the database would refuse must be
// refused alone, before it can fail the batch of other learners' saves.
func TestAnAnswerTheDatabaseCannotStoreIsRefusedBeforeItJoinsABatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, a := f.startQuizOf(TypeShortAnswer)
	for _, tc := range []struct {
		name     string
		response string
	}{
		{"a NUL", `{"text":"jawab\u0000an"}`},
		{"bytes that are not UTF-8", "{\"text\":\"jawab\xff\xfean\"}"},
	} {
		_, err := f.svc.SaveAnswer(ctx, a.ID, 1, 1, raw(tc.response))
		wantKind(t, "an answer with "+tc.name, err, apperr.KindInvalid)
	}
	if got := f.slotSeqs(a.ID); fmt.Sprint(got) != "[0]" {
		t.Errorf("stored seq = %v, want [0]: nothing written", got)
	}
	if _, err := f.svc.SaveAnswer(ctx, a.ID, 1, 1, raw(`{"text":"jawaban"}`)); err != nil {
		t.Errorf("a plain answer after them = %v, want it saved", err)
	}
}
