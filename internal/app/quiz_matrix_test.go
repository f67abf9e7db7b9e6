package app

import (
	"fmt"
	"sync"
	"testing"
)

// quizWorld is what the tenancy matrix needs of quizzes: a private question
// bank of BPSDM Jawa Barat with a true/false question, a published course
// shared with the province whose quiz draws on it, a class of it where Budi
// is enrolled, and Budi's attempt in progress.
type quizWorld struct {
	bank, question, course, version, item, class, attempt string
	enrolment                                             string // Budi's in the class
}

var trueFalseQuestion = map[string]any{"type": "true_false", "stem": "<p>Maklumat pelayanan wajib dipajang.</p>", "correct": true}

var quizWorldOnce sync.Mutex

// quizzes builds the quiz world on first use.
func (w *world) quizzes(t *testing.T) *quizWorld {
	t.Helper()
	quizWorldOnce.Lock()
	defer quizWorldOnce.Unlock()
	if w.quiz != nil {
		return w.quiz
	}
	instructor := w.as[mInstructor]
	q := &quizWorld{}
	var bank idResponse
	w.must(t, instructor, "POST", "/api/v1/question-banks", map[string]any{"org_id": w.bpsdmJabar, "name": "Bank Pelayanan Jawa Barat"}, &bank, 201)
	q.bank = bank.ID
	q.question = w.newQuestion(t, q.bank)
	var course struct {
		ID          string     `json:"id"`
		OpenVersion idResponse `json:"open_version"`
	}
	w.must(t, instructor, "POST", "/api/v1/courses", map[string]any{
		"org_id": w.bpsdmJabar, "code": "KUIS-JABAR", "sharing": "listed", "shared_org_ids": []string{w.provJabar},
		"title": "Ujian Pelayanan Publik", "summary": "Ujian standar pelayanan.", "language": "id",
		"objectives": []string{"Lulus ujian pelayanan"}, "competency_tags": []string{"pelayanan-publik"},
		"delivery_mode": "online", "jp_credit": 2, "level": "basic",
	}, &course, 201)
	q.course, q.version = course.ID, course.OpenVersion.ID
	var module, lesson idResponse
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+q.version+"/modules", map[string]any{"title": "Ujian"}, &module, 201)
	w.must(t, instructor, "POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "Ujian akhir"}, &lesson, 201)
	q.item = w.newQuizItem(t, lesson.ID)
	w.must(t, instructor, "PUT", "/api/v1/quizzes/"+q.item, map[string]any{"attempts_allowed": 0,
		"sections": []map[string]any{{"questions": []map[string]any{{"question_id": q.question}}}}}, nil, 201)
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+q.version+"/submit", nil, nil, 200)
	w.must(t, w.as[mAdmin], "POST", "/api/v1/course-versions/"+q.version+"/reviews", approval, nil, 201)
	var class idResponse
	w.must(t, instructor, "POST", "/api/v1/classes", map[string]any{
		"version_id": q.version, "org_id": w.bpsdmJabar, "code": fmt.Sprintf("UJI-%d", w.seq()),
		"starts_on": "2026-01-01", "ends_on": "2030-12-31", "capacity": 50, "policy": "open", "region_code": "32",
	}, &class, 201)
	q.class = class.ID
	var enrolment idResponse
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+q.class+"/enrolments", nil, &enrolment, 201)
	q.enrolment = enrolment.ID
	w.quiz = q
	q.attempt = w.startAttemptLocked(t)
	return q
}

// questionFile is a GIFT file for a question import: the actor's own upload
// when they may upload one (an author), the instructor's otherwise.
func (w *world) questionFile(t *testing.T, actor string) string {
	t.Helper()
	uploader := mInstructor
	if actor == mAdmin {
		uploader = mAdmin
	}
	return uploadFile(t, w.as[uploader], "question_import", w.bpsdmJabar, "soal.gift.txt", "text/plain",
		[]byte("::Maklumat:: Maklumat pelayanan wajib dipajang. {T}\n"))
}

// newQuestion adds a true/false question to a bank.
func (w *world) newQuestion(t *testing.T, bank string) string {
	t.Helper()
	var q idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/question-banks/"+bank+"/questions", trueFalseQuestion, &q, 201)
	return q.ID
}

// newQuizItem adds a quiz item to a draft's lesson.
func (w *world) newQuizItem(t *testing.T, lesson string) string {
	t.Helper()
	var it idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/lessons/"+lesson+"/items", map[string]any{"kind": "quiz", "title": "Kuis"}, &it, 201)
	return it.ID
}

// startAttempt is Budi's attempt in progress: a new one, or the one he has.
func (w *world) startAttempt(t *testing.T) string {
	t.Helper()
	w.quizzes(t)
	quizWorldOnce.Lock()
	defer quizWorldOnce.Unlock()
	return w.startAttemptLocked(t)
}

func (w *world) startAttemptLocked(t *testing.T) string {
	t.Helper()
	c := *w.as[mLearner]
	c.t = t
	var a idResponse
	if got := c.do("POST", "/api/v1/quizzes/"+w.quiz.item+"/attempts", map[string]any{"class_id": w.quiz.class}, &a); got != 201 && got != 200 {
		t.Fatalf("start Budi's attempt = %d, want 201 or 200", got)
	}
	return a.ID
}

func (w *world) quizGet(path func(*quizWorld) string) func(*testing.T, string) call {
	return func(t *testing.T, _ string) call { return call{method: "GET", path: path(w.quizzes(t))} }
}

// quizSend sends body (for a start, the class) to the path of the quiz world.
func (w *world) quizSend(method string, path func(*quizWorld) string, body any) func(*testing.T, string) call {
	return func(t *testing.T, _ string) call {
		q := w.quizzes(t)
		if body == nil {
			body = map[string]any{"class_id": q.class}
		}
		return call{method: method, path: path(q), body: body}
	}
}
