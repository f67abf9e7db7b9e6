package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/gradebook"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/quiz"
)

// gradedCourse is a published course of BPSDM Jawa Barat with a quiz and an
// assignment, and a class of it whose gradebook weighs both equally with a
// pass mark of 60.
type gradedCourse struct {
	quiz, assignment, class string
}

func (w *world) gradedCourse(t *testing.T) gradedCourse {
	t.Helper()
	instructor := w.as[mInstructor]
	var bank, course struct {
		ID          string     `json:"id"`
		OpenVersion idResponse `json:"open_version"`
	}
	w.must(t, instructor, "POST", "/api/v1/question-banks", map[string]any{"org_id": w.bpsdmJabar, "name": "Bank Proyek"}, &bank, 201)
	question := w.newQuestion(t, bank.ID)
	w.must(t, instructor, "POST", "/api/v1/courses", map[string]any{
		"org_id": w.bpsdmJabar, "code": "PROYEK-JABAR", "sharing": "listed", "shared_org_ids": []string{w.provJabar},
		"title": "Proyek Digitalisasi Layanan", "summary": "Kuis dan proyek.", "language": "id",
		"objectives": []string{"Mendigitalkan satu layanan"}, "competency_tags": []string{"transformasi-digital"},
		"delivery_mode": "online", "jp_credit": 6, "level": "basic",
	}, &course, 201)
	version := course.OpenVersion.ID
	var module, lesson, assignment idResponse
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+version+"/modules", map[string]any{"title": "Proyek"}, &module, 201)
	w.must(t, instructor, "POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "Kuis dan proyek"}, &lesson, 201)
	g := gradedCourse{quiz: w.newQuizItem(t, lesson.ID)}
	w.must(t, instructor, "POST", "/api/v1/lessons/"+lesson.ID+"/items", map[string]any{"kind": "assignment", "title": "Proyek akhir"}, &assignment, 201)
	g.assignment = assignment.ID
	w.must(t, instructor, "PUT", "/api/v1/quizzes/"+g.quiz, map[string]any{"attempts_allowed": 0,
		"sections": []map[string]any{{"questions": []map[string]any{{"question_id": question}}}}}, nil, 201)
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+version+"/submit", nil, nil, 200)
	w.must(t, w.as[mAdmin], "POST", "/api/v1/course-versions/"+version+"/reviews", approval, nil, 201)
	var class idResponse
	w.must(t, instructor, "POST", "/api/v1/classes", map[string]any{
		"version_id": version, "org_id": w.bpsdmJabar, "code": fmt.Sprintf("PROYEK-%d", w.seq()),
		"starts_on": "2026-01-01", "ends_on": "2030-12-31", "capacity": 50, "policy": "open", "region_code": "32",
	}, &class, 201)
	g.class = class.ID
	w.must(t, instructor, "PUT", "/api/v1/classes/"+g.class+"/gradebook/settings", map[string]any{"pass_mark": 60, "categories": []map[string]any{
		{"key": "kuis", "name": "Kuis", "weight": 50, "items": []string{g.quiz}},
		{"key": "proyek", "name": "Proyek", "weight": 50, "items": []string{g.assignment}},
	}}, nil, 200)
	return g
}

// takeQuiz enrols a learner in the class and has them answer the quiz's
// true/false question and submit; it returns their enrolment.
func (w *world) takeQuiz(t *testing.T, learner *apiClient, g gradedCourse, answer bool) string {
	t.Helper()
	var enrolment, attempt idResponse
	w.must(t, learner, "POST", "/api/v1/classes/"+g.class+"/enrolments", nil, &enrolment, 201)
	w.must(t, learner, "POST", "/api/v1/quizzes/"+g.quiz+"/attempts", map[string]any{"class_id": g.class}, &attempt, 201)
	w.must(t, learner, "PUT", "/api/v1/attempts/"+attempt.ID+"/answers/1", map[string]any{"seq": 1, "response": map[string]any{"value": answer}}, nil, 200)
	w.must(t, learner, "POST", "/api/v1/attempts/"+attempt.ID+"/submit", nil, nil, 200)
	return enrolment.ID
}

