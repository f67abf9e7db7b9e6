package app

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// waitForPage reloads a page until it contains want.
func waitForPage(t *testing.T, b *browser, path, want string) string {
	t.Helper()
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, _, body = b.get(path); strings.Contains(body, want) {
			return body
		}
	}
	t.Fatalf("%s never showed %q: %s", path, want, body)
	return ""
}

func TestAQuestionImportsReportShowsEachQuestionToTheBanksAuthorOnly(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	runWorker(t, srv)
	author := newBrowser(t, srv)
	author.signIn("instruktur@bpsdm.kemendagri.go.id")
	_, _, body := author.get("/teach/banks")
	bank := firstMatch(t, `href="/teach/banks/([0-9a-f-]+)"`, body)
	s, _, body := author.get("/teach/banks/" + bank + "/import")
	if s != http.StatusOK || !strings.Contains(body, `data-upload="question_import"`) || !strings.Contains(body, `src="/static/direct-upload.js"`) {
		t.Fatalf("import page = %d, want the upload form: %s", s, body)
	}
	org := firstMatch(t, `data-org="([0-9a-f-]+)"`, body)
	for _, format := range []string{"gift", "moodle_xml"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/teach/banks/"+bank+"/export?format="+format, nil)
		res, err := author.http.Do(req)
		if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("export %s = %v %v, want a download", format, res, err)
		}
		if res != nil {
			res.Body.Close()
		}
	}

	// The page's script does what this client does: upload, then start.
	gift, err := os.ReadFile("../quiz/moodleformat/testdata/literasi_digital.gift.txt")
	if err != nil {
		t.Fatal(err)
	}
	api := login(t, srv, "instruktur@bpsdm.kemendagri.go.id")
	file := uploadFile(t, api, "question_import", org, "soal.gift", "text/plain", gift)
	var started struct {
		ID string `json:"id"`
	}
	if s := api.do("POST", "/api/v1/question-banks/"+bank+"/imports", map[string]any{"file_id": file, "format": "gift", "dry_run": true}, &started); s != http.StatusAccepted {
		t.Fatalf("start import = %d", s)
	}
	report := "/teach/banks/" + bank + "/imports/" + started.ID
	body = waitForPage(t, author, report, `id="import-summary"`)
	if !strings.Contains(body, "Uji coba") || !strings.Contains(body, `class="import-imported"`) || !strings.Contains(body, `class="import-skipped"`) {
		t.Errorf("the report lacks the dry run's imported and skipped questions: %s", body)
	}
	// Nobody else reads the report, and no other page shows the job.
	other := newBrowser(t, srv)
	other.signIn("fajar@bappeda.sidoarjokab.go.id")
	for _, path := range []string{report, "/teach/banks/" + bank + "/import", "/teach/banks/" + bank + "/export?format=gift"} {
		if s, _, _ := other.get(path); s != http.StatusNotFound {
			t.Errorf("another organisation's learner at %s = %d, want 404", path, s)
		}
	}
	if s, _, _ := author.get("/admin/imports/" + started.ID); s != http.StatusNotFound {
		t.Errorf("a question import as an HR import = %d, want 404", s)
	}
}

func TestAnHRImportsReportListsRefusedRowsByLineToItsAdminOnly(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	runWorker(t, srv)
	admin := newBrowser(t, srv)
	admin.signIn("admin.jabar@jabarprov.go.id")
	s, _, body := admin.get("/admin/imports")
	if s != http.StatusOK || !strings.Contains(body, `data-upload="user_import"`) {
		t.Fatalf("HR import page = %d, want the upload form: %s", s, body)
	}
	org := firstMatch(t, `<option value="([0-9a-f-]+)">`, body)
	api := login(t, srv, "admin.jabar@jabarprov.go.id")
	csv := "nip,nama,email,kode_unit\n" +
		"199001012015011001,Asep Sunandar,asep@diskominfo.bandung.go.id,DISKOMINFO-BANDUNG\n" +
		"12345,Tanpa NIP Benar,salah@diskominfo.bandung.go.id,DISKOMINFO-BANDUNG\n"
	file := uploadFile(t, api, "user_import", org, "pegawai.csv", "text/csv", []byte(csv))
	var started struct {
		ID string `json:"id"`
	}
	if s := api.do("POST", "/api/v1/user-imports", map[string]any{"file_id": file, "org_id": org}, &started); s != http.StatusAccepted {
		t.Fatalf("start import = %d", s)
	}
	report := "/admin/imports/" + started.ID
	body = waitForPage(t, admin, report, `id="import-summary"`)
	if !strings.Contains(body, `<table id="import-errors">`) || !strings.Contains(body, "<tr><td>3</td><td>12345</td>") {
		t.Errorf("the report lacks the refused line 3: %s", body)
	}
	if s, _, csvBody := admin.get(report + "/errors.csv"); s != http.StatusOK || !strings.Contains(csvBody, "12345") {
		t.Errorf("error report download = %d %s, want the CSV", s, csvBody)
	}
	other := newBrowser(t, srv)
	other.signIn("instruktur@bpsdm.kemendagri.go.id")
	for _, path := range []string{report, report + "/errors.csv"} {
		if s, _, _ := other.get(path); s != http.StatusNotFound {
			t.Errorf("someone else at %s = %d, want 404", path, s)
		}
	}
}

