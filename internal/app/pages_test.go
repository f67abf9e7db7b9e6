package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/identity"
)

// browser is a page visitor: a cookie jar and the CSRF token of the last
// page, as a browser without scripts has them.
type browser struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
}

func newBrowser(t testing.TB, srv *TestServer) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: srv.URL, http: &http.Client{Jar: jar}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// get opens a page (following redirects) and returns its status, final
// path and body.
func (b *browser) get(path string) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	req.Header.Set("Accept", "text/html")
	return b.send(req)
}

// post sends a form with the page's CSRF token.
func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	return b.send(req)
}

func (b *browser) send(req *http.Request) (int, string, string) {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfMeta.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return res.StatusCode, res.Request.URL.RequestURI(), string(body)
}

func (b *browser) signIn(login string) {
	b.t.Helper()
	b.get("/sign-in")
	if s, _, body := b.post("/sign-in", url.Values{"login": {login}, "password": {identity.DemoPassword}}); s != http.StatusOK {
		b.t.Fatalf("sign-in = %d: %s", s, body)
	}
}

func firstMatch(t testing.TB, re, body string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page lacks %s", re)
	}
	return m[1]
}

func TestSignInKeepsWhatWasTypedAndLeadsBackToThePageAsked(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv)
	s, path, _ := b.get("/my/jp?year=2026")
	if s != http.StatusOK || path != "/sign-in?next=%2Fmy%2Fjp%3Fyear%3D2026" {
		t.Fatalf("an anonymous visit = %d at %s, want the sign-in page with the way back", s, path)
	}
	s, _, body := b.post("/sign-in", url.Values{"login": {"budi@diskominfo.bandung.go.id"}, "password": {"wrong"}, "next": {"/my/jp?year=2026"}})
	if s != http.StatusUnauthorized || !strings.Contains(body, `value="budi@diskominfo.bandung.go.id"`) || !strings.Contains(body, `role="alert"`) || strings.Contains(body, "problem") {
		t.Fatalf("a wrong password = %d, want the form again with the login kept and the error: %s", s, body)
	}
	s, _, body = b.post("/sign-in", url.Values{"login": {""}, "password": {""}})
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="login-error">wajib diisi`) {
		t.Errorf("an empty form = %d, want each field's error next to it: %s", s, body)
	}
	s, path, _ = b.post("/sign-in", url.Values{"login": {"budi@diskominfo.bandung.go.id"}, "password": {identity.DemoPassword}, "next": {"/my/jp?year=2026"}})
	if s != http.StatusOK || path != "/my/jp?year=2026" {
		t.Errorf("sign-in = %d at %s, want the page first asked", s, path)
	}
	// A form from another site (no token) changes nothing.
	if s, _, _ := b.post("/sign-out", url.Values{"csrf_token": {"forged-token-forged-token-forged-token-00"}}); s != http.StatusForbidden {
		t.Errorf("sign-out with a forged token = %d, want 403", s)
	}
	if s, path, _ = b.post("/sign-out", nil); s != http.StatusOK || path != "/sign-in" {
		t.Errorf("sign-out = %d at %s, want the sign-in page", s, path)
	}
	if _, path, _ = b.get("/catalogue"); !strings.HasPrefix(path, "/sign-in") {
		t.Errorf("after sign-out the catalogue is at %s, want sign-in", path)
	}
}

func TestALearnerFindsTheDemoCourseEnrolsAndTakesItsQuizWithoutScripts(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv)
	b.signIn("rina@diskominfo.bandung.go.id")
	_, _, body := b.get("/catalogue?q=literasi&mode=blended")
	version := firstMatch(t, `href="/courses/([0-9a-f-]+)">Literasi Digital bagi ASN`, body)
	if _, _, body := b.get("/catalogue?tag=pelayanan-publik"); strings.Contains(body, "Literasi Digital bagi ASN") {
		t.Errorf("the demo course matches a topic it lacks: %s", body)
	}
	if s, _, body := b.get("/catalogue?mode=teleport"); s != http.StatusUnprocessableEntity || !strings.Contains(body, `value="teleport"`) && !strings.Contains(body, "field-error") {
		t.Errorf("an unknown filter = %d, want the form with its error: %s", s, body)
	}
	_, _, body = b.get("/courses/" + version)
	courseID := firstMatch(t, `href="/classes\?course_id=([0-9a-f-]+)"`, body)
	_, _, body = b.get("/classes?course_id=" + courseID)
	class := firstMatch(t, `href="/classes/([0-9a-f-]+)"`, body)
	s, path, body := b.post("/classes/"+class+"/enrol", nil)
	if s != http.StatusOK || path != "/classes/"+class || !strings.Contains(body, "aktif") {
		t.Fatalf("enrol = %d at %s, want the class page with an active enrolment: %s", s, path, body)
	}
	player := firstMatch(t, `href="(/learn/[^"]+)"`, strings.ReplaceAll(body, "&amp;", "&"))
	_, _, body = b.get(player)
	start := firstMatch(t, `action="(/classes/[0-9a-f-]+/quizzes/[0-9a-f-]+/attempts)"`, body)
	s, path, body = b.post(start, nil)
	if s != http.StatusOK || !strings.HasPrefix(path, "/attempts/") || strings.Count(body, `class="question"`) != 3 || !strings.Contains(body, `data-deadline=`) {
		t.Fatalf("start = %d at %s, want the quiz with three questions and its deadline: %s", s, path, body)
	}
	attempt := strings.TrimPrefix(path, "/attempts/")

	// The page's script reaches the API with the cookie and the CSRF header only.
	save := func(header string) int {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/v1/attempts/"+attempt+"/answers/2", strings.NewReader(`{"seq":1,"response":{"value":false}}`))
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("X-CSRF-Token", header)
		}
		res, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := save(""); s != http.StatusUnauthorized {
		t.Errorf("a save with the cookie but no CSRF header = %d, want 401", s)
	}
	if s := save(b.csrf); s != http.StatusOK {
		t.Errorf("a save from the page's script = %d, want 200", s)
	}
	for range 2 { // submit pressed twice
		if s, path, body = b.post("/attempts/"+attempt+"/submit", nil); s != http.StatusOK || path != "/attempts/"+attempt || !strings.Contains(body, "Hasil kuis") {
			t.Fatalf("submit = %d at %s, want the result page: %s", s, path, body)
		}
	}
	for _, page := range []string{"/my/classes", "/my/jp", "/classes/" + class} {
		if s, _, body := b.get(page); s != http.StatusOK || !strings.Contains(body, "<h1>") {
			t.Errorf("GET %s = %d", page, s)
		}
	}
	if s, _, body := b.get("/classes/00000000-0000-0000-0000-000000000000"); s != http.StatusNotFound || strings.Contains(body, "problem") {
		t.Errorf("an unknown class = %d, want the 404 page", s)
	}
	// Reading the text item marks it done; then Rina withdraws.
	_, _, body = b.get(player)
	done := firstMatch(t, `action="(/enrolments/[0-9a-f-]+/items/[0-9a-f-]+/done)"`, body)
	if s, path, _ := b.post(done, url.Values{"back": {player}}); s != http.StatusOK || !strings.HasPrefix(path, "/learn/") {
		t.Errorf("mark done = %d at %s, want back in the player", s, path)
	}
	if _, _, body = b.get("/my/classes"); !strings.Contains(body, `value="25"`) {
		t.Errorf("after one of four required items my classes shows: %s", body)
	}
	_, _, body = b.get("/classes/" + class)
	if s, _, body := b.post(firstMatch(t, `action="(/enrolments/[0-9a-f-]+/withdraw)"`, body), nil); s != http.StatusOK || !strings.Contains(body, `action="/classes/`+class+`/enrol"`) {
		t.Errorf("withdraw = %d, want the class page offering to enrol again: %s", s, body)
	}
}

