package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rubricAssignment is a world's assignment of BPSDM Jawa Barat graded by the
// two-criteria rubric, taking text, links and one PDF, in a class Budi
// learns in.
type rubricAssignment struct {
	class, item, rubric, version string
}

func (w *world) rubricAssignment(t *testing.T, code string) rubricAssignment {
	t.Helper()
	var rubric idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/rubrics", serviceRubric(w.bpsdmJabar), &rubric, 201)
	settings := map[string]any{"instructions": "Tulis rencana digitalisasi layanan unit Anda.", "allow_text": true,
		"allow_links": true, "max_files": 1, "file_types": []string{"application/pdf"}, "max_file_size": 1 << 20,
		"max_points": 100, "rubric_id": rubric.ID}
	_, version, item := w.publishAssignment(t, code, settings)
	class := w.newAssignmentClass(t, version)
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+class+"/enrolments", nil, nil, 201)
	return rubricAssignment{class: class, item: item, rubric: rubric.ID, version: version}
}

func TestALearnerHandsInAndAnInstructorGradesByRubricOnThePagesWithoutScripts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ra := w.rubricAssignment(t, "TUGAS-HALAMAN")
	page := "/classes/" + ra.class + "/assignments/" + ra.item

	budi := newBrowser(t, w.srv)
	budi.signIn("budi@diskominfo.bandung.go.id")
	s, _, body := budi.get(page)
	for _, want := range []string{"Tulis rencana digitalisasi layanan unit Anda.", "Rubrik Rencana Layanan", `name="key"`, "Belum ada kiriman."} {
		if s != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("the assignment page = %d, lacks %q: %s", s, want, body)
		}
	}
	key := firstMatch(t, `name="key" value="([^"]+)"`, body)

	// Bad input: the form again, the error next to its field, what was typed kept.
	for _, tc := range []struct {
		name   string
		form   url.Values
		field  string
		kept   string
		status int
	}{
		{"an empty hand-in", url.Values{"key": {key}}, `id="files-error">kiriman kosong`, "", http.StatusUnprocessableEntity},
		{"a link that is no URL", url.Values{"key": {key}, "text": {"Draf saya"}, "links": {"bukan tautan"}},
			`id="links-error">harus URL http atau https`, ">Draf saya</textarea>", http.StatusUnprocessableEntity},
		{"a file that is not the learner's", url.Values{"key": {key}, "file_id": {ra.rubric}}, `id="files-error">berkas tidak ditemukan`, "", http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, body := budi.post(page+"/submissions", tc.form)
			if s != tc.status || !strings.Contains(body, tc.field) || !strings.Contains(body, tc.kept) || strings.Contains(body, "problem") {
				t.Errorf("%s = %d, want %d with %q and %q: %s", tc.name, s, tc.status, tc.field, tc.kept, body)
			}
			if !strings.Contains(body, `value="`+key+`"`) {
				t.Errorf("the refused form lost its key: the retry would make a second version")
			}
		})
	}

	// In English, the same refusal reads in English.
	budi.get("/language?to=en&next=" + url.QueryEscape(page))
	if s, _, body := budi.post(page+"/submissions", url.Values{"key": {key}}); s != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="files-error">the submission is empty`) || !strings.Contains(body, `lang="en"`) {
		t.Errorf("an empty hand-in in English = %d: %s", s, body)
	}
	budi.get("/language?to=id&next=" + url.QueryEscape(page))

	// Handed in twice with the same key: one version.
	for range 2 {
		s, path, body := budi.post(page+"/submissions", url.Values{"key": {key}, "text": {"Rencana perizinan daring."}})
		if s != http.StatusOK || !strings.HasPrefix(path, page+"?submitted=1") || !strings.Contains(body, `id="submitted"`) {
			t.Fatalf("hand-in = %d at %s, want version 1 shown: %s", s, path, body)
		}
	}
	var versions int64
	if err := w.srv.Deps.DB.Conn(t.Context()).Table("assignment_submissions").Where("class_id = ?", ra.class).Count(&versions).Error; err != nil || versions != 1 {
		t.Errorf("versions = %d (%v), want the one", versions, err)
	}
	if _, _, body := budi.post(page+"/submissions", url.Values{"key": {key}, "csrf_token": {"forged-token-forged-token-forged-token-00"}, "text": {"x"}}); !strings.Contains(body, "kedaluwarsa") {
		t.Errorf("a hand-in without the page's token was not refused: %s", body)
	}

	// A file uploaded through the API goes with the next version; its link
	// sends the learner to the object store.
	file := uploadFile(t, w.as[mLearner], "assignment_submission", w.diskominfo, "rencana.pdf", "application/pdf", pdf("rencana"))
	_, _, body = budi.get(page)
	s, _, body = budi.post(page+"/submissions", url.Values{"key": {firstMatch(t, `name="key" value="([^"]+)"`, body)}, "file_id": {file}})
	download := firstMatch(t, `href="(/assignment-submissions/[0-9a-f-]+/files/`+file+`)"`, body)
	if s, _, got := budi.get(download); s != http.StatusOK || !strings.HasPrefix(got, "%PDF") {
		t.Errorf("the file's link = %d %.20q, want the PDF from the object store", s, got)
	}

	// The instructor's queue and grading page.
	teacher := newBrowser(t, w.srv)
	teacher.signIn(jabarInstructorEmail)
	s, _, body = teacher.get(page + "/grading")
	if s != http.StatusOK || !strings.Contains(body, "Budi") {
		t.Fatalf("the grading queue = %d, want Budi's work: %s", s, body)
	}
	grade := firstMatch(t, `href="(/assignment-submissions/[0-9a-f-]+/grade)"`, body)
	s, _, body = teacher.get(grade)
	if s != http.StatusOK || !strings.Contains(body, `name="level-analisis"`) || !strings.Contains(body, "rencana.pdf") {
		t.Fatalf("the grading page = %d, want the rubric and the work: %s", s, body)
	}
	s, _, body = teacher.post(grade, url.Values{"criteria": {"analisis,solusi"}, "level-analisis": {"baik"}, "feedback": {"Analisis tajam."}})
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="level-solusi-error">wajib diisi`) ||
		!strings.Contains(body, "Analisis tajam.</textarea>") || !strings.Contains(body, `value="baik" data-points="5" checked`) {
		t.Fatalf("a rubric with a criterion left out = %d, want its error next to it and the choices kept: %s", s, body)
	}
	s, _, body = teacher.post(grade, url.Values{"criteria": {"analisis,solusi"}, "level-analisis": {"baik"}, "level-solusi": {"kurang"},
		"feedback": {"Analisis tajam."}, "feedback_file_id": {file}})
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="feedback-files-error">berkas tidak ditemukan`) {
		t.Fatalf("a feedback file that is the learner's = %d, want its error next to the feedback files: %s", s, body)
	}
	s, path, body := teacher.post(grade, url.Values{"criteria": {"analisis,solusi"}, "level-analisis": {"baik"}, "level-solusi": {"kurang"}, "feedback": {"Analisis tajam."}})
	if s != http.StatusOK || !strings.HasSuffix(path, "?saved=1") || !strings.Contains(body, "60 / 100") {
		t.Fatalf("grading = %d at %s, want 6 of 10 rubric points as 60 / 100: %s", s, path, body)
	}
	if _, _, body := teacher.get(page + "/grading"); !strings.Contains(body, "<td>60 / 100</td>") {
		t.Errorf("the queue does not show the grade given: %s", body)
	}
	if _, _, body := budi.get(page); strings.Contains(body, `id="result"`) {
		t.Errorf("the learner sees a result before its release: %s", body)
	}
	s, _, body = teacher.post(page+"/release", nil)
	if s != http.StatusOK || !strings.Contains(body, `id="release-summary"`) {
		t.Fatalf("release = %d: %s", s, body)
	}
	s, _, body = budi.get(page)
	for _, want := range []string{`id="result"`, "60 / 100", "Analisis masalah</td><td>Baik</td>", "Analisis tajam."} {
		if s != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("the released result lacks %q: %s", want, body)
		}
	}
	if s, _, body := budi.get("/classes/" + ra.class + "/grades"); s != http.StatusOK || !strings.Contains(body, `id="final"`) {
		t.Errorf("my grades = %d: %s", s, body)
	}
	s, _, body = teacher.get("/classes/" + ra.class + "/gradebook")
	if s != http.StatusOK || !strings.Contains(body, `id="start-export"`) {
		t.Fatalf("the class gradebook = %d: %s", s, body)
	}
	s, path, body = teacher.post("/classes/"+ra.class+"/gradebook/exports", url.Values{"format": {"csv"}})
	if s != http.StatusOK || !strings.Contains(path, "export=") || !strings.Contains(body, `id="export-state"`) {
		t.Errorf("starting the export = %d at %s, want the gradebook following the job: %s", s, path, body)
	}
}

