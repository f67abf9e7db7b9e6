package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// examCorpu is an in-memory stand-in for the Corpu API (internal/quiz and the
// endpoints around it), just enough of it for the exam generator: sign-in, the
// provisioning endpoints, and the attempt contract with a grader that grades 200 ms
// after submit. It is a test double of the
// server the generator drives, not of any store.
type examCorpu struct {
	mu        sync.Mutex
	expiresIn int
	tokens    map[string]string // access token → login
	refreshes map[string]string // refresh token → login
	logins    map[string]int    // login → sign-ins
	refreshed int
	n         int // for ids

	orgs      []map[string]any
	users     []map[string]any
	courses   map[string]map[string]any // id → course
	versions  map[string]*fakeVersion
	banks     []map[string]any
	questions map[string][]map[string]any // bank → questions
	classes   []map[string]any
	quizzes   map[string]map[string]any // quiz (item) id → settings
	enrolled  map[string]bool
	created   map[string]int // "courses", "users", ... → POSTs

	busyNth    int  // the start request (counted from 1) to turn away with 503 and Retry-After
	busySubmit int  // submits still to turn away with 503 and Retry-After
	unreadable bool // every read of an attempt fails
	startCalls int
	dropNth    int  // the first save to the nth attempt started is acknowledged and not stored
	staleNth   int  // the second save to the nth attempt is answered 409 with a newer stored seq
	fail500    bool // one save answers 500 first
	started    int
	attempts   map[string]*fakeAttempt
}

type fakeVersion struct {
	id, status, quizItem string
}

type fakeAttempt struct {
	id        string
	n         int
	owner     string
	saves     int
	seq       map[int]int64
	submitted time.Time
}

// fakeTypes are the types of the fake's 20 slots, in turn.
var fakeTypes = []string{"single_choice", "multiple_choice", "true_false", "short_answer", "numeric", "matching", "ordering"}

// fakeLayout is the attempt's questions as a learner sees them, with each slot's seq.
func fakeLayout(a *fakeAttempt) []map[string]any {
	questions := []map[string]any{}
	for slot := 1; slot <= 20; slot++ {
		q := map[string]any{"slot": slot, "type": fakeTypes[(slot-1)%7], "stem": "?", "points": 1,
			"options":  []map[string]string{{"id": "o1", "text": "a"}, {"id": "o2", "text": "b"}},
			"response": nil, "seq": a.seq[slot], "max_score": 1}
		if q["type"] == "matching" {
			q["prompts"] = []map[string]string{{"id": "p1", "text": "x"}, {"id": "p2", "text": "y"}}
		}
		if a.seq[slot] > 0 {
			q["response"] = map[string]any{}
		}
		questions = append(questions, q)
	}
	return questions
}

// fakeResponseOK checks an answer's shape against its slot's type, as the server does.
func fakeResponseOK(typ string, resp map[string]any) bool {
	option := func(v any) bool { return v == "o1" || v == "o2" }
	switch typ {
	case "single_choice":
		return len(resp) == 1 && option(resp["choice"])
	case "multiple_choice":
		cs, ok := resp["choices"].([]any)
		return len(resp) == 1 && ok && !slices.ContainsFunc(cs, func(v any) bool { return !option(v) })
	case "true_false":
		_, ok := resp["value"].(bool)
		return len(resp) == 1 && ok
	case "short_answer":
		_, ok := resp["text"].(string)
		return len(resp) == 1 && ok
	case "numeric":
		_, ok := resp["value"].(float64)
		return ok && len(resp) <= 2
	case "matching":
		pairs, ok := resp["pairs"].(map[string]any)
		for left, right := range pairs {
			ok = ok && (left == "p1" || left == "p2") && option(right)
		}
		return len(resp) == 1 && ok
	case "ordering":
		order, ok := resp["order"].([]any)
		return len(resp) == 1 && ok && len(order) == 2 && option(order[0]) && option(order[1]) && order[0] != order[1]
	}
	return false
}

// fakeQuestionOK checks a question's body as the server's validation would, roughly:
// the type's fields flat, and none of another contract's.
func fakeQuestionOK(q map[string]any) bool {
	for _, k := range []string{"answer", "answers", "pairs", "items", "distractors", "body"} {
		if _, ok := q[k]; ok {
			return false
		}
	}
	has := func(k string) bool { _, ok := q[k]; return ok }
	switch q["type"] {
	case "single_choice", "multiple_choice", "ordering":
		return has("options")
	case "true_false":
		return has("correct")
	case "short_answer":
		return has("text_answers")
	case "numeric":
		return has("numeric_answers")
	case "matching":
		return has("options") && has("prompts")
	}
	return false
}

