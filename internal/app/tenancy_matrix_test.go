package app

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The tenancy matrix: every operation of assets/openapi.yaml that requires a
// bearer token has an entry here, and each entry says what each of these
// actors must get. The targets belong to Jawa Barat: the organisation and
// people of Diskominfo Kota Bandung, and a course of BPSDM Jawa Barat shared
// with the province, its classes and learning path.
const (
	mAdmin           = "platform admin"
	mOrgAdmin        = "org admin of Jawa Barat"
	mOtherOrgAdmin   = "org admin of Jawa Timur"
	mInstructor      = "instructor of BPSDM Jawa Barat"
	mOtherInstructor = "instructor of BPSDM Jawa Timur"
	mLearner         = "learner in Bandung"
	mOtherLearner    = "learner in Sidoarjo (Jawa Timur)"
	mToken           = "org.read token of the Jawa Barat org admin"
	mAnonymous       = "anonymous"
)

var matrixActors = []string{mAdmin, mOrgAdmin, mOtherOrgAdmin, mInstructor, mOtherInstructor, mLearner, mOtherLearner, mToken, mAnonymous}

// class is the kind of answer an actor must get.
type class string

const (
	ok        class = "2xx"
	forbidden class = "403" // may see the thing, may not do this
	hidden    class = "404" // may not see the thing
	// allowed is an answer past the access checks: 2xx, or a refusal of the
	// request itself (400, 409, 412, 422), for the few calls whose success
	// the matrix cannot arrange for every actor.
	allowed class = "allowed"
	// badRef is the answer to a body naming an organisation (or a file) the
	// caller may not use for this: a bad field, 422, as for grants.
	badRef class = "422"
)

func classOf(status int) class {
	switch {
	case status >= 200 && status < 300:
		return ok
	case status == http.StatusForbidden:
		return forbidden
	case status == http.StatusNotFound:
		return hidden
	case status == http.StatusUnauthorized:
		return "401"
	case status == http.StatusUnprocessableEntity:
		return badRef
	}
	return class(fmt.Sprint(status))
}

func (c class) admits(status int) bool {
	got := classOf(status)
	if c == allowed {
		return got == ok || status == 400 || status == 409 || status == 412 || status == 422
	}
	return got == c
}

// expect is what each actor must get; fallback for those not named. Anonymous
// callers always get 401.
type expect struct {
	fallback class
	actors   map[string]class
}

func want(fallback class, actors map[string]class) expect {
	return expect{fallback: fallback, actors: actors}
}

func (e expect) of(actor string) class {
	if actor == mAnonymous {
		return "401"
	}
	if c, ok := e.actors[actor]; ok {
		return c
	}
	return e.fallback
}

// call is one request of the matrix.
type call struct {
	method, path string
	body         any
	headers      map[string]string
	as           *apiClient // instead of the actor's own client
}

// matrixCase is one operation's row: build makes the request an actor sends
// (setting up a fresh target when the call changes it); last runs the row
// after every other (it ends the actors' sessions).
type matrixCase struct {
	build func(t *testing.T, actor string) call
	want  expect
	last  bool
}

// knownDefects are the cells of the matrix that today's code gets wrong
// (issue 7, items 2–6), as "operationId / actor". The runner logs them
// instead of failing, and fails when one of them passes: remove it then.
var knownDefects = map[string]bool{}

// world is the seeded server with the Jawa Barat targets and the actors.
type world struct {
	*fixture
	as map[string]*apiClient
	n  atomic.Int64

	diskominfo, bandung, bpsdmJabar, bpsdmJatim, provJabar, provJatim string
	budi, fajar, instructorID, tokenID                                string
	course, published, docItem, textItem                              string // the listed course of BPSDM Jawa Barat
	class, session, nowSession, budiEnrolment                         string
	path                                                              string
	job, importFile                                                   string
	quiz                                                              *quizWorld
	certs                                                             *certificateWorld
	assign                                                            *assignWorld
}

func (w *world) seq() int64 { return w.n.Add(1) }

// must sends a setup request and fails the test unless it gets status.
func (w *world) must(t *testing.T, c *apiClient, method, path string, body, out any, status int) {
	t.Helper()
	cc := *c
	cc.t = t
	if got := cc.do(method, path, body, out); got != status {
		t.Fatalf("setup %s %s = %d, want %d", method, path, got, status)
	}
}