func TestAnAdminChangesAUsersBasicDetailsWithErrorsNextToTheFields(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t, srv)
	admin.signIn("admin.jabar@jabarprov.go.id")
	_, _, body := admin.get("/admin/users?q=rina")
	user := firstMatch(t, `href="(/admin/users/[0-9a-f-]+)">Rina`, body)
	_, _, body = admin.get(user)
	if !strings.Contains(body, `id="profile_name" name="name" value="Rina Marlina"`) {
		t.Fatalf("the user page lacks the profile form with the record: %s", body)
	}
	form := url.Values{"name": {"Rina Marlina, S.Kom."}, "email": {"bukan-surel"}, "phone": {"+6281234567890"}, "position_title": {"Pengelola Layanan Informasi"}, "grade": {"III/a"}}
	s, _, body := admin.post(user, form)
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="profile_email-error"`) || !strings.Contains(body, `value="Rina Marlina, S.Kom."`) || !strings.Contains(body, "<details open>") {
		t.Fatalf("a bad e-mail = %d, want the error next to it and the typed name kept: %s", s, body)
	}
	form.Set("email", "rina@diskominfo.bandung.go.id")
	if s, path, body := admin.post(user, form); s != http.StatusOK || !strings.HasSuffix(path, "?saved=1") || !strings.Contains(body, `value="Rina Marlina, S.Kom."`) {
		t.Fatalf("a good change = %d at %s: %s", s, path, body)
	}
	form.Set("csrf_token", "forged-token-forged-token-forged-token-00")
	if s, _, _ := admin.post(user, form); s != http.StatusForbidden {
		t.Errorf("a change without the CSRF token = %d, want 403", s)
	}
	form.Del("csrf_token")
	outsider := newBrowser(t, srv)
	outsider.signIn("fajar@bappeda.sidoarjokab.go.id")
	outsider.get("/my/classes")
	if s, _, _ := outsider.post(user, form); s != http.StatusNotFound && s != http.StatusForbidden {
		t.Errorf("a learner elsewhere changing Rina = %d, want a refusal", s)
	}
}

func TestTheMediaPageOffersUploadsForEachLessonToTheDraftsAuthorsOnly(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	author := newBrowser(t, srv)
	author.signIn("instruktur@bpsdm.kemendagri.go.id")
	author.get("/teach/courses")
	s, path, _ := author.post("/teach/courses", url.Values{"code": {"MEDIA-1"}, "title": {"Kursus Bermedia"}, "summary": {"Video dan dokumen."},
		"jp_credit": {"2"}, "delivery_mode": {"online"}, "level": {"basic"}, "language": {"id"}, "sharing": {"national"}})
	if s != http.StatusOK || !strings.HasPrefix(path, "/teach/versions/") {
		t.Fatalf("create course = %d at %s", s, path)
	}
	author.post(path+"/modules", url.Values{"form": {"module"}, "title": {"Modul satu"}})
	_, _, body := author.get(path)
	lessonAction := firstMatch(t, `action="(/teach/versions/[0-9a-f-]+/modules/[0-9a-f-]+/lessons)"`, body)
	author.post(lessonAction, url.Values{"title": {"Pelajaran satu"}})
	media := path + "/media"
	s, _, body = author.get(media)
	if s != http.StatusOK || !strings.Contains(body, `data-upload="by-kind"`) || !strings.Contains(body, `data-then="POST /api/v1/lessons/`) {
		t.Fatalf("media page = %d, want an upload form per lesson: %s", s, body)
	}
	other := newBrowser(t, srv)
	other.signIn("fajar@bappeda.sidoarjokab.go.id")
	if s, _, _ := other.get(media); s != http.StatusNotFound {
		t.Errorf("another organisation's learner on the media page = %d, want 404", s)
	}
}

func TestTheBankEditorWritesNumericMatchingAndOrderingQuestions(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	author := newBrowser(t, srv)
	author.signIn("instruktur@bpsdm.kemendagri.go.id")
	author.get("/teach/banks")
	_, bank, _ := author.post("/teach/banks", url.Values{"name": {"Bank Ragam"}})
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"a numeric answer that is no number", url.Values{"type": {"numeric"}, "stem": {"Berapa JP setahun?"}, "numeric": {"dua puluh"}}, http.StatusUnprocessableEntity, `id="numeric-error"`},
		{"a numeric answer with a comma and a tolerance", url.Values{"type": {"numeric"}, "stem": {"Berapa JP setahun?"}, "numeric": {"20 | 0,5"}}, http.StatusOK, "numeric · 1 poin"},
		{"a matching pair without its answer", url.Values{"type": {"matching"}, "stem": {"Jodohkan."}, "pairs": {"SPBE |\nTTE | Tanda tangan elektronik"}}, http.StatusUnprocessableEntity, `id="pairs-error"`},
		{"matching pairs", url.Values{"type": {"matching"}, "stem": {"Jodohkan."}, "pairs": {"SPBE | Pemerintahan berbasis elektronik\nTTE | Tanda tangan elektronik"}}, http.StatusOK, "matching · 1 poin"},
		{"an ordering in the right order", url.Values{"type": {"ordering"}, "stem": {"Urutkan."}, "options": {"Rencana\nPelaksanaan\nEvaluasi"}}, http.StatusOK, "ordering · 1 poin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("points", "1")
			s, _, body := author.post(bank+"/questions", tc.form)
			if s != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("= %d, want %d with %q: %s", s, tc.status, tc.want, body)
			}
		})
	}
}
