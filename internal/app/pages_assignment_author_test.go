package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// draftAssignment is a draft course of BPSDM Jawa Barat, shared with the
// province, whose one item is an assignment nobody has set up yet.
func (w *world) draftAssignment(t *testing.T, code string) (version, item string) {
	t.Helper()
	instructor := w.as[mInstructor]
	var course struct {
		OpenVersion idResponse `json:"open_version"`
	}
	w.must(t, instructor, "POST", "/api/v1/courses", map[string]any{
		"org_id": w.bpsdmJabar, "code": code, "sharing": "listed", "shared_org_ids": []string{w.provJabar},
		"title": "Proyek Perubahan", "summary": "Proyek perubahan.", "language": "id",
		"objectives": []string{"Merancang layanan digital"}, "competency_tags": []string{"transformasi-digital"},
		"delivery_mode": "online", "jp_credit": 4, "level": "intermediate",
	}, &course, 201)
	version = course.OpenVersion.ID
	var module, lesson idResponse
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+version+"/modules", map[string]any{"title": "Proyek"}, &module, 201)
	w.must(t, instructor, "POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "Proyek perubahan"}, &lesson, 201)
	return version, w.newAssignmentItem(t, lesson.ID)
}

// authorForm is the author page's form with every setting filled in.
func authorForm(rubric, maxPoints string) url.Values {
	return url.Values{"instructions": {"Susun rencana aksi perubahan unit Anda."}, "mode": {"individual"},
		"file_types": {"application/pdf", "image/png"}, "max_files": {"2"}, "max_file_size_mb": {"5"},
		"allow_text": {"1"}, "max_points": {maxPoints}, "rubric": {rubric}}
}