func TestTheAssignmentAndGradebookPagesAreNotFoundOutsideTheClass(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ra := w.rubricAssignment(t, "TUGAS-BATAS")
	page := "/classes/" + ra.class + "/assignments/" + ra.item
	var sub idResponse
	w.must(t, w.as[mLearner], "POST", "/api/v1"+page+"/submissions", map[string]any{"text": "Rencana."}, &sub, 201)
	w.createStaff(t, "instruktur.lain@bpsdm.jatimprov.go.id", "198401012009011010", w.bpsdmJatim, "instructor")

	for _, tc := range []struct {
		who   string
		login string
		paths []string
	}{
		{"another organisation's learner", "fajar@bappeda.sidoarjokab.go.id",
			[]string{page, page + "/grading", "/assignment-submissions/" + sub.ID + "/grade", "/classes/" + ra.class + "/grades", "/classes/" + ra.class + "/gradebook"}},
		{"another organisation's instructor", "instruktur.lain@bpsdm.jatimprov.go.id",
			[]string{page, page + "/grading", "/assignment-submissions/" + sub.ID + "/grade", "/assignment-submissions/" + sub.ID + "/files/" + sub.ID, "/classes/" + ra.class + "/gradebook"}},
		{"the class's learner on the staff pages", "budi@diskominfo.bandung.go.id",
			[]string{page + "/grading", "/assignment-submissions/" + sub.ID + "/grade", "/classes/" + ra.class + "/gradebook"}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := newBrowser(t, w.srv)
			b.signIn(tc.login)
			for _, p := range tc.paths {
				s, _, body := b.get(p)
				if s != http.StatusNotFound && s != http.StatusForbidden || strings.Contains(body, "Rencana.") || strings.Contains(body, "problem") {
					t.Errorf("GET %s = %d, want a 404 page without the work: %s", p, s, body)
				}
				if tc.who != "the class's learner on the staff pages" && s != http.StatusNotFound {
					t.Errorf("GET %s = %d, want 404: another organisation may not learn the class exists", p, s)
				}
			}
			b.get("/my/classes")
			if s, _, _ := b.post("/assignment-submissions/"+sub.ID+"/grade", url.Values{"points": {"100"}}); s != http.StatusNotFound && s != http.StatusForbidden {
				t.Errorf("grading from outside = %d, want refused", s)
			}
			if s, _, _ := b.post(page+"/release", nil); s != http.StatusNotFound && s != http.StatusForbidden {
				t.Errorf("release from outside = %d, want refused", s)
			}
		})
	}
	var grades int64
	if err := w.srv.Deps.DB.Conn(t.Context()).Table("assignment_grades").Count(&grades).Error; err != nil || grades != 0 {
		t.Errorf("grades = %d (%v), want none written", grades, err)
	}
}