func TestALearnerChecksInWithTheCodeTheInstructorProjects(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	ctx := context.Background()
	if err := srv.App.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	learner := newBrowser(t, srv)
	learner.signIn("budi@diskominfo.bandung.go.id")
	_, _, body := learner.get("/classes")
	class := firstMatch(t, `href="/classes/([0-9a-f-]+)"`, body)
	learner.post("/classes/"+class+"/enrol", nil)

	// A face-to-face session that is on now.
	instructorCtx, rudi, err := srv.App.actingAs(ctx, demoRegionalNIP)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.delivery.SetStaff(instructorCtx, uuid.MustParse(class), []delivery.Staff{{UserID: rudi.UserID, Role: delivery.StaffInstructor}}, false); err != nil {
		t.Fatal(err)
	}
	kind, now := delivery.SessionInPerson, time.Now().UTC()
	session, err := srv.App.delivery.CreateSession(instructorCtx, uuid.MustParse(class), delivery.SessionInput{Kind: &kind,
		Title: ptr("Tatap muka sekarang"), StartsAt: ptr(now.Add(-10 * time.Minute)), EndsAt: ptr(now.Add(time.Hour)), Venue: ptr("Aula")}, true)
	if err != nil {
		t.Fatal(err)
	}
	instructor := newBrowser(t, srv)
	instructor.signIn("instruktur@bpsdm.jabarprov.go.id")
	_, _, body = instructor.get("/classes/" + class)
	if !strings.Contains(body, "/sessions/"+session.ID.String()+"/code") {
		t.Fatalf("the class page shows its instructor no projector link: %s", body)
	}
	s, _, body := instructor.get("/sessions/" + session.ID.String() + "/code")
	code := firstMatch(t, `<p class="code"[^>]*>([0-9A-Z]+)</p>`, body)
	if s != http.StatusOK || !strings.Contains(body, `src="data:image/png;base64,`) || !strings.Contains(body, `http-equiv="refresh"`) {
		t.Fatalf("projector page = %d, want the code, its QR image and a refresh: %s", s, body)
	}
	if s, _, _ := learner.get("/sessions/" + session.ID.String() + "/code"); s != http.StatusForbidden && s != http.StatusNotFound {
		t.Errorf("a learner opening the projector page = %d, want 403 or 404", s)
	}

	checkIn := "/sessions/" + session.ID.String() + "/check-in"
	learner.get(checkIn)
	s, _, body = learner.post(checkIn, url.Values{"code": {"000000x"}})
	if s < 400 || s >= 500 || !strings.Contains(body, `id="code-error"`) || !strings.Contains(body, `value="000000x"`) {
		t.Errorf("a wrong code = %d, want the form with the error next to the field and the code kept: %s", s, body)
	}
	if s, _, body = learner.post(checkIn, url.Values{"code": {code}}); s != http.StatusOK || !strings.Contains(body, "Kehadiran Anda sudah tercatat") {
		t.Errorf("the projected code = %d, want attendance recorded: %s", s, body)
	}

	// The instructor sees Budi present by code on the roll call and the roster.
	rollCall := "/sessions/" + session.ID.String() + "/attendance"
	_, _, body = instructor.get(rollCall)
	budi := firstMatch(t, `<select id="a-([0-9a-f-]+)"`, body)
	if !strings.Contains(body, `value="present" selected>hadir (dengan kode)`) {
		t.Errorf("the roll call does not show the check-in: %s", body)
	}
	if s, path, body := instructor.post(rollCall, url.Values{budi: {"excused"}}); s != http.StatusOK || !strings.HasSuffix(path, "saved=1") || !strings.Contains(body, `value="excused" selected`) {
		t.Errorf("roll call = %d at %s, want the saved roll call with Budi excused: %s", s, path, body)
	}
	if s, _, body := instructor.get("/classes/" + class + "/roster"); s != http.StatusOK || !strings.Contains(body, "199204172019031004") {
		t.Errorf("roster = %d, want Budi's NIP: %s", s, body)
	}
	if s, _, _ := learner.get(rollCall); s != http.StatusNotFound && s != http.StatusForbidden {
		t.Errorf("a learner opening the roll call = %d, want 403 or 404", s)
	}
}