func newExamCorpu() *examCorpu {
	f := &examCorpu{expiresIn: 900, tokens: map[string]string{}, refreshes: map[string]string{}, logins: map[string]int{},
		courses: map[string]map[string]any{}, versions: map[string]*fakeVersion{}, questions: map[string][]map[string]any{},
		enrolled: map[string]bool{}, created: map[string]int{}, attempts: map[string]*fakeAttempt{}, quizzes: map[string]map[string]any{}}
	f.orgs = []map[string]any{{"id": f.id(), "code": "KEMENDAGRI"}, {"id": "inst-1", "code": "BPSDM-KEMENDAGRI"}}
	return f
}

// id is a new id; the caller holds mu or is the constructor.
func (f *examCorpu) id() string {
	f.n++
	return "id-" + strconv.Itoa(f.n)
}

func (f *examCorpu) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/login", f.login)
	mux.HandleFunc("POST /api/v1/auth/refresh", f.refresh)
	mux.HandleFunc("GET /api/v1/ping", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, `{"status":"ok"}`) })
	route := func(pattern string, h func(login string, r *http.Request) (int, any)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			login, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			if !ok {
				f.mu.Unlock()
				writeJSON(w, 401, `{"status":401}`)
				return
			}
			status, body := h(login, r)
			f.mu.Unlock()
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			b, _ := json.Marshal(body)
			writeJSON(w, status, string(b))
		})
	}
	decode := func(r *http.Request) map[string]any {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		return m
	}
	page := func(items any) map[string]any { return map[string]any{"items": items} }
	route("GET /api/v1/me", func(string, *http.Request) (int, any) {
		return 200, map[string]any{"user": map[string]any{"org_id": "inst-1"}}
	})
	route("GET /api/v1/organizations", func(string, *http.Request) (int, any) { return 200, page(f.orgs) })
	route("POST /api/v1/organizations", func(_ string, r *http.Request) (int, any) {
		o := decode(r)
		o["id"] = f.id()
		f.orgs = append(f.orgs, o)
		f.created["organizations"]++
		return 201, o
	})
	route("GET /api/v1/users", func(_ string, r *http.Request) (int, any) {
		var out []map[string]any
		for _, u := range f.users {
			if u["org_id"] == r.URL.Query().Get("org_id") {
				out = append(out, u)
			}
		}
		return 200, page(out)
	})
	route("POST /api/v1/users", func(_ string, r *http.Request) (int, any) {
		u := decode(r)
		u["id"] = f.id()
		delete(u, "password")
		f.users = append(f.users, u)
		f.created["users"]++
		return 201, u
	})
	route("GET /api/v1/courses", func(string, *http.Request) (int, any) {
		var out []map[string]any
		for _, c := range f.courses {
			out = append(out, f.courseView(c))
		}
		return 200, page(out)
	})
	route("POST /api/v1/courses", func(_ string, r *http.Request) (int, any) {
		c := decode(r)
		c["id"] = f.id()
		v := &fakeVersion{id: f.id(), status: "draft"}
		f.versions[v.id] = v
		c["version"] = v.id
		f.courses[c["id"].(string)] = c
		f.created["courses"]++
		return 201, f.courseView(c)
	})
	route("GET /api/v1/course-versions/{id}", func(_ string, r *http.Request) (int, any) {
		v := f.versions[r.PathValue("id")]
		items := []any{}
		if v.quizItem != "" {
			items = append(items, map[string]any{"id": v.quizItem, "kind": "quiz"})
		}
		return 200, map[string]any{"id": v.id, "status": v.status,
			"modules": []any{map[string]any{"lessons": []any{map[string]any{"items": items}}}}}
	})
	route("POST /api/v1/course-versions/{id}/modules", func(string, *http.Request) (int, any) { return 201, map[string]any{"id": f.id()} })
	route("POST /api/v1/modules/{id}/lessons", func(string, *http.Request) (int, any) { return 201, map[string]any{"id": f.id()} })
	route("POST /api/v1/lessons/{id}/items", func(_ string, r *http.Request) (int, any) {
		item := decode(r)
		if item["kind"] != "quiz" || item["ref_id"] != nil {
			return 422, map[string]any{"status": 422}
		}
		id := f.id()
		for _, v := range f.versions {
			if v.status == "draft" {
				v.quizItem = id
			}
		}
		return 201, map[string]any{"id": id, "kind": "quiz"}
	})
	route("POST /api/v1/course-versions/{id}/submit", func(_ string, r *http.Request) (int, any) {
		f.versions[r.PathValue("id")].status = "in_review"
		return 200, map[string]any{}
	})
	route("POST /api/v1/course-versions/{id}/reviews", func(login string, r *http.Request) (int, any) {
		if login != "reviewer@bpsdm.kemendagri.go.id" {
			return 403, map[string]any{"status": 403}
		}
		f.versions[r.PathValue("id")].status = "published"
		return 201, map[string]any{}
	})
	route("GET /api/v1/question-banks", func(string, *http.Request) (int, any) { return 200, page(f.banks) })
	route("POST /api/v1/question-banks", func(_ string, r *http.Request) (int, any) {
		b := decode(r)
		b["id"] = f.id()
		f.banks = append(f.banks, b)
		return 201, b
	})
	route("GET /api/v1/question-banks/{id}/questions", func(_ string, r *http.Request) (int, any) {
		return 200, page(f.questions[r.PathValue("id")])
	})
	route("POST /api/v1/question-banks/{id}/questions", func(_ string, r *http.Request) (int, any) {
		q := decode(r)
		if !fakeQuestionOK(q) {
			return 422, map[string]any{"status": 422, "detail": fmt.Sprintf("question %v", q)}
		}
		q["id"] = f.id()
		f.questions[r.PathValue("id")] = append(f.questions[r.PathValue("id")], q)
		return 201, q
	})
	route("PUT /api/v1/quizzes/{id}", func(_ string, r *http.Request) (int, any) {
		var version *fakeVersion
		for _, v := range f.versions {
			if v.quizItem == r.PathValue("id") {
				version = v
			}
		}
		switch {
		case version == nil:
			return 404, map[string]any{"status": 404}
		case version.status != "draft" && version.status != "changes_requested":
			return 409, map[string]any{"status": 409, "code": "quiz.version_frozen"}
		}
		var q struct {
			Sections []struct {
				Questions []struct {
					QuestionID string `json:"question_id"`
				} `json:"questions"`
			} `json:"sections"`
			AttemptsAllowed *int    `json:"attempts_allowed"`
			GradingMethod   string  `json:"grading_method"`
			PassMark        float64 `json:"pass_mark"`
		}
		if json.NewDecoder(r.Body).Decode(&q) != nil || len(q.Sections) != 1 || len(q.Sections[0].Questions) != 20 ||
			q.Sections[0].Questions[0].QuestionID == "" || q.AttemptsAllowed == nil || *q.AttemptsAllowed != 0 ||
			q.GradingMethod != "highest" || q.PassMark <= 1 {
			return 422, map[string]any{"status": 422}
		}
		status := 201
		if f.quizzes[r.PathValue("id")] != nil {
			status = 200
		}
		f.quizzes[r.PathValue("id")] = map[string]any{"id": r.PathValue("id")}
		return status, f.quizzes[r.PathValue("id")]
	})
	route("GET /api/v1/classes", func(string, *http.Request) (int, any) { return 200, page(f.classes) })
	route("POST /api/v1/classes", func(_ string, r *http.Request) (int, any) {
		c := decode(r)
		c["id"] = f.id()
		f.classes = append(f.classes, c)
		f.created["classes"]++
		return 201, c
	})
	route("POST /api/v1/classes/{id}/enrolments/bulk", func(_ string, r *http.Request) (int, any) {
		res := map[string]any{"assigned": []any{}, "waitlisted": []any{}, "skipped": []any{}}
		for i, id := range decode(r)["user_ids"].([]any) {
			if f.enrolled[id.(string)] {
				res["skipped"] = append(res["skipped"].([]any), map[string]any{"row": i + 1, "reason": "already_enrolled"})
				continue
			}
			f.enrolled[id.(string)] = true
			res["assigned"] = append(res["assigned"].([]any), map[string]any{"user_id": id})
		}
		return 200, res
	})
	route("POST /api/v1/quizzes/{id}/attempts", func(login string, r *http.Request) (int, any) {
		if f.quizzes[r.PathValue("id")] == nil {
			return 404, map[string]any{"status": 404}
		}
		if f.startCalls++; f.startCalls == f.busyNth {
			return 503, map[string]any{"status": 503}
		}
		view := func(a *fakeAttempt) map[string]any {
			return map[string]any{"id": a.id, "quiz_id": r.PathValue("id"), "state": "in_progress",
				"deadline": time.Now().Add(time.Hour), "questions": fakeLayout(a)}
		}
		for _, a := range f.attempts {
			if a.owner == login && a.submitted.IsZero() {
				return 200, view(a) // the attempt in progress, resumed
			}
		}
		f.started++
		a := &fakeAttempt{id: f.id(), n: f.started, owner: login, seq: map[int]int64{}}
		f.attempts[a.id] = a
		return 201, view(a)
	})
	route("PUT /api/v1/attempts/{id}/answers/{slot}", func(login string, r *http.Request) (int, any) {
		a := f.attempts[r.PathValue("id")]
		if a == nil || a.owner != login {
			return 404, map[string]any{"status": 404}
		}
		slot, _ := strconv.Atoi(r.PathValue("slot"))
		body := decode(r)
		seq := int64(body["seq"].(float64))
		if resp, ok := body["response"].(map[string]any); !ok || slot < 1 || slot > 20 || !fakeResponseOK(fakeTypes[(slot-1)%7], resp) {
			return 422, map[string]any{"status": 422, "code": "quiz.response_shape"}
		}
		if !a.submitted.IsZero() {
			return 409, map[string]any{"status": 409, "code": "quiz.attempt_closed"}
		}
		a.saves++
		switch {
		case f.fail500:
			f.fail500 = false
			return 500, map[string]any{"status": 500}
		case a.n == f.dropNth && a.saves == 1:
			return 200, map[string]any{"slot": slot, "seq": seq} // acknowledged, never stored
		case a.n == f.staleNth && a.saves == 2:
			a.seq[slot] = seq + 5 // another tab got there first
			return 409, map[string]any{"status": 409, "code": "quiz.stale_seq", "seq": a.seq[slot]}
		case seq < a.seq[slot]:
			return 409, map[string]any{"status": 409, "code": "quiz.stale_seq", "seq": a.seq[slot]}
		}
		a.seq[slot] = seq
		return 200, map[string]any{"slot": slot, "seq": seq}
	})
	route("POST /api/v1/attempts/{id}/submit", func(_ string, r *http.Request) (int, any) {
		a := f.attempts[r.PathValue("id")]
		if f.busySubmit > 0 {
			f.busySubmit--
			return 503, map[string]any{"status": 503, "code": "server.busy"}
		}
		if a.submitted.IsZero() {
			a.submitted = time.Now()
		}
		return 200, map[string]any{"state": "submitted"}
	})
	route("GET /api/v1/attempts/{id}", func(_ string, r *http.Request) (int, any) {
		if f.unreadable {
			return 404, map[string]any{"status": 404, "code": "attempt.not_found"}
		}
		a := f.attempts[r.PathValue("id")]
		state := "in_progress"
		switch {
		case !a.submitted.IsZero() && time.Since(a.submitted) > 200*time.Millisecond:
			state = "graded"
		case !a.submitted.IsZero():
			state = "submitted"
		}
		return 200, map[string]any{"id": a.id, "state": state, "score": 1, "max_score": 20, "questions": fakeLayout(a)}
	})
	return mux
}