type gradesBody struct {
	FinalPercent *float64 `json:"final_percent"`
	Passed       bool     `json:"passed"`
	Items        []struct {
		Percent *float64 `json:"percent"`
	} `json:"items"`
}

// A quiz graded by the worker and an assignment grade released as the
// assignment slice announces it drive the gradebook; its pass completes one
// learner's enrolment and credits the JP, its fail keeps the other's open.
func TestTheGradebookDecidesCompletionFromAQuizGradedByTheWorkerAndAnAssignmentGrade(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range w.as {
		c.t = t
	}
	g := w.gradedCourse(t)
	budi := w.as[mLearner]
	siti := w.createStaff(t, "siti@bandung.go.id", "199505052020122005", w.diskominfo, "learner")
	budiEnrolment := w.takeQuiz(t, budi, g, true)  // quiz 100
	sitiEnrolment := w.takeQuiz(t, siti, g, false) // quiz 0

	var me struct {
		User idResponse `json:"user"`
	}
	w.must(t, siti, "GET", "/api/v1/me", nil, &me, 200)
	sitiID := me.User.ID
	ctx := context.Background()
	for _, grade := range []struct {
		user   string
		points float64
	}{{w.budi, 16}, {sitiID, 18}} { // 80% and 90%
		if _, err := w.srv.App.outbox.Add(ctx, queue.Job{Type: gradebook.EventAssignmentGraded, Queue: queue.Default, Payload: map[string]any{
			"submission_id": uuid.NewString(), "assignment_id": g.assignment, "class_id": g.class, "user_id": grade.user,
			"points": grade.points, "max_points": 20, "released_at": time.Now().UTC().Format(time.RFC3339)}}); err != nil {
			t.Fatal(err)
		}
	}

	workerCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.srv.App.RunWorker(workerCtx) }()
	t.Cleanup(func() { stop(); <-done })
	deadline := time.Now().Add(30 * time.Second)
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("30 s after the grades: %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	var enrolment struct {
		Status string `json:"status"`
	}
	waitFor("Budi's enrolment is not completed", func() bool {
		w.must(t, budi, "GET", "/api/v1/enrolments/"+budiEnrolment, nil, &enrolment, 200)
		return enrolment.Status == "completed"
	})
	var budiGrades gradesBody
	w.must(t, budi, "GET", "/api/v1/me/classes/"+g.class+"/grades", nil, &budiGrades, 200)
	if !budiGrades.Passed || budiGrades.FinalPercent == nil || *budiGrades.FinalPercent != 90 {
		t.Errorf("Budi's grades = %+v, want passed at 90 (quiz 100, assignment 80)", budiGrades)
	}
	var jp struct {
		JP float64 `json:"jp"`
	}
	w.must(t, budi, "GET", "/api/v1/me/jp", nil, &jp, 200)
	if jp.JP != 6 {
		t.Errorf("Budi's JP this year = %v, want the class's 6", jp.JP)
	}

	var sitiGrades gradesBody
	waitFor("Siti's row does not hold both grades", func() bool {
		w.must(t, siti, "GET", "/api/v1/me/classes/"+g.class+"/grades", nil, &sitiGrades, 200)
		return len(sitiGrades.Items) == 2 && sitiGrades.Items[0].Percent != nil && sitiGrades.Items[1].Percent != nil
	})
	if sitiGrades.Passed || sitiGrades.FinalPercent == nil || *sitiGrades.FinalPercent != 45 {
		t.Errorf("Siti's grades = %+v, want failed at 45 (quiz 0, assignment 90)", sitiGrades)
	}
	waitFor("the outbox still holds Siti's result for delivery", func() bool {
		var pending int64
		w.srv.Deps.DB.Conn(ctx).Raw(`SELECT count(*) FROM outbox o WHERE o.task_type = ? AND NOT EXISTS
			(SELECT 1 FROM outbox_deliveries d WHERE d.event_id = o.id AND d.done_at IS NOT NULL)`, gradebook.TypeResultChanged).Scan(&pending)
		return pending == 0
	})
	w.must(t, siti, "GET", "/api/v1/enrolments/"+sitiEnrolment, nil, &enrolment, 200)
	if enrolment.Status != "active" {
		t.Errorf("Siti's enrolment with a failing final grade = %s, want active", enrolment.Status)
	}
	w.must(t, siti, "GET", "/api/v1/me/jp", nil, &jp, 200)
	if jp.JP != 0 {
		t.Errorf("Siti's JP = %v, want none", jp.JP)
	}

	// The instructor's view lists both, the failing one on its own.
	var page struct {
		Items []struct {
			UserID string `json:"user_id"`
		} `json:"items"`
	}
	w.must(t, w.as[mInstructor], "GET", "/api/v1/classes/"+g.class+"/gradebook?passed=false", nil, &page, 200)
	if len(page.Items) != 1 || page.Items[0].UserID != sitiID {
		t.Errorf("failing rows = %+v, want Siti's alone", page.Items)
	}
}

