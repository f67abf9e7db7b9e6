package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/quiz"
)

// attemptBody is the part of an attempt the exam test reads.
type attemptBody struct {
	ID        string   `json:"id"`
	State     string   `json:"state"`
	Score     *float64 `json:"score"`
	MaxScore  *float64 `json:"max_score"`
	Questions []struct {
		Slot    int            `json:"slot"`
		Type    string         `json:"type"`
		Seq     int64          `json:"seq"`
		Score   *float64       `json:"score"`
		Key     map[string]any `json:"key"`
		Options []struct {
			ID string `json:"id"`
		} `json:"options"`
	} `json:"questions"`
}

func TestDeliveryNamesTheQuizGradedEventAsQuizDoes(t *testing.T) {
	if quiz.TypeAttemptGraded != delivery.EventQuizAttemptGraded {
		t.Errorf("quiz announces %q, delivery consumes %q", quiz.TypeAttemptGraded, delivery.EventQuizAttemptGraded)
	}
}

func TestAnExamAttemptIsSavedSubmittedAndGradedByTheWorker(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range w.as {
		c.t = t
	}
	q := w.quizzes(t)
	budi := w.as[mLearner]
	var a attemptBody
	w.must(t, budi, "GET", "/api/v1/attempts/"+q.attempt, nil, &a, 200)
	if a.State != quiz.StateInProgress || len(a.Questions) != 1 || a.Questions[0].Key != nil || a.Score != nil {
		t.Fatalf("attempt = %+v, want one question in progress with no key and no score", a)
	}
	// Saves: the newer seq wins; an older one is 409 with the stored seq.
	w.must(t, budi, "PUT", "/api/v1/attempts/"+q.attempt+"/answers/1", map[string]any{"seq": 1000, "response": map[string]any{"value": false}}, nil, 200)
	w.must(t, budi, "PUT", "/api/v1/attempts/"+q.attempt+"/answers/1", map[string]any{"seq": 1001, "response": map[string]any{"value": true}}, nil, 200)
	req, _ := http.NewRequest("PUT", w.srv.URL+"/api/v1/attempts/"+q.attempt+"/answers/1", strings.NewReader(`{"seq":999,"response":{"value":false}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+budi.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var stale struct {
		Seq int64 `json:"seq"`
	}
	err = json.NewDecoder(resp.Body).Decode(&stale)
	resp.Body.Close()
	if resp.StatusCode != 409 || err != nil || stale.Seq != 1001 {
		t.Errorf("a stale save = %d with seq %d (%v), want 409 with the stored seq 1001", resp.StatusCode, stale.Seq, err)
	}
	w.must(t, budi, "PUT", "/api/v1/attempts/"+q.attempt+"/answers/1", map[string]any{"seq": 1002, "response": map[string]any{"choice": "x"}}, nil, 422)
	w.must(t, budi, "PUT", "/api/v1/attempts/"+q.attempt+"/answers/2", map[string]any{"seq": 1002, "response": map[string]any{"value": true}}, nil, 404)
	for i := 0; i < 2; i++ {
		w.must(t, budi, "POST", "/api/v1/attempts/"+q.attempt+"/submit", nil, &a, 200)
		if a.State != quiz.StateSubmitted {
			t.Fatalf("submit #%d = %s, want submitted", i+1, a.State)
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.srv.App.RunWorker(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for a.State != quiz.StateGraded {
		if time.Now().After(deadline) {
			t.Fatalf("attempt still %s 20 s after submit, want graded by the worker", a.State)
		}
		time.Sleep(100 * time.Millisecond)
		w.must(t, budi, "GET", "/api/v1/attempts/"+q.attempt, nil, &a, 200)
	}
	if a.Score == nil || *a.Score != 1 || a.Questions[0].Seq != 1001 || a.Questions[0].Score == nil || *a.Questions[0].Score != 1 {
		t.Errorf("graded attempt = score %v, slot %+v, want 1 with seq 1001 and slot score 1", a.Score, a.Questions[0])
	}
	// The gradebook (without settings: every quiz passed by its pass mark)
	// passes Budi, and delivery completes his enrolment on its result.
	for {
		var e struct {
			Status string `json:"status"`
		}
		w.must(t, budi, "GET", "/api/v1/enrolments/"+q.enrolment, nil, &e, 200)
		if e.Status == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("enrolment %s after the quiz was passed, want completed", e.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var n int64
	if err := w.srv.Deps.DB.Conn(context.Background()).Table("outbox").Where("task_type = ?", quiz.TypeAttemptGraded).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("attempt-graded events = %d, %v, want 1", n, err)
	}
	// The grading job records itself done with the grade (it marks its own
	// done), so the relay does not send it again.
	var job struct{ Done, GaveUp bool }
	if err := w.srv.Deps.DB.Conn(context.Background()).Raw(`SELECT d.done_at IS NOT NULL AS done, d.gave_up_at IS NOT NULL AS gave_up
		FROM outbox_deliveries d JOIN outbox o ON o.id = d.event_id WHERE o.task_type = ?`, quiz.TypeGradeAttempt).Scan(&job).Error; err != nil || !job.Done || job.GaveUp {
		t.Errorf("the grading job's delivery = %+v, %v; want done", job, err)
	}
}

func TestANewDraftOfACourseKeepsItsQuizzes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range w.as {
		c.t = t
	}
	q := w.quizzes(t)
	instructor := w.as[mInstructor]
	var draft idResponse
	w.must(t, instructor, "POST", "/api/v1/courses/"+q.course+"/drafts", nil, &draft, 201)
	var v struct {
		Modules []struct {
			Lessons []struct {
				Items []struct {
					ID   string `json:"id"`
					Kind string `json:"kind"`
				} `json:"items"`
			} `json:"lessons"`
		} `json:"modules"`
	}
	w.must(t, instructor, "GET", "/api/v1/course-versions/"+draft.ID, nil, &v, 200)
	var item string
	for _, m := range v.Modules {
		for _, l := range m.Lessons {
			for _, it := range l.Items {
				if it.Kind == "quiz" {
					item = it.ID
				}
			}
		}
	}
	if item == "" || item == q.item {
		t.Fatalf("the draft's quiz item = %q, want a copy of %s", item, q.item)
	}
	var copied struct {
		VersionID string `json:"version_id"`
		Sections  []struct {
			Questions []struct {
				QuestionID string `json:"question_id"`
			} `json:"questions"`
		} `json:"sections"`
	}
	w.must(t, instructor, "GET", "/api/v1/quizzes/"+item, nil, &copied, 200)
	if copied.VersionID != draft.ID || len(copied.Sections) != 1 || copied.Sections[0].Questions[0].QuestionID != q.question {
		t.Errorf("the draft's quiz = %+v, want the published quiz's sections in version %s", copied, draft.ID)
	}
	// The copy changes; the published quiz does not.
	w.must(t, instructor, "PUT", "/api/v1/quizzes/"+item, map[string]any{"attempts_allowed": 3}, nil, 200)
	var published struct {
		AttemptsAllowed int `json:"attempts_allowed"`
	}
	w.must(t, instructor, "GET", "/api/v1/quizzes/"+q.item, nil, &published, 200)
	if published.AttemptsAllowed != 0 {
		t.Errorf("the published quiz allows %d attempts after its draft changed, want 0 as before", published.AttemptsAllowed)
	}
}