func TestTheGradingQueueIsForTheClassStaffAndARefusedScoreSaysWhy(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	ctx := context.Background()
	if err := srv.App.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	learner := newBrowser(t, srv)
	learner.signIn("budi@diskominfo.bandung.go.id")
	_, _, body := learner.get("/classes")
	class := firstMatch(t, `href="/classes/([0-9a-f-]+)"`, body)
	_, _, body = learner.post("/classes/"+class+"/enrol", nil)
	_, _, body = learner.get(strings.ReplaceAll(firstMatch(t, `href="(/learn/[^"]+)"`, body), "&amp;", "&"))
	_, attempt, _ := learner.post(firstMatch(t, `action="(/classes/[0-9a-f-]+/quizzes/[0-9a-f-]+/attempts)"`, body), nil)

	instructorCtx, rudi, err := srv.App.actingAs(ctx, demoRegionalNIP)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.delivery.SetStaff(instructorCtx, uuid.MustParse(class), []delivery.Staff{{UserID: rudi.UserID, Role: delivery.StaffInstructor}}, false); err != nil {
		t.Fatal(err)
	}
	instructor := newBrowser(t, srv)
	instructor.signIn("instruktur@bpsdm.jabarprov.go.id")
	_, _, body = instructor.get("/classes/" + class)
	_, _, body = instructor.get(firstMatch(t, `href="(/learn/[^"]+)">Materi dan penilaian kuis`, strings.ReplaceAll(body, "&amp;", "&")))
	queue := firstMatch(t, `href="(/classes/[0-9a-f-]+/quizzes/[0-9a-f-]+/grading)"`, body)
	if s, _, body := instructor.get(queue); s != http.StatusOK || !strings.Contains(body, "Tidak ada esai") {
		t.Errorf("the instructor's queue = %d, want the empty queue: %s", s, body)
	}
	if s, _, _ := learner.get(queue); s != http.StatusNotFound && s != http.StatusForbidden {
		t.Errorf("a learner opening the grading queue = %d, want 403 or 404", s)
	}
	grade := queue + "/" + strings.TrimPrefix(attempt, "/attempts/") + "/1"
	s, _, body := instructor.post(grade, url.Values{"score": {"banyak"}})
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, "harus berupa angka") {
		t.Errorf("a score that is no number = %d, want 422 saying why: %s", s, body)
	}
	if s, _, _ := learner.post(grade, url.Values{"score": {"1"}}); s != http.StatusNotFound && s != http.StatusForbidden {
		t.Errorf("a learner grading their own answer = %d, want 403 or 404", s)
	}
}