func TestALearnerSignsUpToAGroupOnTheAssignmentPageAndHandsInForIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, version, item := w.publishAssignment(t, "TUGAS-KELOMPOK", map[string]any{"instructions": "Kerjakan berkelompok.",
		"mode": "group", "allow_text": true, "max_points": 100})
	class := w.newAssignmentClass(t, version)
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+class+"/enrolments", nil, nil, 201)
	var open, closed idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/classes/"+class+"/assignment-groups",
		map[string]any{"name": "Tim Perizinan", "self_signup": true, "max_size": 2}, &open, 201)
	w.must(t, w.as[mInstructor], "POST", "/api/v1/classes/"+class+"/assignment-groups",
		map[string]any{"name": "Tim Tertutup", "max_size": 2}, &closed, 201)
	page := "/classes/" + class + "/assignments/" + item

	budi := newBrowser(t, w.srv)
	budi.signIn("budi@diskominfo.bandung.go.id")
	s, _, body := budi.get(page)
	if s != http.StatusOK || !strings.Contains(body, "/assignment-groups/"+open.ID+"/join") || strings.Contains(body, closed.ID) ||
		strings.Contains(body, `id="submit-form"`) {
		t.Fatalf("before sign-up the page = %d, want the open group to join and no hand-in form: %s", s, body)
	}
	if s, _, _ := budi.post("/classes/"+class+"/assignment-groups/"+open.ID+"/join", url.Values{"csrf_token": {"forged-token-forged-token-forged-token-00"}}); s != http.StatusForbidden {
		t.Errorf("a sign-up without the page's token = %d, want 403", s)
	}
	budi.get(page)
	if s, _, body := budi.post("/classes/"+class+"/assignment-groups/"+closed.ID+"/join", url.Values{"back": {page}}); s != http.StatusConflict ||
		!strings.Contains(body, "pendaftaran mandiri tidak dibuka") {
		t.Errorf("signing up to a group the instructors form = %d, want 409 with the reason: %s", s, body)
	}
	budi.get(page)
	s, path, body := budi.post("/classes/"+class+"/assignment-groups/"+open.ID+"/join", url.Values{"back": {"https://evil.example/"}})
	if s != http.StatusOK || path != "/classes/"+class {
		t.Errorf("a sign-up sent back elsewhere = %d at %s, want the class page", s, path)
	}
	s, _, body = budi.get(page)
	if s != http.StatusOK || !strings.Contains(body, "<strong>Tim Perizinan</strong> (1/2)") || !strings.Contains(body, `id="submit-form"`) {
		t.Fatalf("after sign-up the page = %d, want the group and the hand-in form: %s", s, body)
	}
	key := firstMatch(t, `name="key" value="([^"]+)"`, body)
	if s, _, body := budi.post(page+"/submissions", url.Values{"key": {key}, "text": {"Rencana tim."}}); s != http.StatusOK || !strings.Contains(body, `id="submitted"`) {
		t.Errorf("the group's hand-in = %d: %s", s, body)
	}
}

