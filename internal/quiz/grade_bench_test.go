package quiz

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/queue"
)

// BenchmarkGradeAttemptInPostgres grades submitted 20-question attempts as
// the worker does: tasks of GradeTaskSize grading jobs, ten at once, each
// locking its attempts, reading their slots, grading, writing the scores
// and the grades, recording the graded events and the jobs done, in one
// transaction. One op is one attempt.
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
	for range b.N {
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
	}
	// As the worker grades a backlog: tasks of GradeTaskSize jobs, as many
	// at once as its default concurrency (queue.concurrency: 10), on a pool
	// that keeps its connections as the shipped configuration does, so no
	// op pays for a new backend.
	f.db.SQL().SetMaxIdleConns(20)
	jobs := gradingJobs(b, f)
	tasks := make(chan []queue.BatchedJob)
	errs := make(chan error, 10)
	meter := startCPUMeter(b, f.db)
	b.ResetTimer()
	for w := 0; w < 10; w++ {
		go func() {
			var first error
			for task := range tasks {
				if err := f.svc.HandleGradeAttempts(context.Background(), task); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for from := 0; from < len(jobs); from += GradeTaskSize {
		tasks <- jobs[from:min(from+GradeTaskSize, len(jobs))]
	}
	close(tasks)
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