// createStaff creates a person with a password and a grant, and signs them in.
func (w *world) createStaff(t *testing.T, email, nip, org, role string) *apiClient {
	t.Helper()
	var u idResponse
	w.must(t, w.as[mAdmin], "POST", "/api/v1/users", map[string]any{"name": "Staf " + role, "email": email, "nip": nip,
		"org_id": org, "password": "Belajar-Terus-2026!"}, &u, 201)
	w.must(t, w.as[mAdmin], "POST", "/api/v1/users/"+u.ID+"/grants", map[string]any{"role": role, "org_id": org}, nil, 201)
	return login(t, w.srv, email)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f := newFixture(t)
	w := &world{fixture: f, as: map[string]*apiClient{}}
	w.as[mAdmin] = f.clients["platform admin"]
	w.as[mOrgAdmin] = f.clients["jabar org admin"]
	w.as[mLearner] = f.clients["bandung learner"]
	w.as[mOtherLearner] = f.clients["sidoarjo learner (jatim)"]
	w.as[mAnonymous] = f.clients["anonymous"]
	w.as[mInstructor] = login(t, f.srv, jabarInstructorEmail)
	w.diskominfo, w.bandung, w.provJabar, w.provJatim = f.org["DISKOMINFO-BANDUNG"], f.org["KOTA-BANDUNG"], f.org["PROV-JABAR"], f.org["PROV-JATIM"]
	w.bpsdmJabar, w.bpsdmJatim = f.org["BPSDM-JABAR"], f.org["BPSDM-JATIM"]
	w.budi, w.fajar = f.user["budi@diskominfo.bandung.go.id"], f.user["fajar@bappeda.sidoarjokab.go.id"]
	var found struct {
		Items []idResponse `json:"items"`
	}
	w.must(t, w.as[mAdmin], "GET", "/api/v1/users?q="+jabarInstructorEmail, nil, &found, 200)
	if len(found.Items) != 1 {
		t.Fatalf("find the Jawa Barat instructor: %d results", len(found.Items))
	}
	w.instructorID = found.Items[0].ID
	w.as[mOtherOrgAdmin] = w.createStaff(t, "admin.jatim@jatimprov.go.id", "198301012008011009", w.provJatim, "org_admin")
	w.as[mOtherInstructor] = w.createStaff(t, "instruktur@bpsdm.jatimprov.go.id", "198401012009011009", w.bpsdmJatim, "instructor")

	// The Jawa Barat org admin's personal token, narrowed to org.read.
	var tok struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	w.must(t, w.as[mOrgAdmin], "POST", "/api/v1/me/api-tokens", map[string]any{"name": "baca organisasi", "scopes": []string{"org.read"},
		"expires_at": time.Now().Add(30 * 24 * time.Hour).UTC()}, &tok, 201)
	w.tokenID = tok.ID
	w.as[mToken] = &apiClient{t: t, base: f.srv.URL, token: tok.Token}

	// The course of BPSDM Jawa Barat, shared with the province, published by the platform admin.
	instructor := w.as[mInstructor]
	var course struct {
		ID          string     `json:"id"`
		OpenVersion idResponse `json:"open_version"`
	}
	w.must(t, instructor, "POST", "/api/v1/courses", map[string]any{
		"org_id": w.bpsdmJabar, "code": "PELAYANAN-JABAR", "sharing": "listed", "shared_org_ids": []string{w.provJabar},
		"title": "Pelayanan Publik Jawa Barat", "summary": "Standar pelayanan publik di Jawa Barat.", "language": "id",
		"objectives": []string{"Menerapkan standar pelayanan"}, "competency_tags": []string{"pelayanan-publik"},
		"delivery_mode": "blended", "jp_credit": 4, "level": "basic",
	}, &course, 201)
	w.course = course.ID
	version := course.OpenVersion.ID
	var module, lesson, doc, text idResponse
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+version+"/modules", map[string]any{"title": "Standar"}, &module, 201)
	w.must(t, instructor, "POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "Maklumat"}, &lesson, 201)
	file := uploadFile(t, instructor, "course_document", w.bpsdmJabar, "maklumat.pdf", "application/pdf", []byte("%PDF-1.4\n%maklumat pelayanan\n"))
	w.must(t, instructor, "POST", "/api/v1/lessons/"+lesson.ID+"/items", map[string]any{"kind": "document", "title": "Maklumat", "file_id": file}, &doc, 201)
	w.must(t, instructor, "POST", "/api/v1/lessons/"+lesson.ID+"/items", map[string]any{"kind": "text", "title": "Bacaan", "body": "<p>Standar.</p>"}, &text, 201)
	w.docItem, w.textItem = doc.ID, text.ID
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+version+"/submit", nil, nil, 200)
	w.must(t, w.as[mAdmin], "POST", "/api/v1/course-versions/"+version+"/reviews", approval, nil, 201)
	w.published = version

	// Its open class, with a session next month and one now; Budi enrols.
	w.class = w.newClass(t, "open")
	w.session = w.newSession(t, w.class, time.Now().UTC().Truncate(time.Hour).AddDate(0, 1, 0))
	w.nowSession = w.newSession(t, w.class, time.Now().UTC().Add(-10*time.Minute))
	var enrolment idResponse
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+w.class+"/enrolments", nil, &enrolment, 201)
	w.budiEnrolment = enrolment.ID

	// Its learning path, shared like the course.
	var path idResponse
	w.must(t, instructor, "POST", "/api/v1/learning-paths", map[string]any{"org_id": w.bpsdmJabar, "code": "JALUR-PELAYANAN",
		"title": "Jalur Pelayanan", "sharing": "listed", "shared_org_ids": []string{w.provJabar},
		"steps": []map[string]any{{"course_id": w.course}}}, &path, 201)
	w.path = path.ID

	// A user import of the org admin, queued (no worker runs).
	w.importFile = uploadFile(t, w.as[mOrgAdmin], "user_import", w.diskominfo, "pegawai.csv", "text/csv",
		[]byte("nip,nama,email,kode_unit\n199001012015011001,Asep,asep@diskominfo.bandung.go.id,DISKOMINFO-BANDUNG\n"))
	w.job = w.newJob(t)
	return w
}

var approval = map[string]any{"decision": "approve", "comments": "Sesuai standar.",
	"checklist": map[string]bool{"objectives": true, "assessment": true, "jp": true, "accessibility": true}}

func (w *world) newJob(t *testing.T) string {
	var job idResponse
	w.must(t, w.as[mOrgAdmin], "POST", "/api/v1/user-imports", map[string]any{"file_id": w.importFile, "org_id": w.diskominfo, "dry_run": true}, &job, 202)
	return job.ID
}

// newClass opens a class of the published course at BPSDM Jawa Barat.
func (w *world) newClass(t *testing.T, policy string) string {
	t.Helper()
	today := time.Now().UTC()
	var class idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/classes", map[string]any{
		"version_id": w.published, "org_id": w.bpsdmJabar, "code": fmt.Sprintf("PLY-%d", w.seq()),
		"starts_on": today.AddDate(0, 0, -1).Format("2006-01-02"), "ends_on": today.AddDate(0, 4, 0).Format("2006-01-02"),
		"capacity": 50, "policy": policy, "region_code": "32",
	}, &class, 201)
	return class.ID
}