func TestTheAssignmentPageTellsTheLearnerWhenWorkIsLateOrNoLongerAccepted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ra := w.rubricAssignment(t, "TUGAS-TELAT")
	page := "/classes/" + ra.class + "/assignments/" + ra.item
	settings := "/api/v1" + page + "/settings"
	budi := newBrowser(t, w.srv)
	budi.signIn("budi@diskominfo.bandung.go.id")
	past := time.Now().UTC().Add(-25 * time.Hour)

	// Two days late under a 10% a day penalty: handed in, marked and shown as such.
	w.must(t, w.as[mInstructor], "PUT", settings, map[string]any{"due_at": past, "cutoff_at": time.Now().UTC().AddDate(0, 0, 5),
		"late_policy": "penalty", "penalty_per_day": 10}, nil, 200)
	_, _, body := budi.get(page)
	if !strings.Contains(body, "kiriman sekarang ditandai terlambat") || !strings.Contains(body, "diterima dengan potongan 10% per hari") {
		t.Errorf("a page past its due date does not say handing in is late: %s", body)
	}
	s, _, body := budi.post(page+"/submissions", url.Values{"key": {firstMatch(t, `name="key" value="([^"]+)"`, body)}, "text": {"Terlambat."}})
	if s != http.StatusOK || !strings.Contains(body, "<strong>terlambat</strong> 2 hari (−20%)") {
		t.Errorf("the late version's history = %d, want it late by 2 days, -20%%: %s", s, body)
	}

	// Late work refused: no form, the reason instead; a form sent anyway is refused with it.
	w.must(t, w.as[mInstructor], "PUT", settings, map[string]any{"due_at": past, "late_policy": "refuse"}, nil, 200)
	_, _, body = budi.get(page)
	if strings.Contains(body, `id="submit-form"`) || !strings.Contains(body, "Kiriman tidak diterima lagi") {
		t.Errorf("a page that takes no more work still offers the form: %s", body)
	}
	s, _, body = budi.post(page+"/submissions", url.Values{"key": {"late-key"}, "text": {"Terlambat lagi."}})
	if s != http.StatusConflict || !strings.Contains(body, "tidak menerima kiriman terlambat") {
		t.Errorf("a late hand-in the class refuses = %d, want 409 with the reason: %s", s, body)
	}
}