func TestTheGradebookAndItsNeighboursNameTheirEventsAlike(t *testing.T) {
	pairs := []struct{ announced, consumed string }{
		{quiz.TypeAttemptGraded, gradebook.EventQuizAttemptGraded},
		{delivery.TypeAttendanceChanged, gradebook.EventAttendanceChanged},
		{gradebook.TypeResultChanged, delivery.EventGradebookResultChanged},
	}
	for _, p := range pairs {
		if p.announced != p.consumed {
			t.Errorf("announced as %q, consumed as %q", p.announced, p.consumed)
		}
	}
}

func TestBadGradebookInputIsA422AndWritesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range w.as {
		c.t = t
	}
	q := w.quizzes(t)
	instructor := w.as[mInstructor]
	base := "/api/v1/classes/" + q.class + "/gradebook"
	category := func(weight float64, items ...string) map[string]any {
		return map[string]any{"key": fmt.Sprintf("k%v", weight), "name": "Kuis", "weight": weight, "items": items}
	}
	bad := []struct {
		name, method, path string
		body               any
	}{
		{"weights that do not add up", "PUT", base + "/settings", map[string]any{"pass_mark": 60, "categories": []any{category(90, q.item)}}},
		{"a negative weight", "PUT", base + "/settings", map[string]any{"pass_mark": 60, "categories": []any{category(-10, q.item), category(110)}}},
		{"an unknown item", "PUT", base + "/settings", map[string]any{"pass_mark": 60, "categories": []any{category(100, q.item, uuid.NewString())}}},
		{"no pass mark", "PUT", base + "/settings", map[string]any{"categories": []any{category(100, q.item)}}},
		{"an override without a reason", "POST", base + "/overrides", map[string]any{"user_id": w.budi, "item": "final", "percent": 80, "reason": ""}},
		{"an override of an unknown item", "POST", base + "/overrides", map[string]any{"user_id": w.budi, "item": "kuis-x", "percent": 80, "reason": "Remedial"}},
		{"an export to PDF", "POST", base + "/exports", map[string]any{"format": "pdf"}},
	}
	for _, b := range bad {
		w.must(t, instructor, b.method, b.path, b.body, nil, 422)
	}
	var written int64
	w.srv.Deps.DB.Conn(context.Background()).Raw(`SELECT (SELECT count(*) FROM gradebook_settings) + (SELECT count(*) FROM gradebook_overrides)
		+ (SELECT count(*) FROM jobs WHERE kind = ?) + (SELECT count(*) FROM audit_log WHERE action LIKE 'gradebook.%')`, gradebook.JobKindExport).Scan(&written)
	if written != 0 {
		t.Errorf("rows written by refused requests = %d, want 0", written)
	}
}
