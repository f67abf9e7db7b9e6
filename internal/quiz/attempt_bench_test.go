package quiz

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// benchQuiz gives the fixture's quiz the 20 questions of benchAttempt and
// returns their answers by slot (options in the author's order).
func benchQuiz(b *testing.B, f *fixture) [][]byte {
	b.Helper()
	ctx := f.as("authorA")
	bank, err := f.svc.CreateBank(ctx, BankInput{OrgID: f.org["A"], Name: ptr("Bank Ujian")})
	if err != nil {
		b.Fatal(err)
	}
	qs, answers := benchAttempt()
	ids := make([]uuid.UUID, len(qs))
	for i := range qs {
		c := qs[i]
		q, err := f.svc.CreateQuestion(ctx, bank.ID, QuestionInput{Content: &c})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = q.ID
	}
	f.setQuiz(QuizInput{AttemptsAllowed: ptr(1), ShuffleOptions: ptr(true)}, ids...)
	return answers
}

// runParallel runs op(i) for i in [0, n) on workers goroutines.
func runParallel(b *testing.B, n, workers int, op func(i int) error) {
	b.Helper()
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for i := range next {
				if err := op(i); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartAttempt starts a 20-question attempt for a learner of the
// class, eight at once (under the bound of starts built at once), as the
// start burst of an exam does. One op is one start. The class's access is
// the test's in-memory stand-in, so the figures are the quiz's own part.
//
//	go test -run XXX -bench StartAttempt -benchtime 2000x -count 3 ./internal/quiz/
func BenchmarkStartAttempt(b *testing.B) {
	f := newFixture(b)
	benchQuiz(b, f)
	learners := make([]context.Context, b.N)
	for i := range learners {
		learners[i] = f.newLearner()
	}
	f.db.SQL().SetMaxIdleConns(10)
	meter := startCPUMeter(b, f.db)
	b.ResetTimer()
	runParallel(b, b.N, 8, func(i int) error {
		_, err := f.svc.Start(learners[i], f.quizID, f.classID)
		return err
	})
	b.StopTimer()
	meter.report(b, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "starts/s")
}

// BenchmarkSaveAnswer saves answers closed-loop, ten learners at once, each
// to their own attempt with a rising seq, as the exam's saves do. One op is
// one acknowledged save.
//
//	go test -run XXX -bench SaveAnswer -benchtime 20000x -count 3 ./internal/quiz/
func BenchmarkSaveAnswer(b *testing.B) {
	f := newFixture(b)
	answers := benchQuiz(b, f)
	const workers = 10
	type sitting struct {
		ctx     context.Context
		attempt AttemptView
	}
	sittings := make([]sitting, workers)
	for w := range sittings {
		ctx := f.newLearner()
		a, err := f.svc.Start(ctx, f.quizID, f.classID)
		if err != nil {
			b.Fatal(err)
		}
		sittings[w] = sitting{ctx, a}
	}
	// The answers of the attempt's own option order do not matter for a
	// save; what is saved must only have the slot's shape.
	byType := map[Type][]byte{}
	qs, _ := benchAttempt()
	for i, q := range qs {
		byType[q.Type] = answers[i]
	}
	f.db.SQL().SetMaxIdleConns(workers + 2)
	meter := startCPUMeter(b, f.db)
	b.ResetTimer()
	// Each learner saves their share in order, so every seq is newer than
	// the one stored.
	runParallel(b, workers, workers, func(w int) error {
		s := sittings[w]
		for i := w; i < b.N; i += workers {
			sl := s.attempt.Slots[(i/workers)%len(s.attempt.Slots)]
			if _, err := f.svc.SaveAnswer(s.ctx, s.attempt.ID, sl.Slot, int64(i+1), byType[sl.Type]); err != nil {
				return err
			}
		}
		return nil
	})
	b.StopTimer()
	meter.report(b, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}