func (w *world) newSession(t *testing.T, class string, start time.Time) string {
	t.Helper()
	var s idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/classes/"+class+"/sessions", map[string]any{
		"kind": "in_person", "title": fmt.Sprintf("Tatap muka %d", w.seq()), "venue": "Aula BPSDM Jawa Barat",
		"starts_at": start, "ends_at": start.Add(time.Hour)}, &s, 201)
	return s.ID
}

// sessionSlot is a distinct future hour per call, so sessions never clash.
func (w *world) sessionSlot() time.Time {
	return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 40).Add(time.Duration(w.seq()) * 2 * time.Hour)
}

// newEnrolment is Budi's enrolment in a fresh class with the policy.
func (w *world) newEnrolment(t *testing.T, policy string) string {
	t.Helper()
	class := w.newClass(t, policy)
	var e idResponse
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+class+"/enrolments", nil, &e, 201)
	return e.ID
}

// draft is a private draft course of BPSDM Jawa Barat with one text item.
type draft struct{ course, version, module, lesson, item string }

func (w *world) newDraft(t *testing.T) draft {
	t.Helper()
	instructor := w.as[mInstructor]
	var course struct {
		ID          string     `json:"id"`
		OpenVersion idResponse `json:"open_version"`
	}
	w.must(t, instructor, "POST", "/api/v1/courses", map[string]any{
		"org_id": w.bpsdmJabar, "code": fmt.Sprintf("DRAF-%d", w.seq()), "sharing": "private",
		"title": "Etika Birokrasi", "summary": "Nilai dasar ASN.", "language": "id",
		"objectives": []string{"Menjelaskan kode etik"}, "competency_tags": []string{"etika"},
		"delivery_mode": "online", "jp_credit": 2, "level": "basic",
	}, &course, 201)
	d := draft{course: course.ID, version: course.OpenVersion.ID}
	var module, lesson, item idResponse
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+d.version+"/modules", map[string]any{"title": "Nilai"}, &module, 201)
	w.must(t, instructor, "POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "BerAKHLAK"}, &lesson, 201)
	w.must(t, instructor, "POST", "/api/v1/lessons/"+lesson.ID+"/items", map[string]any{"kind": "text", "title": "Bacaan", "body": "<p>Nilai.</p>"}, &item, 201)
	d.module, d.lesson, d.item = module.ID, lesson.ID, item.ID
	return d
}

// newUnit is a fresh work unit under Diskominfo Kota Bandung.
func (w *world) newUnit(t *testing.T) string {
	t.Helper()
	var o idResponse
	n := w.seq()
	w.must(t, w.as[mAdmin], "POST", "/api/v1/organizations", map[string]any{"parent_id": w.diskominfo, "kind": "work_unit",
		"code": fmt.Sprintf("SEKSI-%d", n), "name": fmt.Sprintf("Seksi %d", n)}, &o, 201)
	return o.ID
}

// newPerson is a fresh learner of Diskominfo Kota Bandung.
func (w *world) newPerson(t *testing.T) string {
	t.Helper()
	var u idResponse
	n := w.seq()
	w.must(t, w.as[mAdmin], "POST", "/api/v1/users", map[string]any{"name": fmt.Sprintf("Pegawai %d", n),
		"email": fmt.Sprintf("pegawai%d@diskominfo.bandung.go.id", n), "nip": fmt.Sprintf("199001012015011%03d", n%1000),
		"org_id": w.diskominfo}, &u, 201)
	return u.ID
}

// is maps actors to classes: is(actor, class, actor, class, ...).
func is(pairs ...any) map[string]class {
	m := map[string]class{}
	for i := 0; i < len(pairs); i += 2 {
		m[pairs[i].(string)] = pairs[i+1].(class)
	}
	return m
}

