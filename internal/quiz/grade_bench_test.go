package quiz

import (
	"context"
	"testing"

	"github.com/google/uuid"
)

// BenchmarkGradeAttemptInPostgres grades submitted 20-question attempts as
// the worker does: lock the attempt, read its slots, grade, write the scores
// and the grade in one statement, record the graded event, in one
// transaction each, ten at once as a worker does. One op is one attempt.
//
//	go test -run XXX -bench GradeAttemptInPostgres -benchtime 300x ./internal/quiz/
func BenchmarkGradeAttemptInPostgres(b *testing.B) {
	f := newFixture(b)
	ctx := f.as("authorA")
	bank, err := f.svc.CreateBank(ctx, BankInput{OrgID: f.org["A"], Name: ptr("Bank Ujian")})
	if err != nil {
		b.Fatal(err)
	}
	qs, answers := benchAttempt()
	var ids []uuid.UUID
	for i := range qs {
		c := qs[i]
		q, err := f.svc.CreateQuestion(ctx, bank.ID, QuestionInput{Content: &c})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, q.ID)
	}
	f.setQuiz(QuizInput{AttemptsAllowed: ptr(0), ShuffleOptions: ptr(false)}, ids...)
	// One attempt per learner, as in an exam: a learner's quiz grade reads
	// their graded attempts, so one learner with b.N attempts would make the
	// op's cost grow with b.N.
	attempts := make([]uuid.UUID, b.N)
	for i := range attempts {
		learner := f.newLearner()
		a, err := f.svc.Start(learner, f.quizID, f.classID)
		if err != nil {
			b.Fatal(err)
		}
		// The last two slots left blank, as some always are in an exam.
		for j := range a.Slots[:len(a.Slots)-2] {
			if _, err := f.svc.SaveAnswer(learner, a.ID, j+1, 1, answers[j]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := f.svc.Submit(learner, a.ID); err != nil {
			b.Fatal(err)
		}
		attempts[i] = a.ID
	}
	// As many at once as a worker's default concurrency (queue.concurrency:
	// 10), on a pool that keeps its connections as the shipped configuration
	// does, so no op pays for a new backend.
	f.db.SQL().SetMaxIdleConns(20)
	work := make(chan uuid.UUID)
	errs := make(chan error, 10)
	meter := startCPUMeter(b, f.db)
	b.ResetTimer()
	for w := 0; w < 10; w++ {
		go func() {
			var first error
			for id := range work {
				if err := f.svc.GradeAttempt(context.Background(), id); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for _, id := range attempts {
		work <- id
	}
	close(work)
	for w := 0; w < 10; w++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	meter.report(b, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "attempts/s")
	var graded int64
	f.db.Conn(context.Background()).Table("quiz_attempts").Where("state = 'graded'").Count(&graded)
	if int(graded) != b.N {
		b.Fatalf("graded %d of %d attempts", graded, b.N)
	}
}