func TestAnAuthorSetsUpAnAssignmentAndItsRubricOnThePageAndTheGraderSeesTheCriteria(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	version, item := w.draftAssignment(t, "TUGAS-PENULIS")
	page := "/teach/assignments/" + item
	teacher := newBrowser(t, w.srv)
	teacher.signIn(jabarInstructorEmail)

	s, _, body := teacher.get("/teach/versions/" + version)
	if s != http.StatusOK || !strings.Contains(body, `href="`+page+`"`) {
		t.Fatalf("the draft page = %d, want a link to the assignment's settings: %s", s, body)
	}
	s, _, body = teacher.get(page)
	if s != http.StatusOK || !strings.Contains(body, `name="rubric"`) || !strings.Contains(body, `value="application/pdf" checked`) {
		t.Fatalf("the author page of a new assignment = %d, want the form with the defaults: %s", s, body)
	}

	// Bad input: errors next to their fields, what was typed kept, nothing written.
	count := func(table string, where ...any) int64 {
		var n int64
		q := w.srv.Deps.DB.Conn(t.Context()).Table(table)
		if len(where) > 0 {
			q = q.Where(where[0], where[1:]...)
		}
		if err := q.Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	rubricsBefore := count("rubrics")
	for _, tc := range []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"a rubric line without levels", authorForm("Analisis | Baik = 5\nSolusi tanpa tingkat", "100"),
			[]string{`id="rubric-error">baris 2: tulis judul kriteria lalu tingkatnya`, "Solusi tanpa tingkat</textarea>"}},
		{"a level whose points are no number", authorForm("Analisis | Baik = lima", "100"),
			[]string{`id="rubric-error">baris 1: poin tingkat &#34;Baik&#34; harus berupa angka`}},
		{"a level worth too much", authorForm("Analisis | Baik = 5000", "100"),
			[]string{`id="rubric-error">baris 1: harus 0 sampai 1000`}},
		{"maximum points that are no number", authorForm("Analisis | Baik = 5", "seratus"),
			[]string{`id="max_points-error">harus berupa angka`, `value="seratus"`, "Analisis | Baik = 5</textarea>"}},
		{"maximum points out of range with a good rubric", authorForm("Analisis | Baik = 5", "5000"),
			[]string{`id="max_points-error">harus lebih dari 0 sampai 1000`, `value="5000"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			teacher.get(page)
			s, _, body := teacher.post(page, tc.form)
			if s != http.StatusUnprocessableEntity || strings.Contains(body, "problem") {
				t.Fatalf("%s = %d, want 422 with the form: %s", tc.name, s, body)
			}
			for _, want := range append(tc.wants, "Susun rencana aksi perubahan unit Anda.</textarea>", `value="image/png" checked`) {
				if !strings.Contains(body, want) {
					t.Errorf("%s: the page lacks %q: %s", tc.name, want, body)
				}
			}
		})
	}
	if got, settings := count("rubrics"), count("assignments", "item_id = ?", item); got != rubricsBefore || settings != 0 {
		t.Errorf("after refusals rubrics = %d (was %d), assignments = %d: want nothing written", got, rubricsBefore, settings)
	}
	// In English, the rubric's mistake reads in English.
	teacher.get("/language?to=en&next=" + url.QueryEscape(page))
	if s, _, body := teacher.post(page, authorForm("Analysis", "100")); s != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="rubric-error">line 1: write the criterion`) {
		t.Errorf("a bad rubric line in English = %d: %s", s, body)
	}
	teacher.get("/language?to=id&next=" + url.QueryEscape(page))

	// Saved: the settings and a two-criteria rubric, shown again as typed.
	rubric := "Analisis masalah | Baik = 5 | Kurang = 1\nRencana aksi | Baik = 5 | Cukup = 3 | Kurang = 1"
	s, path, body := teacher.post(page, authorForm(rubric, "100"))
	if s != http.StatusOK || path != page+"?saved=1" || !strings.Contains(body, `id="saved"`) ||
		!strings.Contains(body, "Rencana aksi | Baik = 5 | Cukup = 3 | Kurang = 1") || !strings.Contains(body, `value="image/png" checked`) {
		t.Fatalf("saving = %d at %s, want the settings and the rubric shown again: %s", s, path, body)
	}
	// Saved again with a criterion renamed: the same rubric, its next revision.
	s, _, body = teacher.post(page, authorForm("Analisis masalah | Baik = 5 | Kurang = 1\nSolusi | Baik = 5 | Kurang = 1", "100"))
	if s != http.StatusOK || !strings.Contains(body, `name="rubric_revision" value="2"`) || count("rubrics") != rubricsBefore+1 {
		t.Fatalf("changing the rubric = %d, want the same rubric at revision 2 (rubrics %d): %s", s, count("rubrics"), body)
	}

	// Published, in a class Budi hands in to: the grading page shows the criteria.
	w.must(t, w.as[mInstructor], "POST", "/api/v1/course-versions/"+version+"/submit", nil, nil, 200)
	w.must(t, w.as[mAdmin], "POST", "/api/v1/course-versions/"+version+"/reviews", approval, nil, 201)
	class := w.newAssignmentClass(t, version)
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+class+"/enrolments", nil, nil, 201)
	var sub idResponse
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+class+"/assignments/"+item+"/submissions", map[string]any{"text": "Rencana aksi saya."}, &sub, 201)
	s, _, body = teacher.get("/assignment-submissions/" + sub.ID + "/grade")
	for _, want := range []string{"<legend>Analisis masalah</legend>", "<legend>Solusi</legend>", "Baik (5 poin)"} {
		if s != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("the grading page = %d, lacks %q: %s", s, want, body)
		}
	}
	s, _, body = teacher.get("/classes/" + class + "/assignments/" + item + "/grading")
	if s != http.StatusOK || !strings.Contains(body, `id="author-settings"`) || !strings.Contains(body, `id="class-settings"`) {
		t.Errorf("the grading queue = %d, want links to both settings pages: %s", s, body)
	}
	// A published version's settings are only read.
	s, _, body = teacher.get(page)
	if s != http.StatusOK || !strings.Contains(body, `id="frozen"`) || strings.Contains(body, `id="save-assignment"`) {
		t.Errorf("the author page of a published version = %d, want it read-only: %s", s, body)
	}
	// A form sent anyway with a changed rubric: the settings are refused, so
	// the rubric written before them in the same transaction is undone.
	rubricsNow := count("rubrics")
	s, _, body = teacher.post(page, authorForm("Analisis masalah | Baik = 4 | Kurang = 1\nSolusi | Baik = 5 | Kurang = 1", "100"))
	if s != http.StatusConflict || !strings.Contains(body, "tugasnya tidak dapat diubah") || !strings.Contains(body, "Baik = 4 | Kurang = 1\nSolusi | Baik = 5 | Kurang = 1</textarea>") {
		t.Errorf("changing a published version's assignment = %d, want 409 with the reason and the form kept: %s", s, body)
	}
	var revision int
	if err := w.srv.Deps.DB.Conn(t.Context()).Raw("SELECT r.revision FROM rubrics r JOIN assignments a ON a.rubric_id = r.id WHERE a.item_id = ?", item).
		Scan(&revision).Error; err != nil || revision != 2 || count("rubrics") != rubricsNow {
		t.Errorf("after the refusal the rubric's revision = %d (%v), rubrics %d (was %d): want nothing written", revision, err, count("rubrics"), rubricsNow)
	}
}

