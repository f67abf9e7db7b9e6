package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// examSetup is what the exam runs on.
type examSetup struct {
	unitID, instituteID, courseID, versionID, quizID, classID string
	learners                                                  []learner
}

// learner is one provisioned learner.
type learner struct {
	id, login, nip string
}

// staff is a signed-in member of staff who provisions through the API.
type staff struct {
	c *client // with the staff password, for renewing
	s *session
}

// httpError is a non-2xx answer during provisioning.
type httpError struct {
	method, path string
	status       int
	detail       string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.path, e.status, e.detail)
}

// statusOf is the HTTP status of a provisioning error (0 when it is not one).
func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.status
	}
	return 0
}

// signInStaff signs in as a member of staff.
func (e *exam) signInStaff(ctx context.Context, login, password string) (staff, error) {
	c := *e.c
	c.password = password
	s, _, err := e.signIn(ctx, &c, login, password)
	return staff{c: &c, s: s}, err
}

// do sends one request as u (renewing once on a 401) and decodes a 2xx answer into
// into; any other status is an *httpError.
func (u staff) do(ctx context.Context, method, path string, body, into any) error {
	r, err := u.c.call(ctx, method, path, u.s.access, body, nil)
	if err == nil && r.status == http.StatusUnauthorized && u.c.renew(ctx, u.s) == nil {
		r, err = u.c.call(ctx, method, path, u.s.access, body, nil)
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s %s: %w", method, path, err)
	case !ok(r.status):
		return &httpError{method: method, path: path, status: r.status, detail: problemText(r.body)}
	case into != nil:
		if err := json.Unmarshal(r.body, into); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// eachItem walks every page of a list endpoint ({"items", "next_cursor"}), calling fn on
// every item until fn returns true.
func eachItem[T any](ctx context.Context, u staff, path string, q url.Values, fn func(T) bool) error {
	q.Set("limit", "200")
	for {
		var page struct {
			Items      []T    `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if err := u.do(ctx, http.MethodGet, path+"?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, it := range page.Items {
			if fn(it) {
				return nil
			}
		}
		if page.NextCursor == "" || len(page.Items) == 0 {
			return nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

// provision makes sure everything the exam needs exists, finding what an earlier run
// made by its codes: the platform admin makes the unit, the learners, the class and
// the assignment; the author writes the course and the quiz; the reviewer publishes.
func provision(ctx context.Context, e *exam) (examSetup, error) {
	cfg := e.cfg
	var setup examSetup
	admin, err := e.signInStaff(ctx, cfg.admin, cfg.staffPassword)
	if err != nil {
		return setup, err
	}
	author, err := e.signInStaff(ctx, cfg.author, cfg.staffPassword)
	if err != nil {
		return setup, err
	}
	reviewer, err := e.signInStaff(ctx, cfg.reviewer, cfg.staffPassword)
	if err != nil {
		return setup, err
	}
	var me struct {
		User struct {
			OrgID string `json:"org_id"`
		} `json:"user"`
	}
	if err := author.do(ctx, http.MethodGet, "/api/v1/me", nil, &me); err != nil {
		return setup, err
	}
	setup.instituteID = me.User.OrgID // the author's institute runs the course and the class
	if setup.unitID, err = ensureUnit(ctx, admin, cfg.prefix); err != nil {
		return setup, err
	}
	if setup.learners, err = e.ensureLearners(ctx, admin, setup.unitID); err != nil {
		return setup, err
	}
	if setup.courseID, setup.versionID, setup.quizID, err = e.ensureCourse(ctx, author, reviewer, setup.instituteID); err != nil {
		return setup, err
	}
	if setup.classID, err = ensureClass(ctx, admin, setup, cfg.prefix); err != nil {
		return setup, err
	}
	if err := e.assign(ctx, admin, setup); err != nil {
		return setup, err
	}
	e.logf("provisioned: unit %s, %d learners, course %s (version %s), quiz %s, class %s",
		setup.unitID, len(setup.learners), setup.courseID, setup.versionID, setup.quizID, setup.classID)
	return setup, nil
}

// ensureUnit finds the unit PREFIX-UNIT or makes it under KEMENDAGRI (or as a root).
func ensureUnit(ctx context.Context, admin staff, prefix string) (string, error) {
	type org struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	code := prefix + "-UNIT"
	var unitID, parentID string
	err := eachItem(ctx, admin, "/api/v1/organizations", url.Values{}, func(o org) bool {
		switch o.Code {
		case code:
			unitID = o.ID
		case "KEMENDAGRI":
			parentID = o.ID
		}
		return unitID != ""
	})
	if err != nil || unitID != "" {
		return unitID, err
	}
	body := map[string]any{"kind": "work_unit", "code": code, "name": "Unit Uji Beban Ujian " + prefix}
	if parentID != "" {
		body["parent_id"] = parentID
	}
	var made org
	err = admin.do(ctx, http.MethodPost, "/api/v1/organizations", body, &made)
	return made.ID, err
}

// learnerLogin and learnerNIP name learner i (from 0) of the run's prefix.
func learnerLogin(prefix string, i int) string {
	return fmt.Sprintf("%s.%06d@ujian.corpu.go.id", strings.ToLower(prefix), i+1)
}

// learnerNIP is a valid NIP: born on a day of 1960–1979 the prefix picks,
// plus i/999 days; appointed in January of a year of 2000–2019 the prefix
// also picks; serial i%999+1. NIPs are unique across the platform, so a new
// prefix must not reuse the learners' NIPs of another: with one range for
// all, its registrations were refused as taken by the other's learners.
func learnerNIP(prefix string, i int) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(prefix))
	pick := h.Sum32()
	born := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(pick%7300)+i/999)
	appointed := 2000 + int(pick/7300%20)
	return fmt.Sprintf("%s%04d011%03d", born.Format("20060102"), appointed, i%999+1)
}

// ensureLearners finds the unit's learners and registers the missing ones.
//
// They are registered one by one with POST /api/v1/users and a password (one
// argon2id hash each, -signin-workers at once), not through the HR import: the HR
// import never sets passwords (see importUsers in assets/openapi.yaml), and there is
// no API through which an administrator could give an imported person one, so
// imported learners could not sign in. Registered once, they are reused.
func (e *exam) ensureLearners(ctx context.Context, admin staff, unitID string) ([]learner, error) {
	type user struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	known := map[string]string{}
	err := eachItem(ctx, admin, "/api/v1/users", url.Values{"org_id": {unitID}}, func(u user) bool {
		known[strings.ToLower(u.Email)] = u.ID
		return false
	})
	if err != nil {
		return nil, err
	}
	learners := make([]learner, e.cfg.learners)
	var missing []int
	for i := range learners {
		learners[i] = learner{login: learnerLogin(e.cfg.prefix, i), nip: learnerNIP(e.cfg.prefix, i)}
		if learners[i].id = known[learners[i].login]; learners[i].id == "" {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return learners, nil
	}
	e.logf("registering %d learners, %d at once", len(missing), e.cfg.signInWorkers)
	var mu sync.Mutex
	var firstErr error
	e.pool(ctx, len(missing), e.cfg.signInWorkers, func(j int) {
		l := &learners[missing[j]]
		body := map[string]any{"nip": l.nip, "name": fmt.Sprintf("Peserta Ujian %06d", missing[j]+1), "email": l.login,
			"org_id": unitID, "password": e.cfg.learnerPassword}
		var made user
		err := admin.do(ctx, http.MethodPost, "/api/v1/users", body, &made)
		if statusOf(err) == http.StatusConflict { // registered elsewhere by an earlier run
			err = eachItem(ctx, admin, "/api/v1/users", url.Values{"q": {l.login}}, func(u user) bool {
				if strings.EqualFold(u.Email, l.login) {
					made = u
				}
				return made.ID != ""
			})
		}
		mu.Lock()
		defer mu.Unlock()
		if err == nil && made.ID == "" {
			err = fmt.Errorf("learner %s: registered, but not found", l.login)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		l.id = made.ID
	})
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return learners, firstErr
}

// courseVersion is the part of a course version the provisioning reads.
type courseVersion struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Modules []struct {
		Lessons []struct {
			Items []struct {
				ID   string `json:"id"`
				Kind string `json:"kind"`
			} `json:"items"`
		} `json:"lessons"`
	} `json:"modules"`
}

// quizItem is the version's first item of kind quiz, whose id is the quiz's ("" when
// it has none).
func (v courseVersion) quizItem() string {
	for _, m := range v.Modules {
		for _, l := range m.Lessons {
			for _, it := range l.Items {
				if it.Kind == "quiz" && it.ID != "" {
					return it.ID
				}
			}
		}
	}
	return ""
}

// ensureCourse finds the course PREFIX-COURSE of the institute or writes it, and
// carries its version through to publication: the author writes a module, a lesson
// and a quiz item, provisionQuiz sets the quiz, and the author submits; the reviewer
// approves. A run that stopped half-way is taken up where it stopped (the quiz of a
// draft is set again: PUT replaces its settings).
func (e *exam) ensureCourse(ctx context.Context, author, reviewer staff, instituteID string) (courseID, versionID, quizID string, err error) {
	type course struct {
		ID                 string         `json:"id"`
		Code               string         `json:"code"`
		PublishedVersionID *string        `json:"published_version_id"`
		OpenVersion        *courseVersion `json:"open_version"`
	}
	code := e.cfg.prefix + "-COURSE"
	var found *course
	err = eachItem(ctx, author, "/api/v1/courses", url.Values{"org_id": {instituteID}, "q": {code}}, func(c course) bool {
		if c.Code == code {
			found = &c
		}
		return found != nil
	})
	if err != nil {
		return "", "", "", err
	}
	if found == nil {
		body := map[string]any{"org_id": instituteID, "code": code, "title": "Ujian Nasional Uji Beban " + e.cfg.prefix,
			"summary": "Kursus untuk uji beban ujian (corpu-load exam).", "objectives": []string{"Menyelesaikan ujian 20 soal"},
			"jp_credit": 2, "sharing": "national", "competency_tags": []string{"uji-beban"}}
		var made course
		if err := author.do(ctx, http.MethodPost, "/api/v1/courses", body, &made); err != nil {
			return "", "", "", err
		}
		found = &made
		e.logf("course %s created", made.ID)
	}
	courseID = found.ID
	switch {
	case found.PublishedVersionID != nil && (found.OpenVersion == nil || found.OpenVersion.ID == ""):
		versionID = *found.PublishedVersionID
	case found.OpenVersion != nil && found.OpenVersion.ID != "":
		versionID = found.OpenVersion.ID
	default:
		return "", "", "", fmt.Errorf("course %s has neither a published version nor a draft", courseID)
	}
	var v courseVersion
	if err := author.do(ctx, http.MethodGet, "/api/v1/course-versions/"+versionID, nil, &v); err != nil {
		return "", "", "", err
	}
	quizID = v.quizItem()
	if v.Status == "draft" || v.Status == "changes_requested" {
		if quizID == "" {
			if quizID, err = e.writeCurriculum(ctx, author, versionID); err != nil {
				return "", "", "", err
			}
		}
		if err := provisionQuiz(ctx, author, instituteID, quizID, e.cfg.prefix); err != nil {
			return "", "", "", fmt.Errorf("quiz: %w", err)
		}
		if err := author.do(ctx, http.MethodPost, "/api/v1/course-versions/"+versionID+"/submit", nil, nil); err != nil {
			return "", "", "", err
		}
		v.Status = "in_review"
	}
	if v.Status == "in_review" {
		body := map[string]any{"decision": "approve",
			"checklist": map[string]bool{"objectives": true, "assessment": true, "jp": true, "accessibility": true}}
		if err := reviewer.do(ctx, http.MethodPost, "/api/v1/course-versions/"+versionID+"/reviews", body, nil); err != nil {
			return "", "", "", err
		}
		e.logf("course version %s published", versionID)
	} else if v.Status != "published" {
		return "", "", "", fmt.Errorf("course version %s is %s", versionID, v.Status)
	}
	if quizID == "" {
		return "", "", "", fmt.Errorf("course version %s has no quiz item", versionID)
	}
	return courseID, versionID, quizID, nil
}

// writeCurriculum adds a module, a lesson and the quiz item to a draft version and
// returns the item's id, which is the quiz's.
func (e *exam) writeCurriculum(ctx context.Context, author staff, versionID string) (string, error) {
	var module, lesson, item struct {
		ID string `json:"id"`
	}
	if err := author.do(ctx, http.MethodPost, "/api/v1/course-versions/"+versionID+"/modules", map[string]string{"title": "Ujian"}, &module); err != nil {
		return "", err
	}
	if err := author.do(ctx, http.MethodPost, "/api/v1/modules/"+module.ID+"/lessons", map[string]string{"title": "Ujian akhir"}, &lesson); err != nil {
		return "", err
	}
	body := map[string]any{"kind": "quiz", "title": "Ujian 20 soal", "required": true, "estimated_minutes": 30}
	if err := author.do(ctx, http.MethodPost, "/api/v1/lessons/"+lesson.ID+"/items", body, &item); err != nil {
		return "", err
	}
	if item.ID == "" {
		return "", fmt.Errorf("lesson %s: the quiz item came back without an id", lesson.ID)
	}
	return item.ID, nil
}

// provisionQuiz sets the 20-question quiz of a quiz item of a draft version:
//
//	GET  /api/v1/question-banks                                → {"items": [{"id", "name"}], "next_cursor"}
//	     (every bank the caller may read; there is no filter by organisation or name)
//	POST /api/v1/question-banks {"org_id", "name", "sharing": "private"} → 201 {"id"}
//	GET  /api/v1/question-banks/{bank_id}/questions            → {"items": [{"id", "name"}], "next_cursor"}
//	POST /api/v1/question-banks/{bank_id}/questions {"name", "type", "stem", "points",
//	     and the type's body fields flat: "options", "prompts", "correct", …} → 201 {"id"}
//	     (see examQuestions)
//	PUT  /api/v1/quizzes/{item_id} {"sections": [{"questions": [{"question_id"}]}],
//	     "shuffle_questions", "shuffle_options", "time_limit_seconds", "attempts_allowed": 0
//	     (any number), "grading_method", "pass_mark" (percent), "review"} → 201 or 200
//
// The bank (named after the prefix) and its questions are reused.
func provisionQuiz(ctx context.Context, author staff, orgID, quizID, prefix string) error {
	type named struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	name := prefix + " bank soal uji beban"
	var bank named
	err := eachItem(ctx, author, "/api/v1/question-banks", url.Values{}, func(b named) bool {
		if b.Name == name {
			bank = b
		}
		return bank.ID != ""
	})
	if err != nil {
		return err
	}
	if bank.ID == "" {
		if err := author.do(ctx, http.MethodPost, "/api/v1/question-banks",
			map[string]any{"org_id": orgID, "name": name, "sharing": "private"}, &bank); err != nil {
			return err
		}
	}
	have := map[string]string{}
	if err := eachItem(ctx, author, "/api/v1/question-banks/"+bank.ID+"/questions", url.Values{}, func(q named) bool {
		have[q.Name] = q.ID
		return false
	}); err != nil {
		return err
	}
	var questions []map[string]string
	for _, q := range examQuestions() {
		id := have[q["name"].(string)]
		if id == "" {
			var made named
			if err := author.do(ctx, http.MethodPost, "/api/v1/question-banks/"+bank.ID+"/questions", q, &made); err != nil {
				return err
			}
			id = made.ID
		}
		questions = append(questions, map[string]string{"question_id": id})
	}
	quiz := map[string]any{
		"sections":           []map[string]any{{"title": "Ujian", "questions": questions}},
		"shuffle_questions":  true,
		"shuffle_options":    true,
		"time_limit_seconds": 4 * 3600,
		"attempts_allowed":   0,
		"grading_method":     "highest",
		"pass_mark":          60,
		"review":             map[string]string{"score": "immediately", "answers": "never", "feedback": "never"},
	}
	return author.do(ctx, http.MethodPut, "/api/v1/quizzes/"+url.PathEscape(quizID), quiz, nil)
}

// examQuestions are the 20 auto-graded questions of the exam, every auto-graded
// type of internal/quiz in turn, in the body of POST .../questions.
func examQuestions() []map[string]any {
	var qs []map[string]any
	for i := range 20 {
		n := i + 1
		q := map[string]any{"name": fmt.Sprintf("uji-beban-%02d", n), "points": 1}
		switch i % 7 {
		case 0:
			q["type"], q["stem"] = "single_choice", fmt.Sprintf("Soal %d: manakah ibu kota Indonesia?", n)
			q["options"] = []map[string]any{{"text": "Jakarta", "weight": 1}, {"text": "Bandung"},
				{"text": "Surabaya"}, {"text": "Medan"}}
		case 1:
			q["type"], q["stem"] = "multiple_choice", fmt.Sprintf("Soal %d: pilih semua bilangan prima.", n)
			q["options"] = []map[string]any{{"text": "2", "weight": 0.5}, {"text": "3", "weight": 0.5},
				{"text": "4", "weight": -0.5}, {"text": "9", "weight": -0.5}}
		case 2:
			q["type"], q["stem"], q["correct"] = "true_false", fmt.Sprintf("Soal %d: SPBE singkatan dari Sistem Pemerintahan Berbasis Elektronik.", n), true
		case 3:
			q["type"], q["stem"] = "short_answer", fmt.Sprintf("Soal %d: sebutkan nama provinsi dengan kode 32.", n)
			q["text_answers"] = []map[string]any{{"text": "jawa barat", "credit": 1}, {"text": "jabar", "credit": 1}}
		case 4:
			q["type"], q["stem"] = "numeric", fmt.Sprintf("Soal %d: berapa persen kenaikan 100 menjadi 103,12?", n)
			q["numeric_answers"] = []map[string]any{{"value": 3.12, "tolerance": 0.01, "credit": 1}}
			q["units"] = []map[string]any{{"name": "%", "multiplier": 1}}
		case 5:
			q["type"], q["stem"] = "matching", fmt.Sprintf("Soal %d: pasangkan provinsi dengan ibu kotanya.", n)
			q["options"] = []map[string]any{{"id": "bandung", "text": "Bandung"}, {"id": "surabaya", "text": "Surabaya"},
				{"id": "medan", "text": "Medan"}, {"id": "semarang", "text": "Semarang"}} // the last a distractor
			q["prompts"] = []map[string]any{{"id": "jabar", "text": "Jawa Barat", "answer": "bandung"},
				{"id": "jatim", "text": "Jawa Timur", "answer": "surabaya"}, {"id": "sumut", "text": "Sumatera Utara", "answer": "medan"}}
		case 6:
			q["type"], q["stem"] = "ordering", fmt.Sprintf("Soal %d: urutkan dari yang terkecil.", n)
			q["options"] = []map[string]any{{"text": "satu"}, {"text": "dua"}, {"text": "tiga"}, {"text": "empat"}}
			q["scoring"] = "by_position"
		}
		qs = append(qs, q)
	}
	return qs
}

// ensureClass finds the class of the published version or opens it (assigned only).
func ensureClass(ctx context.Context, admin staff, setup examSetup, prefix string) (string, error) {
	type class struct {
		ID        string `json:"id"`
		Code      string `json:"code"`
		VersionID string `json:"version_id"`
	}
	code := prefix + "-CLASS-" + setup.versionID[:min(8, len(setup.versionID))]
	var found class
	err := eachItem(ctx, admin, "/api/v1/classes", url.Values{"course_id": {setup.courseID}, "org_id": {setup.instituteID}}, func(c class) bool {
		if c.Code == code && c.VersionID == setup.versionID {
			found = c
		}
		return found.ID != ""
	})
	if err != nil || found.ID != "" {
		return found.ID, err
	}
	today := time.Now()
	body := map[string]any{"version_id": setup.versionID, "org_id": setup.instituteID, "code": code, "title": "Kelas uji beban " + prefix,
		"starts_on": today.Format(time.DateOnly), "ends_on": today.AddDate(1, 0, 0).Format(time.DateOnly),
		"capacity": 100_000, "policy": "assigned"}
	err = admin.do(ctx, http.MethodPost, "/api/v1/classes", body, &found)
	return found.ID, err
}

// assign enrols every learner in the class, 2000 at a time; one already enrolled is
// fine, any other row left out is an error.
func (e *exam) assign(ctx context.Context, admin staff, setup examSetup) error {
	for from := 0; from < len(setup.learners); from += 2000 {
		batch := setup.learners[from:min(from+2000, len(setup.learners))]
		ids := make([]string, len(batch))
		for i, l := range batch {
			ids[i] = l.id
		}
		var res struct {
			Assigned []json.RawMessage `json:"assigned"`
			Skipped  []struct {
				Row     int    `json:"row"`
				Reason  string `json:"reason"`
				Message string `json:"message"`
			} `json:"skipped"`
		}
		if err := admin.do(ctx, http.MethodPost, "/api/v1/classes/"+setup.classID+"/enrolments/bulk", map[string]any{"user_ids": ids}, &res); err != nil {
			return err
		}
		for _, s := range res.Skipped {
			if s.Reason != "already_enrolled" {
				return fmt.Errorf("assign row %d of a batch from learner %d: %s (%s)", s.Row, from+1, s.Reason, s.Message)
			}
		}
		if len(res.Assigned) > 0 {
			e.logf("%d learners assigned to the class", len(res.Assigned))
		}
	}
	return nil
}