func (f *examCorpu) courseView(c map[string]any) map[string]any {
	v := f.versions[c["version"].(string)]
	out := map[string]any{"id": c["id"], "code": c["code"]}
	if v.status == "published" {
		out["published_version_id"] = v.id
	} else {
		out["open_version"] = map[string]any{"id": v.id, "status": v.status}
	}
	return out
}

func (f *examCorpu) issue(w http.ResponseWriter, login string) {
	f.n++
	access, refresh := fmt.Sprintf("a%d", f.n), fmt.Sprintf("r%d", f.n)
	f.tokens[access], f.refreshes[refresh] = login, login
	writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"refresh_token":%q,"token_type":"Bearer","expires_in":%d}`, access, refresh, f.expiresIn))
}

func (f *examCorpu) login(w http.ResponseWriter, r *http.Request) {
	var body struct{ Login, Password string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if body.Password != demoPassword {
		writeJSON(w, 401, `{"status":401}`)
		return
	}
	f.logins[body.Login]++
	f.issue(w, body.Login)
}

func (f *examCorpu) refresh(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	login, ok := f.refreshes[body.RefreshToken]
	if !ok {
		writeJSON(w, 401, `{"status":401}`)
		return
	}
	delete(f.refreshes, body.RefreshToken)
	f.refreshed++
	f.issue(w, login)
}

// learnerLogins counts the sign-ins of learners (not of staff).
func (f *examCorpu) learnerLogins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for login, c := range f.logins {
		if strings.Contains(login, "@ujian.") {
			n += c
		}
	}
	return n
}