func TestTheAuthorPageIsNotFoundOutsideTheCourseAndRefusesAFormWithoutItsToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ra := w.rubricAssignment(t, "TUGAS-PENULIS-BATAS")
	_, draftItem := w.draftAssignment(t, "TUGAS-PENULIS-DRAF")
	w.createStaff(t, "penulis.lain@bpsdm.jatimprov.go.id", "198401012009011011", w.bpsdmJatim, "instructor")

	for _, tc := range []struct{ who, login string }{
		{"the class's learner", "budi@diskominfo.bandung.go.id"},
		{"another organisation's author", "penulis.lain@bpsdm.jatimprov.go.id"},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := newBrowser(t, w.srv)
			b.signIn(tc.login)
			for _, item := range []string{ra.item, draftItem} {
				s, _, body := b.get("/teach/assignments/" + item)
				if s != http.StatusNotFound || strings.Contains(body, "Tulis rencana digitalisasi") {
					t.Errorf("GET the author page of %s = %d, want 404 without the settings: %s", item, s, body)
				}
				if s, _, _ := b.post("/teach/assignments/"+item, authorForm("Analisis | Baik = 5", "100")); s != http.StatusNotFound {
					t.Errorf("POST the author page of %s = %d, want 404", item, s)
				}
			}
			settings := "/classes/" + ra.class + "/assignments/" + ra.item + "/settings"
			if s, _, _ := b.get(settings); s != http.StatusNotFound {
				t.Errorf("GET the class settings = %d, want 404", s)
			}
			if s, _, _ := b.post(settings, url.Values{"late_policy": {"flag"}}); s != http.StatusNotFound {
				t.Errorf("POST the class settings = %d, want 404", s)
			}
		})
	}
	teacher := newBrowser(t, w.srv)
	teacher.signIn(jabarInstructorEmail)
	teacher.get("/teach/assignments/" + draftItem)
	form := authorForm("Analisis | Baik = 5", "100")
	form.Set("csrf_token", "forged-token-forged-token-forged-token-00")
	if s, _, body := teacher.post("/teach/assignments/"+draftItem, form); s != http.StatusForbidden || !strings.Contains(body, "kedaluwarsa") {
		t.Errorf("a form without the page's token = %d, want 403: %s", s, body)
	}
	var n int64
	if err := w.srv.Deps.DB.Conn(t.Context()).Table("assignments").Where("item_id = ?", draftItem).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("assignments of the draft item = %d (%v), want none written", n, err)
	}
}