func (w *world) matrix() map[string]matrixCase {
	get := func(path string) func(*testing.T, string) call {
		return func(*testing.T, string) call { return call{method: "GET", path: path} }
	}
	send := func(method, path string, body any) func(*testing.T, string) call {
		return func(*testing.T, string) call { return call{method: method, path: path, body: body} }
	}
	// Who may see what belongs to Jawa Barat's course, class and path.
	seesJabarCourse := is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, ok)
	authors := is(mAdmin, ok, mInstructor, ok, mOrgAdmin, forbidden)
	seesJabarCourseOrToken := is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, ok, mToken, ok)
	classManagers := is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden, mToken, forbidden)
	// Question banks are read by course staff of their subtree; learners never read them.
	bankReaders := is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok)
	// Only the class's learner takes its quiz; staff who see the class may not.
	attemptActors := is(mLearner, ok, mAdmin, forbidden, mOrgAdmin, forbidden, mInstructor, forbidden, mToken, forbidden)
	// An attempt is seen by its learner and the class's staff; only its learner changes it.
	attemptChangers := is(mLearner, ok, mAdmin, forbidden, mOrgAdmin, forbidden, mInstructor, forbidden)
	outlineEdit := func(build func(*testing.T, string) call) matrixCase {
		return matrixCase{build: build, want: want(hidden, authors)}
	}
	rows := map[string]matrixCase{
		// Identity.
		"getMe":             {build: get("/api/v1/me"), want: want(ok, nil)},
		"listOrganizations": {build: get("/api/v1/organizations"), want: want(ok, nil)},
		"createOrganization": {build: func(t *testing.T, actor string) call {
			n := w.seq()
			return call{method: "POST", path: "/api/v1/organizations", body: map[string]any{"parent_id": w.diskominfo, "kind": "work_unit",
				"code": fmt.Sprintf("BIDANG-%d", n), "name": fmt.Sprintf("Bidang %d", n)}}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mLearner, forbidden, mToken, forbidden))},
		"getOrganization": {build: get("/api/v1/organizations/" + w.diskominfo),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mLearner, ok, mToken, ok))},
		"updateOrganization": {build: func(t *testing.T, actor string) call {
			return call{method: "PATCH", path: "/api/v1/organizations/" + w.newUnit(t), body: map[string]any{"kind": "work_unit", "code": fmt.Sprintf("SEKSI-X%d", w.seq()), "name": "Seksi Baru"}}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mLearner, forbidden, mToken, forbidden))},
		"deleteOrganization": {build: func(t *testing.T, actor string) call {
			return call{method: "DELETE", path: "/api/v1/organizations/" + w.newUnit(t)}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mLearner, forbidden, mToken, forbidden))},
		"moveOrganization": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/organizations/" + w.newUnit(t) + "/move", body: map[string]any{"parent_id": w.bandung}}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mLearner, forbidden, mToken, forbidden))},
		"searchUsers": {build: get("/api/v1/users?q=budi"), want: want(ok, nil)},
		"createUser": {build: func(t *testing.T, actor string) call {
			n := w.seq()
			return call{method: "POST", path: "/api/v1/users", body: map[string]any{"name": fmt.Sprintf("Calon %d", n),
				"email": fmt.Sprintf("calon%d@diskominfo.bandung.go.id", n), "nip": fmt.Sprintf("199501012020012%03d", n%1000), "org_id": w.diskominfo}}
		}, want: want(badRef, is(mAdmin, ok, mOrgAdmin, ok, mLearner, forbidden, mToken, forbidden))},
		"getUser": {build: get("/api/v1/users/" + w.budi),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mLearner, ok))},
		"updateUser": {build: func(t *testing.T, actor string) call {
			id := w.newPerson(t)
			return call{method: "PATCH", path: "/api/v1/users/" + id, body: map[string]any{"name": "Pegawai Baru", "email": fmt.Sprintf("baru%d@diskominfo.bandung.go.id", w.seq()), "org_id": w.diskominfo}}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok))},
		"transferUser": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/users/" + w.newPerson(t) + "/transfer", body: map[string]any{"to_org_id": w.bandung, "reason": "mutasi"}}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok))},
		"listTransfers": {build: get("/api/v1/users/" + w.budi + "/transfers"),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mLearner, ok))},
		"setUserStatus": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/users/" + w.newPerson(t) + "/status", body: map[string]any{"status": "suspended"}}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok))},
		"listGrants": {build: get("/api/v1/users/" + w.budi + "/grants"),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mLearner, ok))},
		"createGrant": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/users/" + w.newPerson(t) + "/grants", body: map[string]any{"role": "mentor", "org_id": w.diskominfo}}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok))},
		"revokeGrant": {build: func(t *testing.T, actor string) call {
			var g idResponse
			w.must(t, w.as[mAdmin], "POST", "/api/v1/users/"+w.newPerson(t)+"/grants", map[string]any{"role": "mentor", "org_id": w.diskominfo}, &g, 201)
			return call{method: "DELETE", path: "/api/v1/grants/" + g.ID}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok))},
		"listAuditEvents": {build: get("/api/v1/audit-events?org_id=" + w.diskominfo),
			want: want(forbidden, is(mAdmin, ok, mOrgAdmin, ok, mOtherOrgAdmin, hidden))},
		"exportAuditEvents": {build: get("/api/v1/audit-events/export?org_id=" + w.diskominfo),
			want: want(forbidden, is(mAdmin, ok, mOrgAdmin, ok, mOtherOrgAdmin, hidden))},
		"importUsers": {build: send("POST", "/api/v1/user-imports", map[string]any{"file_id": w.importFile, "org_id": w.diskominfo, "dry_run": true}),
			// The file is the org admin's: the platform admin is told it is no file of theirs.
			want: want(hidden, is(mOrgAdmin, ok, mAdmin, badRef, mLearner, forbidden, mToken, forbidden))},
		"getJob": {build: get("/api/v1/jobs/" + w.job), want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mToken, forbidden))},
		"cancelJob": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/jobs/" + w.newJob(t) + "/cancel"}
		},
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mToken, forbidden))},

		// The caller's own account.
		"logoutEverywhere": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/auth/logout-everywhere"}
		},
			want: want(ok, is(mToken, forbidden)), last: true},
		"requestEmailVerification": {build: send("POST", "/api/v1/me/verify-email", nil), want: want(allowed, is(mToken, forbidden))},
		"changePassword": {build: send("POST", "/api/v1/me/password", map[string]any{"current_password": "bukan-kata-sandinya", "new_password": "Kata-Sandi-Baru-2026!"}),
			want: want(allowed, is(mToken, forbidden))},
		"listAPITokens": {build: get("/api/v1/me/api-tokens"), want: want(ok, is(mToken, forbidden))},
		"createAPIToken": {build: send("POST", "/api/v1/me/api-tokens", map[string]any{"name": "skrip", "scopes": []string{"org.read"},
			"expires_at": time.Now().Add(24 * time.Hour).UTC()}), want: want(ok, is(mToken, forbidden))},
		"revokeAPIToken": {build: func(t *testing.T, actor string) call {
			owner := w.as[actor]
			if actor == mToken || actor == mAnonymous {
				owner = w.as[mOrgAdmin]
			}
			var tok idResponse
			w.must(t, owner, "POST", "/api/v1/me/api-tokens", map[string]any{"name": "sementara", "scopes": []string{"org.read"},
				"expires_at": time.Now().Add(24 * time.Hour).UTC()}, &tok, 201)
			return call{method: "DELETE", path: "/api/v1/me/api-tokens/" + tok.ID}
		}, want: want(ok, is(mToken, forbidden))},

		// Courses of BPSDM Jawa Barat.
		"searchCatalogue": {build: get("/api/v1/catalogue"), want: want(ok, nil)},
		"listCourses": {build: get("/api/v1/courses?org_id=" + w.bpsdmJabar),
			want: want(allowed, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok))},
		"createCourse": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/courses", body: map[string]any{"org_id": w.bpsdmJabar, "code": fmt.Sprintf("BARU-%d", w.seq()),
				"title": "Kursus Baru", "sharing": "private"}}
		}, want: want(badRef, is(mAdmin, ok, mInstructor, ok, mOrgAdmin, forbidden))},
		"getCourse": {build: get("/api/v1/courses/" + w.course), want: want(hidden, seesJabarCourseOrToken)},
		"updateCourse": {build: func(t *testing.T, actor string) call {
			return call{method: "PATCH", path: "/api/v1/courses/" + w.newDraft(t).course, body: map[string]any{"sharing": "private"}}
		}, want: want(hidden, authors)},
		"archiveCourse": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/courses/" + w.newDraft(t).course + "/archive"}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, forbidden, mInstructor, forbidden))},
		"createCourseDraft": {build: send("POST", "/api/v1/courses/"+w.course+"/drafts", nil),
			want: want(hidden, is(mAdmin, allowed, mInstructor, allowed, mOrgAdmin, forbidden, mLearner, forbidden, mToken, forbidden))},
		"listCourseVersions": {build: get("/api/v1/courses/" + w.course + "/versions"), want: want(hidden, seesJabarCourseOrToken)},
		"getCourseVersion":   {build: get("/api/v1/course-versions/" + w.published), want: want(hidden, seesJabarCourseOrToken)},
		"updateCourseVersion": {build: func(t *testing.T, actor string) call {
			return call{method: "PATCH", path: "/api/v1/course-versions/" + w.newDraft(t).version, body: map[string]any{"summary": "Diubah."}}
		}, want: want(hidden, authors)},
		"addCourseModule": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/course-versions/" + w.newDraft(t).version + "/modules", body: map[string]any{"title": "Modul"}}
		}),
		"reorderCourseVersion": outlineEdit(func(t *testing.T, actor string) call {
			d := w.newDraft(t)
			return call{method: "POST", path: "/api/v1/course-versions/" + d.version + "/reorder", body: map[string]any{"modules": []map[string]any{
				{"id": d.module, "lessons": []map[string]any{{"id": d.lesson, "item_ids": []string{d.item}}}}}}}
		}),
		"submitCourseVersion": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/course-versions/" + w.newDraft(t).version + "/submit"}
		}),
		"listCourseReviews": {build: get("/api/v1/course-versions/" + w.published + "/reviews"),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden, mToken, forbidden))},
		"reviewCourseVersion": {build: func(t *testing.T, actor string) call {
			d := w.newDraft(t)
			w.must(t, w.as[mInstructor], "POST", "/api/v1/course-versions/"+d.version+"/submit", nil, nil, 200)
			return call{method: "POST", path: "/api/v1/course-versions/" + d.version + "/reviews", body: approval}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, forbidden, mInstructor, forbidden))},
		"listSimilarCourses": {build: get("/api/v1/course-versions/" + w.published + "/similar"),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden, mToken, forbidden))},
		"updateCourseModule": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "PATCH", path: "/api/v1/modules/" + w.newDraft(t).module, body: map[string]any{"title": "Modul Baru"}}
		}),
		"deleteCourseModule": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "DELETE", path: "/api/v1/modules/" + w.newDraft(t).module}
		}),
		"addCourseLesson": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/modules/" + w.newDraft(t).module + "/lessons", body: map[string]any{"title": "Pelajaran"}}
		}),
		"updateCourseLesson": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "PATCH", path: "/api/v1/lessons/" + w.newDraft(t).lesson, body: map[string]any{"title": "Pelajaran Baru"}}
		}),
		"deleteCourseLesson": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "DELETE", path: "/api/v1/lessons/" + w.newDraft(t).lesson}
		}),
		"addCourseItem": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/lessons/" + w.newDraft(t).lesson + "/items", body: map[string]any{"kind": "text", "title": "Bacaan", "body": "<p>Isi.</p>"}}
		}),
		"updateCourseItem": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "PATCH", path: "/api/v1/items/" + w.newDraft(t).item, body: map[string]any{"title": "Bacaan Baru"}}
		}),
		"deleteCourseItem": outlineEdit(func(t *testing.T, actor string) call {
			return call{method: "DELETE", path: "/api/v1/items/" + w.newDraft(t).item}
		}),
		"getCourseItemMedia": {build: get("/api/v1/items/" + w.docItem + "/media"),
			// Staff and the class's learners get the file; others of the province see the course but do not learn in it.
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, ok, mToken, forbidden))},
		"createUpload": {build: send("POST", "/api/v1/uploads", map[string]any{"purpose": "course_document", "filename": "modul.pdf",
			"content_type": "application/pdf", "size": 1024, "org_id": w.bpsdmJabar}),
			want: want(badRef, is(mAdmin, ok, mInstructor, ok, mOrgAdmin, forbidden, mToken, forbidden))},
		"completeUpload": {build: func(t *testing.T, actor string) call {
			var pending struct {
				UploadID string `json:"upload_id"`
			}
			w.must(t, w.as[mInstructor], "POST", "/api/v1/uploads", map[string]any{"purpose": "course_document", "filename": "modul.pdf",
				"content_type": "application/pdf", "size": 1024, "org_id": w.bpsdmJabar}, &pending, 201)
			return call{method: "POST", path: "/api/v1/uploads/" + pending.UploadID + "/complete", body: map[string]any{}}
		}, want: want(hidden, is(mInstructor, allowed))},

		// Learning paths.
		"listLearningPaths": {build: get("/api/v1/learning-paths"), want: want(ok, nil)},
		"createLearningPath": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/learning-paths", body: map[string]any{"org_id": w.bpsdmJabar, "code": fmt.Sprintf("JALUR-%d", w.seq()),
				"title": "Jalur Baru", "steps": []map[string]any{{"course_id": w.course}}}}
		}, want: want(badRef, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok))},
		"getLearningPath": {build: get("/api/v1/learning-paths/" + w.path), want: want(hidden, seesJabarCourseOrToken)},
		"updateLearningPath": {build: send("PATCH", "/api/v1/learning-paths/"+w.path, map[string]any{"title": "Jalur Pelayanan Publik"}),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden, mToken, forbidden))},
		"deleteLearningPath": {build: func(t *testing.T, actor string) call {
			var p idResponse
			w.must(t, w.as[mInstructor], "POST", "/api/v1/learning-paths", map[string]any{"org_id": w.bpsdmJabar, "code": fmt.Sprintf("HAPUS-%d", w.seq()),
				"title": "Jalur Sementara", "sharing": "listed", "shared_org_ids": []string{w.provJabar}, "steps": []map[string]any{{"course_id": w.course}}}, &p, 201)
			return call{method: "DELETE", path: "/api/v1/learning-paths/" + p.ID}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden, mToken, forbidden))},
		"enrolInLearningPath": {build: send("POST", "/api/v1/learning-paths/"+w.path+"/enrolments", nil),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, ok, mToken, forbidden))},

		// Classes of BPSDM Jawa Barat.
		"listClasses": {build: get("/api/v1/classes"), want: want(ok, nil)},
		"createClass": {build: func(t *testing.T, actor string) call {
			// Each opens a class at their own institute: only Jawa Barat's may use the course.
			org := w.bpsdmJabar
			if actor == mOtherOrgAdmin || actor == mOtherInstructor {
				org = w.bpsdmJatim
			}
			today := time.Now().UTC()
			return call{method: "POST", path: "/api/v1/classes", body: map[string]any{"version_id": w.published, "org_id": org,
				"code": fmt.Sprintf("KLS-%d", w.seq()), "starts_on": today.Format("2006-01-02"), "ends_on": today.AddDate(0, 1, 0).Format("2006-01-02"),
				"capacity": 20, "policy": "open"}}
		}, want: want(badRef, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok))},
		"getClass":     {build: get("/api/v1/classes/" + w.class), want: want(hidden, seesJabarCourseOrToken)},
		"listSessions": {build: get("/api/v1/classes/" + w.class + "/sessions"), want: want(hidden, seesJabarCourseOrToken)},
		"getSession":   {build: get("/api/v1/sessions/" + w.session), want: want(hidden, seesJabarCourseOrToken)},
		"updateClass": {build: func(t *testing.T, actor string) call {
			return call{method: "PATCH", path: "/api/v1/classes/" + w.newClass(t, "open"), body: map[string]any{"title": "Kelas Pelayanan"}}
		}, want: want(hidden, classManagers)},
		"setClassStaff": {build: func(t *testing.T, actor string) call {
			return call{method: "PUT", path: "/api/v1/classes/" + w.newClass(t, "open") + "/staff",
				body: map[string]any{"staff": []map[string]any{{"user_id": w.instructorID, "role": "instructor"}}}}
		}, want: want(hidden, classManagers)},
		"createSession": {build: func(t *testing.T, actor string) call {
			start := w.sessionSlot()
			return call{method: "POST", path: "/api/v1/classes/" + w.class + "/sessions", body: map[string]any{"kind": "in_person",
				"title": "Sesi " + actor, "venue": "Aula", "starts_at": start, "ends_at": start.Add(time.Hour)}}
		}, want: want(hidden, classManagers)},
		"updateSession": {build: func(t *testing.T, actor string) call {
			return call{method: "PATCH", path: "/api/v1/sessions/" + w.newSession(t, w.class, w.sessionSlot()), body: map[string]any{"title": "Sesi diubah"}}
		}, want: want(hidden, classManagers)},
		"deleteSession": {build: func(t *testing.T, actor string) call {
			return call{method: "DELETE", path: "/api/v1/sessions/" + w.newSession(t, w.class, w.sessionSlot())}
		}, want: want(hidden, classManagers)},
		"getCheckInCode": {build: get("/api/v1/sessions/" + w.nowSession + "/check-in-code"),
			want: want(hidden, is(mAdmin, ok, mInstructor, ok, mOrgAdmin, forbidden, mLearner, forbidden, mToken, forbidden))},
		"checkIn": {build: func(t *testing.T, actor string) call {
			var code struct {
				Code string `json:"code"`
			}
			w.must(t, w.as[mInstructor], "GET", "/api/v1/sessions/"+w.nowSession+"/check-in-code", nil, &code, 200)
			return call{method: "POST", path: "/api/v1/sessions/" + w.nowSession + "/check-in", body: map[string]any{"code": code.Code}}
			// Who has no enrolment in the class has none to check in with; a
			// token that does not name learning.self is refused first.
		}, want: want(hidden, is(mLearner, ok, mToken, forbidden))},
		"rollCall": {build: send("PUT", "/api/v1/sessions/"+w.nowSession+"/attendance", map[string]any{"records": []map[string]any{{"user_id": w.budi, "status": "present"}}}),
			want: want(hidden, is(mAdmin, ok, mInstructor, ok, mOrgAdmin, forbidden, mLearner, forbidden, mToken, forbidden))},
		"listAttendance": {build: get("/api/v1/sessions/" + w.nowSession + "/attendance"),
			want: want(hidden, is(mAdmin, ok, mInstructor, ok, mOrgAdmin, forbidden, mLearner, forbidden, mToken, forbidden))},
		"enrol": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/classes/" + w.newClass(t, "open") + "/enrolments"}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, ok, mToken, forbidden))},
		"listClassEnrolments": {build: get("/api/v1/classes/" + w.class + "/enrolments"), want: want(hidden, classManagers)},
		"enrolLearnersInBulk": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/classes/" + w.newClass(t, "assigned") + "/enrolments/bulk", body: map[string]any{"user_ids": []string{w.budi}}}
			// The class is assigned-only: who neither manages nor is assigned to it does not see it.
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, forbidden))},
		"getEnrolment": {build: get("/api/v1/enrolments/" + w.budiEnrolment), want: want(hidden, seesJabarCourse)},
		"withdrawEnrolment": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/enrolments/" + w.newEnrolment(t, "open") + "/withdraw"}
		}, want: want(hidden, is(mLearner, ok, mAdmin, ok, mOrgAdmin, ok, mInstructor, ok))},
		"approveEnrolment": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/enrolments/" + w.newEnrolment(t, "approval") + "/approve"}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, forbidden, mLearner, forbidden))},
		"rejectEnrolment": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/enrolments/" + w.newEnrolment(t, "approval") + "/reject", body: map[string]any{"reason": "Kuota unit penuh."}}
		}, want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, forbidden, mLearner, forbidden))},
		"listMyEnrolments":   {build: get("/api/v1/me/enrolments"), want: want(ok, is(mToken, forbidden))},
		"listTeamEnrolments": {build: get("/api/v1/team/enrolments"), want: want(ok, nil)},
		"recordProgress": {build: send("POST", "/api/v1/enrolments/"+w.budiEnrolment+"/progress", map[string]any{"item_id": w.textItem, "event": "viewed"}),
			want: want(hidden, is(mLearner, ok, mAdmin, forbidden, mOrgAdmin, forbidden, mInstructor, forbidden))},
		"getProgress": {build: get("/api/v1/enrolments/" + w.budiEnrolment + "/progress"), want: want(hidden, seesJabarCourse)},
		"getMyJP":     {build: get("/api/v1/me/jp"), want: want(ok, is(mToken, forbidden))},

		// Question banks, quizzes and attempts of BPSDM Jawa Barat (see quiz_matrix_test.go).
		"listQuestionBanks":  {build: get("/api/v1/question-banks"), want: want(ok, nil)},
		"createQuestionBank": {build: send("POST", "/api/v1/question-banks", map[string]any{"org_id": w.bpsdmJabar, "name": "Bank Baru"}), want: want(badRef, authors)},
		"getQuestionBank":    {build: w.quizGet(func(q *quizWorld) string { return "/api/v1/question-banks/" + q.bank }), want: want(hidden, bankReaders)},
		"updateQuestionBank": {build: w.quizSend("PATCH", func(q *quizWorld) string { return "/api/v1/question-banks/" + q.bank }, map[string]any{"description": "Bank soal pelayanan."}),
			want: want(hidden, authors)},
		"listQuestionCategories": {build: w.quizGet(func(q *quizWorld) string { return "/api/v1/question-banks/" + q.bank + "/categories" }), want: want(hidden, bankReaders)},
		"createQuestionCategory": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/question-banks/" + w.quizzes(t).bank + "/categories", body: map[string]any{"name": fmt.Sprintf("Kategori %d", w.seq())}}
		}, want: want(hidden, authors)},
		"listQuestions":  {build: w.quizGet(func(q *quizWorld) string { return "/api/v1/question-banks/" + q.bank + "/questions" }), want: want(hidden, bankReaders)},
		"createQuestion": {build: w.quizSend("POST", func(q *quizWorld) string { return "/api/v1/question-banks/" + q.bank + "/questions" }, trueFalseQuestion), want: want(hidden, authors)},
		"getQuestion": {build: w.quizGet(func(q *quizWorld) string { return "/api/v1/question-banks/" + q.bank + "/questions/" + q.question }),
			want: want(hidden, bankReaders)},
		"updateQuestion": {build: w.quizSend("PATCH", func(q *quizWorld) string { return "/api/v1/question-banks/" + q.bank + "/questions/" + q.question },
			map[string]any{"name": "Soal pelayanan"}), want: want(hidden, authors)},
		"archiveQuestion": {build: func(t *testing.T, actor string) call {
			q := w.quizzes(t)
			return call{method: "DELETE", path: "/api/v1/question-banks/" + q.bank + "/questions/" + w.newQuestion(t, q.bank)}
		}, want: want(hidden, authors)},
		"getQuiz": {build: w.quizGet(func(q *quizWorld) string { return "/api/v1/quizzes/" + q.item }), want: want(hidden, bankReaders)},
		"setQuiz": {build: func(t *testing.T, actor string) call {
			return call{method: "PUT", path: "/api/v1/quizzes/" + w.newQuizItem(t, w.newDraft(t).lesson), body: map[string]any{"attempts_allowed": 2}}
		}, want: want(hidden, authors)},
		"importQuestions": {build: func(t *testing.T, actor string) call {
			q := w.quizzes(t)
			return call{method: "POST", path: "/api/v1/question-banks/" + q.bank + "/imports",
				body: map[string]any{"file_id": w.questionFile(t, actor), "format": "gift", "dry_run": true}}
		}, want: want(hidden, authors)},
		"exportQuestionBank": {build: w.quizGet(func(q *quizWorld) string { return "/api/v1/question-banks/" + q.bank + "/export?format=gift" }),
			want: want(hidden, bankReaders)},
		"startQuizStatistics": {build: w.quizSend("POST", func(q *quizWorld) string { return "/api/v1/quizzes/" + q.item + "/statistics" }, map[string]any{}),
			want: want(hidden, bankReaders)},
		// A key fix is the bank's authors'; a regrade, the course's authors'.
		"fixQuestionKey": {build: w.quizSend("PUT", func(q *quizWorld) string {
			return "/api/v1/question-banks/" + q.bank + "/questions/" + q.question + "/versions/1/key"
		}, map[string]any{"correct": false}), want: want(hidden, authors)},
		"startQuizRegrade": {build: w.quizSend("POST", func(q *quizWorld) string { return "/api/v1/quizzes/" + q.item + "/regrade" }, map[string]any{}),
			want: want(hidden, authors)},
		"setClassQuizSettings": {build: w.quizSend("PUT", func(q *quizWorld) string { return "/api/v1/classes/" + q.class + "/quizzes/" + q.item + "/settings" },
			map[string]any{"time_limit_seconds": 3600}), want: want(hidden, classManagers)},
		"setQuizExtraAttempts": {build: w.quizSend("PUT", func(q *quizWorld) string {
			return "/api/v1/classes/" + q.class + "/quizzes/" + q.item + "/extra-attempts/" + w.budi
		}, map[string]any{"extra": 1}), want: want(hidden, classManagers)},
		"listClassAttempts": {build: w.quizGet(func(q *quizWorld) string { return "/api/v1/classes/" + q.class + "/quizzes/" + q.item + "/attempts" }),
			// Staff list every attempt, the class's learner their own; who sees the class and neither is refused.
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, ok, mToken, forbidden))},
		"listQuizGradingQueue": {build: w.quizGet(func(q *quizWorld) string {
			return "/api/v1/classes/" + q.class + "/quizzes/" + q.item + "/grading-queue"
		}),
			want: want(hidden, classManagers)},
		"startAttempt": {build: w.quizSend("POST", func(q *quizWorld) string { return "/api/v1/quizzes/" + q.item + "/attempts" }, nil),
			want: want(hidden, attemptActors)},
		"getAttempt": {build: w.quizGet(func(q *quizWorld) string { return "/api/v1/attempts/" + q.attempt }),
			want: want(hidden, is(mLearner, ok, mAdmin, ok, mOrgAdmin, ok, mInstructor, ok))},
		"saveAnswer": {build: func(t *testing.T, actor string) call {
			return call{method: "PUT", path: "/api/v1/attempts/" + w.quizzes(t).attempt + "/answers/1", body: map[string]any{"seq": w.seq(), "response": map[string]any{"value": true}}}
		}, want: want(hidden, attemptChangers)},
		"submitAttempt": {build: func(t *testing.T, actor string) call {
			return call{method: "POST", path: "/api/v1/attempts/" + w.startAttempt(t) + "/submit"}
		}, want: want(hidden, attemptChangers)},
		"gradeAttemptSlot": {build: w.quizSend("POST", func(q *quizWorld) string { return "/api/v1/attempts/" + q.attempt + "/slots/1/grade" }, map[string]any{"score": 1}),
			// Only an essay waiting for a grader is graded: staff reach the 409 of this true/false slot.
			want: want(hidden, is(mAdmin, allowed, mOrgAdmin, allowed, mInstructor, allowed, mLearner, forbidden))},
	}
	return rows
}