func TestAnAuthorBuildsACourseInThePagesAndSubmitsItForReview(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	author := newBrowser(t, srv)
	author.signIn("instruktur@bpsdm.kemendagri.go.id")
	author.get("/teach/courses")
	course := url.Values{"code": {"ETIKA-DIGITAL"}, "title": {""}, "summary": {"Etika bermedia sosial bagi ASN."},
		"jp_credit": {"4"}, "delivery_mode": {"online"}, "level": {"basic"}, "language": {"id"}, "sharing": {"national"}}
	s, _, body := author.post("/teach/courses", course)
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="title-error"`) || !strings.Contains(body, `value="ETIKA-DIGITAL"`) ||
		!strings.Contains(body, "Etika bermedia sosial bagi ASN.") {
		t.Fatalf("a course without a title = %d, want the form with the error next to the title and the rest kept: %s", s, body)
	}
	course.Set("title", "Etika Digital ASN")
	s, path, body := author.post("/teach/courses", course)
	if s != http.StatusOK || !strings.HasPrefix(path, "/teach/versions/") {
		t.Fatalf("create = %d at %s, want the draft: %s", s, path, body)
	}
	draft := path
	if s, _, body = author.post(draft+"/modules", url.Values{"form": {"module"}, "title": {" "}}); s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="module-title-error"`) {
		t.Errorf("a module without a title = %d, want its error next to the field: %s", s, body)
	}
	_, _, body = author.post(draft+"/modules", url.Values{"form": {"module"}, "title": {"Bermedia sosial"}})
	lessons := firstMatch(t, `action="(/teach/versions/[0-9a-f-]+/modules/[0-9a-f-]+/lessons)"`, body)
	_, _, body = author.post(lessons, url.Values{"title": {"Jejak digital"}})
	items := firstMatch(t, `action="(/teach/versions/[0-9a-f-]+/lessons/[0-9a-f-]+/items)"`, body)
	_, _, body = author.post(items, url.Values{"kind": {"text"}, "title": {"Bacaan"}, "body": {"<p>Pikir dulu sebelum mengunggah.</p><script>alert(1)</script>"}, "required": {"on"}})
	if !strings.Contains(body, "Bacaan") {
		t.Fatalf("the item is not on the draft: %s", body)
	}
	_, _, body = author.post(items, url.Values{"kind": {"link"}, "title": {"Pedoman"}, "url": {"https://jdih.setkab.go.id/"}})
	// The link moves above the reading.
	link := firstMatch(t, `name="id" value="([0-9a-f-]+)"><button type="submit" name="direction" value="up" class="secondary" aria-label="Naikkan: Pedoman"`, body)
	if s, _, body = author.post(draft+"/move", url.Values{"id": {link}, "direction": {"up"}, "lock_version": {firstMatch(t, `name="lock_version" value="(\d+)"`, body)}}); s != http.StatusOK ||
		strings.Index(body, "Pedoman <span") < 0 || strings.Index(body, "Pedoman <span") > strings.Index(body, "Bacaan <span") {
		t.Errorf("move up = %d, want the link before the reading: %s", s, body)
	}
	if s, _, _ = author.post(draft+"/move", url.Values{"id": {link}, "direction": {"down"}, "lock_version": {"1"}}); s != http.StatusPreconditionFailed {
		t.Errorf("a move from a stale page = %d, want 412", s)
	}
	// Submitting without objectives says what is missing.
	if s, _, body = author.post(draft+"/submit", nil); s != http.StatusUnprocessableEntity || !strings.Contains(body, "objectives: tujuan pembelajaran wajib diisi") {
		t.Fatalf("submit without objectives = %d, want 422 naming them: %s", s, body)
	}
	lock := firstMatch(t, `name="lock_version" value="(\d+)"`, body)
	version := url.Values{"form": {"version"}, "title": {"Etika Digital ASN"}, "summary": {"Etika bermedia sosial bagi ASN."},
		"objectives": {"Menjaga jejak digital\nMengenali hoaks"}, "jp_credit": {"4"}, "lock_version": {lock}}
	if s, _, body = author.post(draft, version); s != http.StatusOK || !strings.Contains(body, "Mengenali hoaks") {
		t.Fatalf("saving the objectives = %d: %s", s, body)
	}
	// The same form again was read before that change: refused, not overwritten.
	version.Set("title", "Judul yang basi")
	if s, _, body = author.post(draft, version); s != http.StatusPreconditionFailed || strings.Contains(body, "<h1>Judul yang basi") {
		t.Errorf("a stale form = %d, want 412 and the draft unchanged: %s", s, body)
	}
	if s, _, body = author.post(draft+"/submit", nil); s != http.StatusOK || !strings.Contains(body, "in_review") {
		t.Errorf("submit = %d, want the draft in review: %s", s, body)
	}
	learner := newBrowser(t, srv)
	learner.signIn("budi@diskominfo.bandung.go.id")
	if s, _, _ := learner.post(draft+"/modules", url.Values{"title": {"Sisipan"}}); s != http.StatusNotFound && s != http.StatusForbidden {
		t.Errorf("a learner adding a module = %d, want 403 or 404", s)
	}

	// The reviewer finds it in the queue and decides with the checklist.
	reviewer := newBrowser(t, srv)
	reviewer.signIn("reviewer@bpsdm.kemendagri.go.id")
	_, _, body = reviewer.get("/review")
	review := firstMatch(t, `href="(/review/versions/[0-9a-f-]+)">Etika Digital ASN`, body)
	reviewer.get(review)
	s, _, body = reviewer.post(review, url.Values{"decision": {"approve"}, "objectives": {"on"}, "comments": {"Sudah baik."}})
	if s != http.StatusUnprocessableEntity || strings.Count(body, "belum dipenuhi") != 3 || !strings.Contains(body, "Sudah baik.") {
		t.Errorf("an approval with three boxes unchecked = %d, want each named next to its box and the comment kept: %s", s, body)
	}
	if s, _, body = reviewer.post(review, url.Values{"decision": {"request_changes"}}); s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="comments-error"`) {
		t.Errorf("changes requested without a comment = %d, want the error next to the comments: %s", s, body)
	}
	if s, _, _ = author.post(review, url.Values{"decision": {"approve"}, "objectives": {"on"}, "assessment": {"on"}, "jp": {"on"}, "accessibility": {"on"}}); s < 400 {
		t.Errorf("the author approving their own draft = %d, want a refusal", s)
	}
	if s, path, _ := reviewer.post(review, url.Values{"decision": {"approve"}, "objectives": {"on"}, "assessment": {"on"}, "jp": {"on"}, "accessibility": {"on"}}); s != http.StatusOK || !strings.HasPrefix(path, "/review?decided=") {
		t.Fatalf("approval = %d at %s, want the queue", s, path)
	}
	if _, _, body = learner.get("/catalogue?q=etika"); !strings.Contains(body, "Etika Digital ASN") {
		t.Errorf("the approved course is not in the catalogue: %s", body)
	}
}

func TestAnAuthorWritesQuestionsAndSetsAQuizUpInThePages(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	author := newBrowser(t, srv)
	author.signIn("instruktur@bpsdm.kemendagri.go.id")
	author.get("/teach/banks")
	s, bank, _ := author.post("/teach/banks", url.Values{"name": {"Bank Etika"}})
	if s != http.StatusOK || !strings.HasPrefix(bank, "/teach/banks/") {
		t.Fatalf("create bank = %d at %s", s, bank)
	}
	question := url.Values{"type": {"single_choice"}, "stem": {"Apa itu hoaks?"}, "options": {"Berita bohong\nBerita resmi"}}
	s, _, body := author.post(bank+"/questions", question)
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="options-error"`) || !strings.Contains(body, "Apa itu hoaks?</textarea>") {
		t.Fatalf("a choice question with no right option = %d, want the error next to the options and the stem kept: %s", s, body)
	}
	question.Set("options", "*Berita bohong\nBerita resmi")
	if s, _, body = author.post(bank+"/questions", question); s != http.StatusOK || !strings.Contains(body, "Apa itu hoaks?") {
		t.Fatalf("a valid question = %d: %s", s, body)
	}
	if s, _, body = author.post(bank+"/questions", url.Values{"type": {"true_false"}, "stem": {"Hoaks boleh disebarkan."}, "correct": {"false"}}); s != http.StatusOK {
		t.Fatalf("a true/false question = %d: %s", s, body)
	}

	_, draft, _ := author.post("/teach/courses", url.Values{"code": {"KUIS-ETIKA"}, "title": {"Kuis Etika"}, "delivery_mode": {"online"}, "level": {"basic"}, "language": {"id"}})
	_, _, body = author.post(draft+"/modules", url.Values{"form": {"module"}, "title": {"Modul"}})
	_, _, body = author.post(firstMatch(t, `action="(/teach/versions/[0-9a-f-]+/modules/[0-9a-f-]+/lessons)"`, body), url.Values{"title": {"Pelajaran"}})
	_, _, body = author.post(firstMatch(t, `action="(/teach/versions/[0-9a-f-]+/lessons/[0-9a-f-]+/items)"`, body), url.Values{"kind": {"quiz"}, "title": {"Kuis akhir"}, "required": {"on"}})
	settings := firstMatch(t, `href="(/teach/quizzes/[0-9a-f-]+)"`, body)
	author.get(settings)
	if s, _, body = author.post(settings, url.Values{"attempts_allowed": {"2"}}); s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="bank_id-error"`) || !strings.Contains(body, `value="2"`) {
		t.Errorf("settings without a bank = %d, want the error next to the bank and the attempts kept: %s", s, body)
	}
	s, path, body := author.post(settings, url.Values{"bank_id": {strings.TrimPrefix(bank, "/teach/banks/")}, "time_limit_minutes": {"15"}, "attempts_allowed": {"2"}, "pass_mark": {"70"}})
	if s != http.StatusOK || !strings.HasSuffix(path, "saved=1") || !strings.Contains(body, "Kuis ini berisi 2 soal") || !strings.Contains(body, "900 s") {
		t.Errorf("settings = %d at %s, want two questions and 15 minutes: %s", s, path, body)
	}
}

func TestAnInstituteOpensAClassSchedulesItAndAssignsLearnersInThePages(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	rudi := newBrowser(t, srv)
	rudi.signIn("instruktur@bpsdm.jabarprov.go.id")
	_, _, body := rudi.get("/catalogue?q=literasi")
	_, _, body = rudi.get("/courses/" + firstMatch(t, `href="/courses/([0-9a-f-]+)"`, body))
	_, _, body = rudi.get(strings.ReplaceAll(firstMatch(t, `href="(/teach/classes/new\?version_id=[^"]+)"`, body), "&amp;", "&"))
	version := firstMatch(t, `name="version_id" value="([0-9a-f-]+)"`, body)
	class := url.Values{"version_id": {version}, "code": {"LITDIG-BDG-2"}, "starts_on": {"2026-13-01"}, "ends_on": {"2027-01-31"},
		"capacity": {"25"}, "region_code": {"32.73"}, "policy": {"open"}}
	s, _, body := rudi.post("/teach/classes", class)
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="starts_on-error"`) || !strings.Contains(body, `value="LITDIG-BDG-2"`) {
		t.Fatalf("a class starting in month 13 = %d, want the error next to the date and the rest kept: %s", s, body)
	}
	class.Set("starts_on", "2026-12-01")
	s, manage, _ := rudi.post("/teach/classes", class)
	if s != http.StatusOK || !strings.HasSuffix(manage, "/manage") {
		t.Fatalf("open the class = %d at %s, want its management page", s, manage)
	}
	classPath := strings.TrimSuffix(manage, "/manage")
	session := url.Values{"kind": {"in_person"}, "title": {"Tatap muka"}, "date": {"2026-12-08"}, "starts_at": {"9 pagi"}, "ends_at": {"12:00"}, "venue": {"Aula"}}
	if s, _, body = rudi.post(classPath+"/sessions", session); s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="starts_at-error"`) || !strings.Contains(body, `value="9 pagi"`) {
		t.Errorf("a session starting at '9 pagi' = %d, want the error next to the time, kept: %s", s, body)
	}
	session.Set("starts_at", "09:00")
	if s, _, body = rudi.post(classPath+"/sessions", session); s != http.StatusOK || !strings.Contains(body, "08-12-2026 09:00 WIB") {
		t.Errorf("schedule = %d, want the session at 09:00 WIB: %s", s, body)
	}
	// The instructor may not assign Bandung's civil servants; the province's admin may.
	if s, _, _ = rudi.post(classPath+"/enrolments/bulk", url.Values{"nips": {"199204172019031004"}}); s != http.StatusForbidden {
		t.Errorf("the instructor assigning = %d, want 403", s)
	}
	admin := newBrowser(t, srv)
	admin.signIn("admin.jabar@jabarprov.go.id")
	admin.get(manage)
	s, _, body = admin.post(classPath+"/enrolments/bulk", url.Values{"nips": {"199204172019031004\n199999999999999999"}})
	if s != http.StatusOK || !strings.Contains(body, "Terdaftar: 1") || !strings.Contains(body, "199999999999999999") {
		t.Errorf("assign two NIPs = %d, want one enrolled and the unknown one skipped: %s", s, body)
	}
	budi := newBrowser(t, srv)
	budi.signIn("budi@diskominfo.bandung.go.id")
	if s, _, _ := budi.get(manage); s != http.StatusNotFound && s != http.StatusForbidden {
		t.Errorf("a learner opening the management page = %d, want 403 or 404", s)
	}
	if _, _, body = budi.get("/my/classes"); !strings.Contains(body, "aktif") {
		t.Errorf("Budi's classes after the assignment: %s", body)
	}
}