func TestClassStaffSetTheDatesAndAnExtensionAndTheLearnerSeesTheirDueDate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ra := w.rubricAssignment(t, "TUGAS-JADWAL")
	page := "/classes/" + ra.class + "/assignments/" + ra.item
	teacher := newBrowser(t, w.srv)
	teacher.signIn(jabarInstructorEmail)
	s, _, body := teacher.get(page + "/settings")
	if s != http.StatusOK || !strings.Contains(body, "Budi") || !strings.Contains(body, `value="flag" checked`) {
		t.Fatalf("the class settings page = %d, want the roster and the flag policy: %s", s, body)
	}
	budiOption := firstMatch(t, `<option value="([0-9a-f-]+)">Budi`, body)

	for _, tc := range []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"a cut-off before the due date", url.Values{"due_at": {"2030-06-10T17:00"}, "cutoff_at": {"2030-06-01T17:00"}, "late_policy": {"flag"}},
			[]string{`id="cutoff_at-error">memerlukan due_at dan tidak boleh sebelum due_at`, `value="2030-06-01T17:00"`}},
		{"a penalty policy without a penalty", url.Values{"due_at": {"2030-06-10T17:00"}, "late_policy": {"penalty"}},
			[]string{`id="penalty_per_day-error">wajib diisi untuk kebijakan penalty`, `value="penalty" checked`}},
		{"a date that cannot be read", url.Values{"due_at": {"besok"}, "late_policy": {"flag"}},
			[]string{`id="due_at-error">tanggal dan jam tidak terbaca`, `value="besok"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, body := teacher.post(page+"/settings", tc.form)
			if s != http.StatusUnprocessableEntity {
				t.Fatalf("%s = %d, want 422: %s", tc.name, s, body)
			}
			for _, want := range tc.wants {
				if !strings.Contains(body, want) {
					t.Errorf("%s: the page lacks %q: %s", tc.name, want, body)
				}
			}
		})
	}

	s, path, body := teacher.post(page+"/settings", url.Values{"due_at": {"2030-06-10T17:00"}, "cutoff_at": {"2030-06-20T17:00"},
		"late_policy": {"penalty"}, "penalty_per_day": {"2,5"}})
	if s != http.StatusOK || path != page+"/settings?saved=settings" || !strings.Contains(body, `value="2030-06-10T17:00"`) || !strings.Contains(body, `value="2.5"`) {
		t.Fatalf("saving the dates = %d at %s: %s", s, path, body)
	}
	budi := newBrowser(t, w.srv)
	budi.signIn("budi@diskominfo.bandung.go.id")
	if _, _, body := budi.get(page); !strings.Contains(body, "10-06-2030 17:00 WIB") {
		t.Errorf("the learner's page does not show the new due date: %s", body)
	}

	// A staff member's own extension: refused, the reason next to the learner.
	teacher.get(page + "/settings")
	s, _, body = teacher.post(page+"/extensions", url.Values{"user_id": {w.instructorID}, "extension_due_at": {"2030-07-01T17:00"}})
	if s != http.StatusForbidden || !strings.Contains(body, `id="user_id-error">Perpanjangan waktu untuk Anda sendiri`) {
		t.Errorf("a staff member's own extension = %d, want 403 with the reason next to the learner: %s", s, body)
	}
	s, path, body = teacher.post(page+"/extensions", url.Values{"user_id": {budiOption}, "extension_due_at": {"2030-07-01T17:00"}})
	if s != http.StatusOK || path != page+"/settings?saved=extension" || !strings.Contains(body, "01-07-2030 17:00 WIB") {
		t.Fatalf("Budi's extension = %d at %s, want it listed: %s", s, path, body)
	}
	if _, _, body := budi.get(page); !strings.Contains(body, "01-07-2030 17:00 WIB") || !strings.Contains(body, "perpanjangan untuk Anda") {
		t.Errorf("the learner's page does not show their extended due date: %s", body)
	}
	var due time.Time
	if err := w.srv.Deps.DB.Conn(t.Context()).Raw("SELECT due_at FROM assignment_extensions WHERE user_id = ?", budiOption).Scan(&due).Error; err != nil ||
		!due.Equal(time.Date(2030, 7, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("the stored extension = %s (%v), want 17:00 WIB as 10:00 UTC", due, err)
	}
}

func TestARubricOtherAssignmentsShareIsNotChangedUnderThemFromTheAuthorPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ra := w.rubricAssignment(t, "TUGAS-RUBRIK-BERSAMA")
	_, item := w.draftAssignment(t, "TUGAS-RUBRIK-DRAF")
	w.must(t, w.as[mInstructor], "PUT", "/api/v1/assignments/"+item, map[string]any{"allow_text": true, "rubric_id": ra.rubric}, nil, 201)
	page := "/teach/assignments/" + item
	teacher := newBrowser(t, w.srv)
	teacher.signIn(jabarInstructorEmail)
	if s, _, body := teacher.get(page); s != http.StatusOK || !strings.Contains(body, "Analisis masalah | Kurang = 1 | Baik = 5") {
		t.Fatalf("the author page = %d, want the shared rubric as lines: %s", s, body)
	}
	s, _, body := teacher.post(page, authorForm("Analisis masalah | Kurang = 1 | Baik = 5\nSolusi | Kurang = 1 | Baik = 10", "100"))
	if s != http.StatusOK || !strings.Contains(body, "Solusi | Kurang = 1 | Baik = 10") {
		t.Fatalf("saving a changed shared rubric = %d: %s", s, body)
	}
	var rows []struct {
		ID       string
		Revision int
	}
	db := w.srv.Deps.DB.Conn(t.Context())
	if err := db.Raw("SELECT r.id, r.revision FROM rubrics r JOIN assignments a ON a.rubric_id = r.id WHERE a.item_id IN (?, ?) ORDER BY a.item_id = ?",
		ra.item, item, item).Scan(&rows).Error; err != nil || len(rows) != 2 {
		t.Fatalf("rubrics of both assignments: %v %v", rows, err)
	}
	if rows[0].ID != ra.rubric || rows[0].Revision != 1 || rows[1].ID == ra.rubric {
		t.Errorf("after the change the published assignment's rubric = %+v, the draft's = %+v: want the shared one untouched and a new one for the draft", rows[0], rows[1])
	}
}
