package quiz

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
)

func TestStatisticsGiveFacilityDiscriminationAndDistributions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	jobs := job.NewService(f.db, nil)
	f.svc.SetJobs(jobs)
	_, qs := f.bank()
	tf, sc := qs[TypeTrueFalse], qs[TypeSingleChoice]
	f.setQuiz(QuizInput{AttemptsAllowed: ptr(0)}, tf.ID, sc.ID)
	ctx := f.as("learnerA1")
	for _, answers := range [][2]string{
		{`{"value":true}`, `{"choice":"a"}`}, {`{"value":true}`, `{"choice":"b"}`},
		{`{"value":false}`, `{"choice":"a"}`}, {`{"value":false}`, `{"choice":"c"}`},
	} {
		a, err := f.svc.Start(ctx, f.quizID, f.classID)
		if err != nil {
			t.Fatal(err)
		}
		for i, sl := range a.Slots {
			answer := answers[0]
			if sl.Type == TypeSingleChoice {
				answer = answers[1]
			}
			if _, err := f.svc.SaveAnswer(ctx, a.ID, i+1, 1, raw(answer)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Submit(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.GradeAttempt(context.Background(), a.ID); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.StartStatistics(f.as("learnerA1"), f.quizID)
	wantKind(t, "StartStatistics as a learner", err, apperr.KindNotFound)
	j, err := f.svc.StartStatistics(f.as("authorA"), f.quizID)
	if err != nil {
		t.Fatal(err)
	}
	var p StatisticsPayload
	f.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ?", TypeStatistics).Row().Scan(&rawBytes{&p})
	st, err := f.svc.ComputeStatistics(context.Background(), f.quizID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Attempts != 4 || math.Abs(st.MeanPercent-(100+100.0/3+200.0/3+100.0/3)/4) > 1e-3 {
		t.Errorf("attempts %d, mean %v, want 4 with mean 58.333", st.Attempts, st.MeanPercent)
	}
	if st.ScoreDistribution[3].Count != 2 || st.ScoreDistribution[6].Count != 1 || st.ScoreDistribution[9].Count != 1 {
		t.Errorf("score distribution = %+v, want 2 in 30–40, 1 in 60–70, 1 in 90–100", st.ScoreDistribution)
	}
	for _, q := range st.Questions {
		switch q.QuestionID {
		case tf.ID:
			if q.Facility == nil || *q.Facility != 0.5 || q.Discrimination == nil || math.Abs(*q.Discrimination+0.302) > 1e-3 {
				t.Errorf("true/false: facility %v, discrimination %v, want 0.5 and -0.302", q.Facility, q.Discrimination)
			}
			if q.Options["true"] != 2 || q.Options["false"] != 2 {
				t.Errorf("true/false options = %v, want 2 and 2", q.Options)
			}
		case sc.ID:
			if q.Facility == nil || *q.Facility != 0.625 {
				t.Errorf("single choice facility = %v, want 0.625", q.Facility)
			}
			if q.Options["a"] != 2 || q.Options["b"] != 1 || q.Options["c"] != 1 {
				t.Errorf("single choice options = %v, want a 2, b 1, c 1", q.Options)
			}
		}
	}
	if len(st.Questions) != 2 {
		t.Errorf("questions = %d, want 2", len(st.Questions))
	}
	// The job runs the same computation and keeps it as its result.
	if p.JobID != j.ID {
		t.Fatalf("outbox job names %s, want %s", p.JobID, j.ID)
	}
	body, _ := json.Marshal(p)
	if err := f.svc.HandleStatistics(context.Background(), asynqTask(TypeStatistics, body)); err != nil {
		t.Fatal(err)
	}
	done, err := jobs.Get(f.as("authorA"), j.ID)
	if err != nil || done.Status != job.StatusSucceeded || len(done.Result) == 0 {
		t.Errorf("job = %s %s, %v, want succeeded with a result", done.Status, done.Result, err)
	}
}