func TestASupervisorApprovesAnEnrolmentRequestInThePages(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	rudi := newBrowser(t, srv)
	rudi.signIn("instruktur@bpsdm.jabarprov.go.id")
	_, _, body := rudi.get("/catalogue?q=literasi")
	version := firstMatch(t, `href="/courses/([0-9a-f-]+)"`, body)
	rudi.get("/teach/classes/new?version_id=" + version)
	_, manage, _ := rudi.post("/teach/classes", url.Values{"version_id": {version}, "code": {"LITDIG-APPROVAL"}, "starts_on": {"2026-12-01"},
		"ends_on": {"2027-01-31"}, "capacity": {"10"}, "region_code": {"32"}, "policy": {"approval"}})
	class := strings.TrimSuffix(manage, "/manage")

	budi := newBrowser(t, srv)
	budi.signIn("budi@diskominfo.bandung.go.id")
	if s, _, body := budi.post(class+"/enrol", nil); s != http.StatusOK || !strings.Contains(body, "menunggu persetujuan") {
		t.Fatalf("a request to join = %d, want the class page saying it awaits approval: %s", s, body)
	}
	kabid := newBrowser(t, srv)
	kabid.signIn("kabid@diskominfo.bandung.go.id")
	_, _, body = kabid.get("/team")
	approve := firstMatch(t, `action="(/enrolments/[0-9a-f-]+/approve)"`, body)
	if s, _, _ := budi.post(approve, nil); s != http.StatusForbidden && s != http.StatusNotFound {
		t.Errorf("Budi approving his own request = %d, want a refusal", s)
	}
	if s, path, body := kabid.post(approve, nil); s != http.StatusOK || path != "/team" || !strings.Contains(body, "Tidak ada permintaan yang menunggu") {
		t.Errorf("approve = %d at %s, want the team page with nothing waiting: %s", s, path, body)
	}
	if _, _, body := budi.get(class); !strings.Contains(body, "<strong>aktif</strong>") {
		t.Errorf("after approval Budi's class page: %s", body)
	}
}