// bearerOperations lists the operations of the document that require a token, by id.
func bearerOperations(t *testing.T) map[string]string {
	t.Helper()
	c, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]string{}
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !requiresBearer(c.doc, op) {
				continue
			}
			id := op.OperationID
			if id == "" {
				id = method + " " + path
			}
			ops[id] = method + " " + path
		}
	}
	return ops
}

func TestEveryAuthenticatedOperationAsEveryActorInsideAndOutsideTheOwningProvince(t *testing.T) {
	t.Parallel()
	ops := bearerOperations(t)
	w := newWorld(t)
	// The world is set up; its setup calls after this belong to the cells.
	for _, c := range w.as {
		c.t = t
	}
	rows := w.matrix()
	maps.Copy(rows, w.certificateMatrix())
	maps.Copy(rows, w.gradebookMatrix())
	maps.Copy(rows, w.assignmentMatrix())
	for id, route := range ops {
		if _, ok := rows[id]; !ok {
			t.Errorf("operation %s (%s) has no entry in the tenancy matrix: add one to world.matrix", id, route)
		}
	}
	for id := range rows {
		if _, ok := ops[id]; !ok {
			t.Errorf("the tenancy matrix has an entry for %s, which openapi.yaml does not describe as an authenticated operation", id)
		}
	}
	for cell := range knownDefects {
		op, actor, _ := strings.Cut(cell, " / ")
		if _, ok := rows[op]; !ok || !slices.Contains(matrixActors, actor) {
			t.Errorf("knownDefects names %q, which is no cell of the matrix", cell)
		}
	}
	ids := make([]string, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	sort.SliceStable(ids, func(i, j int) bool {
		if rows[ids[i]].last != rows[ids[j]].last {
			return !rows[ids[i]].last
		}
		return ids[i] < ids[j]
	})
	var defects []string
	for _, id := range ids {
		row := rows[id]
		route := ops[id]
		t.Run(id, func(t *testing.T) {
			for _, actor := range matrixActors {
				req := row.build(t, actor)
				client := w.as[actor]
				if req.as != nil {
					client = req.as
				}
				c := *client
				c.t = t
				if got := req.method + " " + routeOf(t, req); got != route {
					t.Fatalf("the entry for %s sends %s, not %s", id, got, route)
				}
				status := c.doWith(req.headers, req.method, req.path, req.body, nil)
				expected := row.want.of(actor)
				cell := id + " / " + actor
				switch {
				case expected.admits(status) && knownDefects[cell]:
					t.Errorf("%s %s as %s = %d, as it should: remove %q from knownDefects", req.method, req.path, actor, status, cell)
				case expected.admits(status):
				case knownDefects[cell]:
					defects = append(defects, fmt.Sprintf("%s = %d, want %s", cell, status, expected))
				default:
					t.Errorf("%s %s as %s = %d, want %s", req.method, req.path, actor, status, expected)
				}
			}
		})
	}
	for _, d := range defects {
		t.Logf("known defect: %s", d)
	}
	t.Logf("the tenancy matrix covers %d authenticated operations for %d actors", len(ops), len(matrixActors))
}

// routeOf names the document's path template the request matches.
func routeOf(t *testing.T, req call) string {
	t.Helper()
	c, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.NewRequest(req.method, "http://127.0.0.1"+req.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	route, _, err := c.router.FindRoute(r)
	if err != nil {
		return "(no operation) " + req.path
	}
	return route.Path
}