func TestAnOrganisationAdminGrantsAndRevokesARoleInThePages(t *testing.T) {
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
	if s, _, body := admin.post(user+"/grants", url.Values{"role": {"mentor"}}); s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="org_id-error"`) {
		t.Errorf("a grant without an organisation = %d, want the error next to it: %s", s, body)
	}
	org := firstMatch(t, `<option value="([0-9a-f-]+)">Dinas Komunikasi dan Informatika Kota Bandung`, body)
	if s, _, body := admin.post(user+"/grants", url.Values{"role": {"mentor"}, "org_id": {org}}); s != http.StatusOK || !strings.Contains(body, "<td>mentor</td>") {
		t.Fatalf("grant = %d, want the role listed: %s", s, body)
	}
	_, _, body = admin.get(user)
	revoke := firstMatch(t, `(?s)<td>mentor</td>.*?action="(/admin/users/[0-9a-f-]+/grants/[0-9a-f-]+/revoke)"`, body)
	rina := newBrowser(t, srv)
	rina.signIn("rina@diskominfo.bandung.go.id")
	if s, _, _ := rina.post(revoke, nil); s != http.StatusNotFound && s != http.StatusForbidden {
		t.Errorf("Rina revoking a grant = %d, want a refusal", s)
	}
	if s, _, body := admin.post(revoke, nil); s != http.StatusOK || strings.Contains(body, "<td>mentor</td>") {
		t.Errorf("revoke = %d, want the role gone: %s", s, body)
	}
}

func TestPasswordResetPagesAnswerAlikeAndKeepErrorsNextToTheFields(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv)
	b.get("/password-reset")
	for _, login := range []string{"budi@diskominfo.bandung.go.id", "nobody@example.go.id"} {
		if s, _, body := b.post("/password-reset", url.Values{"login": {login}}); s != http.StatusOK || !strings.Contains(body, "Jika akun itu ada") {
			t.Errorf("a reset for %s = %d, want the same answer for known and unknown accounts: %s", login, s, body)
		}
	}
	if s, _, body := b.post("/password-reset", url.Values{"login": {" "}}); s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="login-error"`) {
		t.Errorf("an empty login = %d, want the error next to it: %s", s, body)
	}
	b.get("/password-reset/confirm?token=cprt_bad")
	s, _, body := b.post("/password-reset/confirm", url.Values{"token": {"cprt_bad"}, "password": {"Sandi-Baru-2026!x"}, "password_again": {"lain"}})
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="password_again-error"`) || strings.Contains(body, "Sandi-Baru-2026!x") {
		t.Errorf("mismatched passwords = %d, want the error next to the repeat and no password echoed: %s", s, body)
	}
	if s, _, body = b.post("/password-reset/confirm", url.Values{"token": {"cprt_bad"}, "password": {"Sandi-Baru-2026!x"}, "password_again": {"Sandi-Baru-2026!x"}}); s < 400 || s >= 500 || !strings.Contains(body, `role="alert"`) {
		t.Errorf("a bad link = %d, want the form with why: %s", s, body)
	}
}
