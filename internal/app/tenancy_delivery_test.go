package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"
)

// deliveryCase is one endpoint of the course and delivery matrix, called by
// every caller of the fixture.
type deliveryCase struct {
	name   string
	method string
	path   string
	body   func(caller string) any
	// first lists the callers who call before the others, in this order: the
	// cases that change state put the caller whose change the others then
	// meet first, so every status is exact. The others call in name order.
	first []string
	want  outcome
	// check looks at the body of a 2xx answer.
	check func(t *testing.T, caller string, raw json.RawMessage)
}

// callOrder returns the fixture's callers, first ones first, then the rest by name.
func (f *fixture) callOrder(first []string) []string {
	rest := make([]string, 0, len(f.clients))
	for name := range f.clients {
		if !slices.Contains(first, name) {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(slices.Clone(first), rest...)
}

func (f *fixture) runMatrix(t *testing.T, tests []deliveryCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, caller := range f.callOrder(tt.first) {
				var body any
				if tt.body != nil {
					body = tt.body(caller)
				}
				c := *f.clients[caller]
				c.t = t
				var raw json.RawMessage
				got, want := c.do(tt.method, tt.path, body, &raw), tt.want.for_(caller)
				if got != want {
					t.Errorf("%s %s as %s = %d, want %d", tt.method, tt.path, caller, got, want)
					continue
				}
				if tt.check != nil && got < 300 {
					tt.check(t, caller, raw)
				}
			}
		})
	}
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// The instructor of BPSDM Jawa Barat, who opened the demo class.
const (
	jabarInstructor      = "jabar instructor"
	jabarInstructorEmail = "instruktur@bpsdm.jabarprov.go.id"
)

func TestEveryCourseAndDeliveryEndpointAsEveryRoleInsideAndOutsideTheOwningSubtree(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// The instructor of BPSDM Jawa Barat runs the demo class; callers does not
	// list them, so this fixture adds them (callers itself is shared).
	f.clients[jabarInstructor] = login(t, f.srv, jabarInstructorEmail)
	admin, author := f.clients["platform admin"], f.clients["national instructor"]
	national, jabar := f.org["BPSDM-KEMENDAGRI"], f.org["BPSDM-JABAR"]
	budiID, fajarID := f.user["budi@diskominfo.bandung.go.id"], f.user["fajar@bappeda.sidoarjokab.go.id"]

	// The seeded demo: the published course, its text item, the open class and its session.
	var courses struct {
		Items []struct {
			ID                 string `json:"id"`
			Code               string `json:"code"`
			PublishedVersionID string `json:"published_version_id"`
		} `json:"items"`
	}
	if s := admin.do("GET", "/api/v1/courses?org_id="+national+"&q="+demoCourseCode, nil, &courses); s != http.StatusOK ||
		len(courses.Items) != 1 || courses.Items[0].PublishedVersionID == "" {
		t.Fatalf("find the demo course = %d %+v", s, courses.Items)
	}
	demoCourse, published := courses.Items[0].ID, courses.Items[0].PublishedVersionID
	var version struct {
		Modules []struct {
			Lessons []struct {
				Items []struct{ ID, Kind string } `json:"items"`
			} `json:"lessons"`
		} `json:"modules"`
	}
	if s := admin.do("GET", "/api/v1/course-versions/"+published, nil, &version); s != http.StatusOK {
		t.Fatalf("read the demo version = %d", s)
	}
	var textItem string
	for _, m := range version.Modules {
		for _, l := range m.Lessons {
			for _, it := range l.Items {
				if it.Kind == "text" {
					textItem = it.ID
				}
			}
		}
	}
	if textItem == "" {
		t.Fatalf("the demo version has no text item: %+v", version)
	}
	var classes struct {
		Items []struct{ ID, Code string } `json:"items"`
	}
	if s := admin.do("GET", "/api/v1/classes?org_id="+jabar, nil, &classes); s != http.StatusOK {
		t.Fatalf("list the classes of BPSDM Jawa Barat = %d", s)
	}
	var class string
	for _, c := range classes.Items {
		if c.Code == demoCourseCode+"-JABAR-1" {
			class = c.ID
		}
	}
	if class == "" {
		t.Fatalf("the demo class is missing: %+v", classes.Items)
	}
	var sessions struct {
		Items []struct{ ID string } `json:"items"`
	}
	if s := admin.do("GET", "/api/v1/classes/"+class+"/sessions", nil, &sessions); s != http.StatusOK || len(sessions.Items) != 1 {
		t.Fatalf("list the demo sessions = %d %+v", s, sessions.Items)
	}
	session := sessions.Items[0].ID

	// A private draft of the national institute, complete enough to submit.
	var draftCourse struct {
		ID          string     `json:"id"`
		OpenVersion idResponse `json:"open_version"`
	}
	if s := author.do("POST", "/api/v1/courses", map[string]any{
		"org_id": national, "code": "TATA-DATA-DRAFT", "sharing": "private",
		"title": "Tata Kelola Data Pemerintah", "summary": "Satu Data Indonesia bagi perangkat daerah.",
		"language": "id", "objectives": []string{"Menjelaskan prinsip Satu Data Indonesia"},
		"competency_tags": []string{"tata-kelola-data"}, "delivery_mode": "online", "jp_credit": 4, "level": "basic",
	}, &draftCourse); s != http.StatusCreated || draftCourse.OpenVersion.ID == "" {
		t.Fatalf("create the draft = %d %+v", s, draftCourse)
	}
	draft := draftCourse.OpenVersion.ID
	var module, lesson idResponse
	if s := author.do("POST", "/api/v1/course-versions/"+draft+"/modules", map[string]any{"title": "Prinsip"}, &module); s != http.StatusCreated {
		t.Fatalf("add module = %d", s)
	}
	if s := author.do("POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "Satu Data"}, &lesson); s != http.StatusCreated {
		t.Fatalf("add lesson = %d", s)
	}
	if s := author.do("POST", "/api/v1/lessons/"+lesson.ID+"/items", map[string]any{
		"kind": "text", "title": "Bacaan", "required": true, "body": "<p>Data yang dapat dibagipakaikan.</p>",
	}, nil); s != http.StatusCreated {
		t.Fatalf("add item = %d", s)
	}

	courseStaff := map[string]bool{"platform admin": true, "national instructor": true, "national reviewer": true}

	// Sessions are scheduled a month ahead, three hours apart per caller, so
	// that no two overlap and none is near the check-in window.
	sessionStart := map[string]time.Time{}
	base := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 30).Add(time.Hour)
	for i, caller := range f.callOrder(nil) {
		sessionStart[caller] = base.Add(time.Duration(i) * 3 * time.Hour)
	}

	var fajarEnrolment string

	// Before anyone learns in the demo class.
	f.runMatrix(t, []deliveryCase{
		{name: "read the draft course", method: "GET", path: "/api/v1/courses/" + draftCourse.ID,
			want: only(404, map[string]int{"platform admin": 200, "national instructor": 200, "national reviewer": 200})},
		{name: "read the draft version", method: "GET", path: "/api/v1/course-versions/" + draft,
			want: only(404, map[string]int{"platform admin": 200, "national instructor": 200, "national reviewer": 200}),
			check: func(t *testing.T, caller string, raw json.RawMessage) {
				v := decode[struct {
					Status        string `json:"status"`
					ContentHidden bool   `json:"content_hidden"`
				}](t, raw)
				if v.Status != "draft" || v.ContentHidden {
					t.Errorf("draft version as %s = %+v, want the whole draft", caller, v)
				}
			}},
		{name: "list the reviews of the draft version", method: "GET", path: "/api/v1/course-versions/" + draft + "/reviews",
			want: only(404, map[string]int{"platform admin": 200, "national instructor": 200, "national reviewer": 200})},
		{name: "list the courses of BPSDM Kemendagri", method: "GET", path: "/api/v1/courses?org_id=" + national,
			// An organisation whose courses the caller may not read is reported as a bad filter, as for grants.
			want: only(422, map[string]int{"platform admin": 200, "national instructor": 200, "national reviewer": 200})},
		{name: "change the draft course's sharing", method: "PATCH", path: "/api/v1/courses/" + draftCourse.ID,
			body: func(string) any { return map[string]any{"sharing": "private"} },
			want: only(404, map[string]int{"platform admin": 200, "national instructor": 200, "national reviewer": 200})},
		{name: "change the draft version", method: "PATCH", path: "/api/v1/course-versions/" + draft,
			body: func(caller string) any {
				return map[string]any{"summary": "Satu Data Indonesia, diubah oleh " + caller + "."}
			},
			want: only(404, map[string]int{"platform admin": 200, "national instructor": 200, "national reviewer": 403})},
		{name: "submit the draft version", method: "POST", path: "/api/v1/course-versions/" + draft + "/submit",
			// The author submits; the platform admin, who may too, then finds it in review.
			first: []string{"national instructor"},
			want:  only(404, map[string]int{"national instructor": 200, "platform admin": 409, "national reviewer": 403})},
		{name: "review the version in review", method: "POST", path: "/api/v1/course-versions/" + draft + "/reviews",
			body: func(string) any {
				return map[string]any{"decision": "request_changes", "comments": "Lengkapi penilaian.",
					"checklist": map[string]bool{"objectives": true}}
			},
			// The reviewer sends it back; the platform admin, who may review too, then finds it no longer in review.
			first: []string{"national reviewer"},
			want:  only(404, map[string]int{"national reviewer": 201, "platform admin": 409, "national instructor": 403})},
		{name: "search the catalogue", method: "GET", path: "/api/v1/catalogue", want: only(200, map[string]int{}),
			check: func(t *testing.T, caller string, raw json.RawMessage) {
				res := decode[struct {
					Items []struct{ Code string } `json:"items"`
				}](t, raw)
				var codes []string
				for _, it := range res.Items {
					codes = append(codes, it.Code)
				}
				if !slices.Contains(codes, demoCourseCode) || slices.Contains(codes, "TATA-DATA-DRAFT") {
					t.Errorf("catalogue as %s = %v, want the national demo course and not the draft", caller, codes)
				}
			}},
		{name: "read the nationally shared course", method: "GET", path: "/api/v1/courses/" + demoCourse, want: only(200, map[string]int{})},
		{name: "read the published version", method: "GET", path: "/api/v1/course-versions/" + published, want: only(200, map[string]int{}),
			check: func(t *testing.T, caller string, raw json.RawMessage) {
				v := decode[struct {
					ContentHidden bool `json:"content_hidden"`
				}](t, raw)
				if v.ContentHidden == courseStaff[caller] {
					t.Errorf("published version as %s: content_hidden = %v, want the content for course staff only", caller, v.ContentHidden)
				}
			}},
		{name: "download the media of a text item", method: "GET", path: "/api/v1/items/" + textItem + "/media",
			// Staff reach the item and learn it has no file (404); others see the
			// course in the catalogue but do not learn in it (403).
			want: only(403, map[string]int{"platform admin": 404, "national instructor": 404, "national reviewer": 404})},
		{name: "read the open class", method: "GET", path: "/api/v1/classes/" + class, want: only(200, map[string]int{})},
		{name: "list the open class's sessions", method: "GET", path: "/api/v1/classes/" + class + "/sessions", want: only(200, map[string]int{})},
		{name: "read the open class's session", method: "GET", path: "/api/v1/sessions/" + session, want: only(200, map[string]int{})},
		{name: "change the open class", method: "PATCH", path: "/api/v1/classes/" + class,
			body: func(string) any { return map[string]any{"title": "Literasi Digital bagi ASN (Jawa Barat)"} },
			want: only(403, map[string]int{"platform admin": 200, "jabar org admin": 200, jabarInstructor: 200})},
		{name: "schedule a session of the open class", method: "POST", path: "/api/v1/classes/" + class + "/sessions",
			body: func(caller string) any {
				return map[string]any{"kind": "in_person", "title": "Tatap muka " + caller, "venue": "Aula BPSDM Jawa Barat",
					"starts_at": sessionStart[caller], "ends_at": sessionStart[caller].Add(time.Hour)}
			},
			want: only(403, map[string]int{"platform admin": 201, "jabar org admin": 201, jabarInstructor: 201})},
		{name: "show the check-in code a week ahead", method: "GET", path: "/api/v1/sessions/" + session + "/check-in-code",
			// Who may teach the class is told the window is not open; the class is open, so others are refused.
			want: only(403, map[string]int{"platform admin": 409, jabarInstructor: 409, "jabar mentor": 409})},
		{name: "assign the Sidoarjo learner to the open class", method: "POST", path: "/api/v1/classes/" + class + "/enrolments/bulk",
			body: func(string) any { return map[string]any{"user_ids": []string{fajarID}} },
			// Only the platform admin may assign a learner of Jawa Timur. Those who
			// assign elsewhere are told no such person is theirs to assign (as if
			// unknown, so NIPs and ids cannot be probed); those who assign nobody get 403.
			want: only(403, map[string]int{"platform admin": 200, "jabar org admin": 200, "bandung supervisor": 200}),
			check: func(t *testing.T, caller string, raw json.RawMessage) {
				res := decode[struct {
					Assigned []struct {
						UserID    string     `json:"user_id"`
						Enrolment idResponse `json:"enrolment"`
					} `json:"assigned"`
					Waitlisted []json.RawMessage `json:"waitlisted"`
					Skipped    []struct {
						UserID string `json:"user_id"`
						Reason string `json:"reason"`
					} `json:"skipped"`
				}](t, raw)
				if caller == "platform admin" {
					if len(res.Assigned) != 1 || res.Assigned[0].UserID != fajarID || len(res.Skipped) != 0 || len(res.Waitlisted) != 0 {
						t.Errorf("assignment as %s = %s, want Fajar assigned", caller, raw)
						return
					}
					fajarEnrolment = res.Assigned[0].Enrolment.ID
					return
				}
				if len(res.Assigned) != 0 || len(res.Waitlisted) != 0 || len(res.Skipped) != 1 ||
					res.Skipped[0].UserID != fajarID || res.Skipped[0].Reason != "unknown_user" {
					t.Errorf("assignment as %s = %s, want Fajar skipped as unknown_user", caller, raw)
				}
			}},
	})
	if fajarEnrolment == "" {
		t.Fatal("the platform admin did not assign Fajar")
	}

	// Budi enrols himself in the open class.
	var budiEnrolment struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if s := f.clients["bandung learner"].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, &budiEnrolment); s != http.StatusCreated || budiEnrolment.Status != "active" {
		t.Fatalf("Budi enrols in the open class = %d %+v, want 201 active", s, budiEnrolment)
	}

	// Budi and Fajar learn in the demo class.
	wantTeam := map[string][]string{
		"platform admin":     {budiEnrolment.ID, fajarEnrolment},
		"jabar org admin":    {budiEnrolment.ID},
		"jabar mentor":       {budiEnrolment.ID},
		"bandung supervisor": {budiEnrolment.ID},
	}
	learnsThere := map[string]bool{"bandung learner": true, "sidoarjo learner (jatim)": true}
	f.runMatrix(t, []deliveryCase{
		{name: "list the open class's enrolments", method: "GET", path: "/api/v1/classes/" + class + "/enrolments",
			want: only(403, map[string]int{"platform admin": 200, "jabar org admin": 200, jabarInstructor: 200, "jabar registrar": 200, "jabar mentor": 200}),
			check: func(t *testing.T, caller string, raw json.RawMessage) {
				res := decode[struct {
					Items []struct {
						UserID  string          `json:"user_id"`
						Learner json.RawMessage `json:"learner"`
					} `json:"items"`
				}](t, raw)
				var users []string
				for _, it := range res.Items {
					users = append(users, it.UserID)
				}
				sort.Strings(users)
				want := []string{budiID, fajarID}
				sort.Strings(want)
				if !slices.Equal(users, want) {
					t.Errorf("class enrolments as %s = %v, want Budi's and Fajar's", caller, users)
				}
			}},
		{name: "list the team's enrolments", method: "GET", path: "/api/v1/team/enrolments", want: only(200, map[string]int{}),
			check: func(t *testing.T, caller string, raw json.RawMessage) {
				res := decode[struct {
					Items []struct {
						ID      string `json:"id"`
						Learner struct {
							OrgID string `json:"org_id"`
						} `json:"learner"`
					} `json:"items"`
				}](t, raw)
				// The demo data's own enrolments are not this fixture's to judge.
				ours := map[string]bool{}
				for _, ids := range wantTeam {
					for _, id := range ids {
						ours[id] = true
					}
				}
				var ids []string
				for _, it := range res.Items {
					if ours[it.ID] {
						ids = append(ids, it.ID)
					}
					if caller == "bandung supervisor" && it.Learner.OrgID != f.org["DISKOMINFO-BANDUNG"] {
						t.Errorf("team enrolments as %s include a learner of %s", caller, it.Learner.OrgID)
					}
				}
				sort.Strings(ids)
				want := slices.Clone(wantTeam[caller])
				sort.Strings(want)
				if !slices.Equal(ids, want) {
					t.Errorf("team enrolments as %s = %v, want %v", caller, ids, want)
				}
			}},
		{name: "read Budi's enrolment", method: "GET", path: "/api/v1/enrolments/" + budiEnrolment.ID,
			want: only(404, map[string]int{"bandung learner": 200, "bandung supervisor": 200, "platform admin": 200,
				"jabar org admin": 200, jabarInstructor: 200, "jabar registrar": 200, "jabar mentor": 200}),
			check: func(t *testing.T, caller string, raw json.RawMessage) {
				e := decode[struct {
					UserID  string `json:"user_id"`
					Learner *struct {
						UserID string `json:"user_id"`
					} `json:"learner"`
				}](t, raw)
				// Others than Budi see whose enrolment it is.
				if e.UserID != budiID || (caller == "bandung learner") != (e.Learner == nil) {
					t.Errorf("Budi's enrolment as %s = %s", caller, raw)
				}
			}},
		{name: "download the media of a text item as its learners", method: "GET", path: "/api/v1/items/" + textItem + "/media",
			want: only(403, map[string]int{"platform admin": 404, "national instructor": 404, "national reviewer": 404,
				"bandung learner": 404, "sidoarjo learner (jatim)": 404})},
		{name: "read the published version as its learners", method: "GET", path: "/api/v1/course-versions/" + published, want: only(200, map[string]int{}),
			check: func(t *testing.T, caller string, raw json.RawMessage) {
				v := decode[struct {
					ContentHidden bool `json:"content_hidden"`
				}](t, raw)
				if v.ContentHidden == (courseStaff[caller] || learnsThere[caller]) {
					t.Errorf("published version as %s: content_hidden = %v, want the content for staff and learners only", caller, v.ContentHidden)
				}
			}},
		{name: "show the check-in code to the class's learners", method: "GET", path: "/api/v1/sessions/" + session + "/check-in-code",
			want: only(403, map[string]int{"platform admin": 409, jabarInstructor: 409, "jabar mentor": 409})},
	})
}

// publishCourse authors, submits and (by the national reviewer) publishes a
// course of BPSDM Kemendagri through the API; it returns the course and its
// published version.
func publishCourse(t *testing.T, f *fixture, code, sharing string) (courseID, versionID string) {
	t.Helper()
	author, reviewer := f.clients["national instructor"], f.clients["national reviewer"]
	var c struct {
		ID          string     `json:"id"`
		OpenVersion idResponse `json:"open_version"`
	}
	if s := author.do("POST", "/api/v1/courses", map[string]any{
		"org_id": f.org["BPSDM-KEMENDAGRI"], "code": code, "sharing": sharing,
		"title": "Keamanan Siber " + code, "summary": "Kursus internal.", "language": "id",
		"objectives": []string{"Menjaga data"}, "competency_tags": []string{"keamanan"}, "delivery_mode": "online",
		"jp_credit": 6, "level": "basic",
	}, &c); s != http.StatusCreated {
		t.Fatalf("create course %s = %d", code, s)
	}
	var module, lesson idResponse
	author.do("POST", "/api/v1/course-versions/"+c.OpenVersion.ID+"/modules", map[string]any{"title": "M"}, &module)
	author.do("POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "L"}, &lesson)
	if s := author.do("POST", "/api/v1/lessons/"+lesson.ID+"/items", map[string]any{
		"kind": "text", "title": "Bacaan", "required": true, "body": "<p>Rahasia.</p>"}, nil); s != http.StatusCreated {
		t.Fatalf("add item = %d", s)
	}
	if s := author.do("POST", "/api/v1/course-versions/"+c.OpenVersion.ID+"/submit", nil, nil); s != http.StatusOK {
		t.Fatalf("submit = %d", s)
	}
	if s := reviewer.do("POST", "/api/v1/course-versions/"+c.OpenVersion.ID+"/reviews", map[string]any{
		"decision": "approve", "comments": "Baik.",
		"checklist": map[string]bool{"objectives": true, "assessment": true, "jp": true, "accessibility": true},
	}, nil); s != http.StatusCreated {
		t.Fatalf("approve = %d", s)
	}
	return c.ID, c.OpenVersion.ID
}

// openClass opens a class through the API and returns its id.
func openClass(t *testing.T, c *apiClient, versionID, orgID, code, policy string) (string, int) {
	t.Helper()
	today := time.Now().UTC().Format(time.DateOnly)
	var cl idResponse
	s := c.do("POST", "/api/v1/classes", map[string]any{"version_id": versionID, "org_id": orgID, "code": code,
		"starts_on": today, "ends_on": time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly), "capacity": 30, "policy": policy}, &cl)
	return cl.ID, s
}

func classListed(t *testing.T, c *apiClient, classID string) bool {
	t.Helper()
	var res struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if s := c.do("GET", "/api/v1/classes?limit=200", nil, &res); s != http.StatusOK {
		t.Fatalf("GET /classes = %d", s)
	}
	return slices.ContainsFunc(res.Items, func(it struct {
		ID string `json:"id"`
	}) bool {
		return it.ID == classID
	})
}

func TestAPrivateCourseDoesNotLeakThroughItsClasses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.clients[jabarInstructor] = login(t, f.srv, jabarInstructorEmail)
	courseID, version := publishCourse(t, f, "SIBER-PRIVAT", "private")

	// The Jawa Barat instructor may manage classes at BPSDM Jawa Barat, but
	// the course is BPSDM Kemendagri's own: it is as if it did not exist.
	if _, s := openClass(t, f.clients[jabarInstructor], version, f.org["BPSDM-JABAR"], "SIBER-JABAR", "open"); s != http.StatusUnprocessableEntity {
		t.Errorf("open a class of another institute's private course = %d, want 422", s)
	}
	// Its own institute opens an open and an approval class.
	open, s := openClass(t, f.clients["national instructor"], version, f.org["BPSDM-KEMENDAGRI"], "SIBER-1", "open")
	if s != http.StatusCreated {
		t.Fatalf("open a class of the own private course = %d, want 201", s)
	}
	approval, s := openClass(t, f.clients["national instructor"], version, f.org["BPSDM-KEMENDAGRI"], "SIBER-2", "approval")
	if s != http.StatusCreated {
		t.Fatalf("open an approval class of the own private course = %d, want 201", s)
	}

	outsiders := []string{"sidoarjo learner (jatim)", "bandung learner", "jabar org admin", "bandung supervisor", jabarInstructor}
	for _, who := range outsiders {
		c := f.clients[who]
		for _, class := range []string{open, approval} {
			if classListed(t, c, class) {
				t.Errorf("GET /classes as %s lists the class %s of a private course", who, class)
			}
			if s := c.do("GET", "/api/v1/classes/"+class, nil, nil); s != http.StatusNotFound {
				t.Errorf("GET the class of a private course as %s = %d, want 404", who, s)
			}
			if s := c.do("POST", "/api/v1/classes/"+class+"/enrolments", nil, nil); s != http.StatusNotFound {
				t.Errorf("enrol in the class of a private course as %s = %d, want 404", who, s)
			}
		}
		if s := c.do("GET", "/api/v1/course-versions/"+version, nil, nil); s != http.StatusNotFound {
			t.Errorf("read the private version as %s = %d, want 404", who, s)
		}
	}
	if !classListed(t, f.clients["national instructor"], open) {
		t.Error("the owning institute's instructor does not see its class")
	}

	// Shared with Jawa Timur, the class is seen and joined there and still not in Jawa Barat.
	if s := f.clients["national instructor"].do("PATCH", "/api/v1/courses/"+courseID, map[string]any{
		"sharing": "listed", "shared_org_ids": []string{f.org["PROV-JATIM"]}}, nil); s != http.StatusOK {
		t.Fatalf("share the course with Jawa Timur = %d", s)
	}
	fajar, budi := f.clients["sidoarjo learner (jatim)"], f.clients["bandung learner"]
	if !classListed(t, fajar, open) || classListed(t, budi, open) {
		t.Errorf("after listing Jawa Timur: listed for Fajar %v (want true), for Budi %v (want false)", classListed(t, fajar, open), classListed(t, budi, open))
	}
	if s := fajar.do("POST", "/api/v1/classes/"+open+"/enrolments", nil, nil); s != http.StatusCreated {
		t.Errorf("enrol in a class of a course shared with Jawa Timur as Fajar = %d, want 201", s)
	}
	if s := budi.do("POST", "/api/v1/classes/"+open+"/enrolments", nil, nil); s != http.StatusNotFound {
		t.Errorf("enrol as Budi of Jawa Barat = %d, want 404", s)
	}
	// An assignment skips a learner whose unit the course is not shared with.
	var res struct {
		Skipped []struct {
			Reason string `json:"reason"`
		} `json:"skipped"`
	}
	if s := f.clients["platform admin"].do("POST", "/api/v1/classes/"+open+"/enrolments/bulk",
		map[string]any{"user_ids": []string{f.user["budi@diskominfo.bandung.go.id"]}}, &res); s != http.StatusOK ||
		len(res.Skipped) != 1 || res.Skipped[0].Reason != "course_not_shared" {
		t.Errorf("assign Budi = %d %+v, want him skipped as course_not_shared", s, res)
	}
}

// approvalClass opens an approval class of the national demo course at BPSDM Jawa Barat.
func approvalClass(t *testing.T, f *fixture, code string) string {
	t.Helper()
	admin := f.clients["platform admin"]
	var courses struct {
		Items []struct {
			PublishedVersionID string `json:"published_version_id"`
		} `json:"items"`
	}
	if s := admin.do("GET", "/api/v1/courses?org_id="+f.org["BPSDM-KEMENDAGRI"]+"&q="+demoCourseCode, nil, &courses); s != http.StatusOK || len(courses.Items) != 1 {
		t.Fatalf("find the demo course = %d", s)
	}
	id, s := openClass(t, admin, courses.Items[0].PublishedVersionID, f.org["BPSDM-JABAR"], code, "approval")
	if s != http.StatusCreated {
		t.Fatalf("open an approval class = %d", s)
	}
	return id
}

func TestSupervisorPowersNeedAGrantNotJustThePointer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	class := approvalClass(t, f, "APPROVAL-SUP")
	var e idResponse
	if s := f.clients["bandung learner"].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, &e); s != http.StatusCreated {
		t.Fatalf("Budi requests a seat = %d", s)
	}
	// Fajar, a plain learner of Jawa Timur, is named Budi's supervisor (as the
	// data allowed before names were checked).
	if err := f.srv.Deps.DB.Conn(context.Background()).Exec("UPDATE users SET supervisor_id = ? WHERE id = ?",
		f.user["fajar@bappeda.sidoarjokab.go.id"], f.user["budi@diskominfo.bandung.go.id"]).Error; err != nil {
		t.Fatal(err)
	}
	fajar := f.clients["sidoarjo learner (jatim)"]
	if s := fajar.do("GET", "/api/v1/enrolments/"+e.ID, nil, nil); s != http.StatusNotFound {
		t.Errorf("read the report's enrolment by pointer alone = %d, want 404", s)
	}
	if s := fajar.do("POST", "/api/v1/enrolments/"+e.ID+"/approve", nil, nil); s != http.StatusNotFound {
		t.Errorf("approve the report's request by pointer alone = %d, want 404", s)
	}
	var team struct {
		Items []json.RawMessage `json:"items"`
	}
	if s := fajar.do("GET", "/api/v1/team/enrolments", nil, &team); s != http.StatusOK || len(team.Items) != 0 {
		t.Errorf("team enrolments by pointer alone = %d with %d items, want 200 with none", s, len(team.Items))
	}
	// The supervisor by grant of Budi's unit decides.
	if s := f.clients["bandung supervisor"].do("POST", "/api/v1/enrolments/"+e.ID+"/approve", nil, nil); s != http.StatusOK {
		t.Errorf("approve as the supervisor by grant = %d, want 200", s)
	}
}

func TestNobodyDecidesOrAssignsTheirOwnEnrolment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	class := approvalClass(t, f, "APPROVAL-SELF")
	for _, who := range []string{"bandung supervisor", "jabar org admin"} {
		c := f.clients[who]
		var e idResponse
		if s := c.do("POST", "/api/v1/classes/"+class+"/enrolments", nil, &e); s != http.StatusCreated {
			t.Fatalf("%s requests a seat = %d", who, s)
		}
		for _, action := range []string{"approve", "reject"} {
			if s := c.do("POST", "/api/v1/enrolments/"+e.ID+"/"+action, nil, nil); s != http.StatusForbidden {
				t.Errorf("%s %ss their own request = %d, want 403", who, action, s)
			}
		}
		var res struct {
			Assigned []json.RawMessage `json:"assigned"`
			Skipped  []struct {
				Reason string `json:"reason"`
			} `json:"skipped"`
		}
		me := f.user[callers[who]]
		if s := c.do("POST", "/api/v1/classes/"+class+"/enrolments/bulk", map[string]any{"user_ids": []string{me}}, &res); s != http.StatusOK ||
			len(res.Assigned) != 0 || len(res.Skipped) != 1 || res.Skipped[0].Reason != "self" {
			t.Errorf("%s assigns themselves = %d %+v, want them skipped as self", who, s, res)
		}
		// Withdrawing one's own request is theirs to do.
		if s := c.do("POST", "/api/v1/enrolments/"+e.ID+"/withdraw", nil, nil); s != http.StatusOK {
			t.Errorf("%s withdraws their own request = %d, want 200", who, s)
		}
	}
	// Another's request: the org admin of Jawa Barat decides Budi's.
	var budi idResponse
	if s := f.clients["bandung learner"].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, &budi); s != http.StatusCreated {
		t.Fatalf("Budi requests a seat = %d", s)
	}
	if s := f.clients["jabar org admin"].do("POST", "/api/v1/enrolments/"+budi.ID+"/approve", nil, nil); s != http.StatusOK {
		t.Errorf("the org admin approves Budi's request = %d, want 200", s)
	}
	if s := f.clients["bandung learner colleague"].do("POST", "/api/v1/enrolments/"+budi.ID+"/withdraw", nil, nil); s != http.StatusNotFound {
		t.Errorf("a colleague withdraws Budi = %d, want 404", s)
	}
}

// withToken returns a client that calls with a personal API token of c's
// user narrowed to scopes.
func withToken(t *testing.T, c *apiClient, scopes ...string) *apiClient {
	t.Helper()
	var tok struct {
		Token string `json:"token"`
	}
	if s := c.do("POST", "/api/v1/me/api-tokens", map[string]any{"name": "token " + scopes[0], "scopes": scopes,
		"expires_at": time.Now().Add(24 * time.Hour).UTC()}, &tok); s != http.StatusCreated || tok.Token == "" {
		t.Fatalf("create an API token with %v = %d", scopes, s)
	}
	out := *c
	out.token = tok.Token
	return &out
}

func TestSelfServiceNeedsATokenThatCarriesLearningSelf(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	budi := f.clients["bandung learner"]
	narrowed, learning := withToken(t, budi, "org.read"), withToken(t, budi, "learning.self")
	class := approvalClass(t, f, "TOKEN-SELF")
	var openClassID string
	var classes struct {
		Items []struct{ ID, Code string } `json:"items"`
	}
	f.clients["platform admin"].do("GET", "/api/v1/classes?org_id="+f.org["BPSDM-JABAR"], nil, &classes)
	for _, c := range classes.Items {
		if c.Code == demoCourseCode+"-JABAR-1" {
			openClassID = c.ID
		}
	}
	var sessions struct {
		Items []struct{ ID string } `json:"items"`
	}
	budi.do("GET", "/api/v1/classes/"+openClassID+"/sessions", nil, &sessions)
	if openClassID == "" || len(sessions.Items) == 0 {
		t.Fatal("the demo class or its session is missing")
	}
	var own struct {
		ID string `json:"id"`
	}
	if s := budi.do("POST", "/api/v1/classes/"+openClassID+"/enrolments", nil, &own); s != http.StatusCreated {
		t.Fatalf("Budi enrols = %d", s)
	}
	var progress struct {
		Items []struct {
			ItemID string `json:"item_id"`
			Kind   string `json:"kind"`
		} `json:"items"`
	}
	budi.do("GET", "/api/v1/enrolments/"+own.ID+"/progress", nil, &progress)
	var textItem string
	for _, it := range progress.Items {
		if it.Kind == "text" {
			textItem = it.ItemID
		}
	}
	actions := []struct {
		name, method, path string
		body               any
		// withSelf is what a token with learning.self gets
		withSelf int
	}{
		{"self-enrol", "POST", "/api/v1/classes/" + class + "/enrolments", nil, http.StatusCreated},
		{"list my enrolments", "GET", "/api/v1/me/enrolments", nil, http.StatusOK},
		{"read my JP", "GET", "/api/v1/me/jp", nil, http.StatusOK},
		{"read my enrolment", "GET", "/api/v1/enrolments/" + own.ID, nil, http.StatusOK},
		{"read my progress", "GET", "/api/v1/enrolments/" + own.ID + "/progress", nil, http.StatusOK},
		{"record progress", "POST", "/api/v1/enrolments/" + own.ID + "/progress", map[string]any{"item_id": textItem, "event": "viewed"}, http.StatusOK},
		// the session is a week ahead: the check-in window is not open yet
		{"check in", "POST", "/api/v1/sessions/" + sessions.Items[0].ID + "/check-in", map[string]any{"code": "123456"}, http.StatusConflict},
		{"enrol in a learning path", "POST", "/api/v1/learning-paths/" + uuidNil + "/enrolments", nil, http.StatusNotFound},
		{"withdraw", "POST", "/api/v1/enrolments/" + own.ID + "/withdraw", nil, http.StatusOK},
	}
	for _, a := range actions {
		if s := narrowed.do(a.method, a.path, a.body, nil); s != http.StatusForbidden {
			t.Errorf("%s with a token narrowed to org.read = %d, want 403", a.name, s)
		}
		if s := learning.do(a.method, a.path, a.body, nil); s != a.withSelf {
			t.Errorf("%s with a token carrying learning.self = %d, want %d", a.name, s, a.withSelf)
		}
	}
}

const uuidNil = "00000000-0000-0000-0000-000000000000"

func TestBadQueryParametersOnEveryCourseAndDeliveryListAre422(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.clients["platform admin"]
	var courses struct {
		Items []struct {
			PublishedVersionID string `json:"published_version_id"`
		} `json:"items"`
	}
	admin.do("GET", "/api/v1/courses?org_id="+f.org["BPSDM-KEMENDAGRI"]+"&q="+demoCourseCode, nil, &courses)
	var classes struct {
		Items []struct{ ID string } `json:"items"`
	}
	admin.do("GET", "/api/v1/classes?org_id="+f.org["BPSDM-JABAR"], nil, &classes)
	if len(courses.Items) != 1 || len(classes.Items) == 0 {
		t.Fatal("the demo course or class is missing")
	}
	class := classes.Items[0].ID
	var sessions struct {
		Items []struct{ ID string } `json:"items"`
	}
	admin.do("GET", "/api/v1/classes/"+class+"/sessions", nil, &sessions)
	if len(sessions.Items) == 0 {
		t.Fatal("the demo session is missing")
	}
	lists := []string{
		"/api/v1/catalogue", "/api/v1/courses", "/api/v1/learning-paths",
		"/api/v1/course-versions/" + courses.Items[0].PublishedVersionID + "/reviews",
		"/api/v1/classes", "/api/v1/classes/" + class + "/sessions", "/api/v1/classes/" + class + "/enrolments",
		"/api/v1/sessions/" + sessions.Items[0].ID + "/attendance",
		"/api/v1/me/enrolments", "/api/v1/team/enrolments",
	}
	textKeyed := []string{"/api/v1/catalogue", "/api/v1/courses", "/api/v1/learning-paths"}
	cursor := func(k, i string) string {
		b, _ := json.Marshal(map[string]string{"k": k, "i": i})
		return base64.RawURLEncoding.EncodeToString(b)
	}
	someID := f.user["budi@diskominfo.bandung.go.id"]
	bad := map[string]string{
		"a cursor that is not base64":        "cursor=%00",
		"a cursor whose id is not a uuid":    "cursor=" + cursor("2026-01-01", "1; DROP TABLE classes"),
		"a cursor whose key holds a NUL":     "cursor=" + cursor("\x00", someID),
		"a cursor whose key is not its type": "cursor=" + cursor("yesterday", someID),
		"a limit that is not a number":       "limit=%00",
		"a limit out of range":               "limit=100000",
		"a sort by an unknown field":         "sort=password",
	}
	for _, list := range lists {
		for name, query := range bad {
			if name == "a cursor whose key is not its type" && slices.Contains(textKeyed, list) {
				continue // any text is a key of theirs
			}
			if s := admin.do("GET", list+"?"+query, nil, nil); s != http.StatusUnprocessableEntity {
				t.Errorf("GET %s?%s (%s) = %d, want 422", list, query, name, s)
			}
		}
	}
	for _, q := range []string{"/api/v1/classes?status=%00", "/api/v1/classes?status=closed-ish", "/api/v1/classes?org_id=%00",
		"/api/v1/classes/" + class + "/enrolments?status=%00", "/api/v1/me/enrolments?status=nope", "/api/v1/team/enrolments?user_id=x",
		"/api/v1/me/jp?year=%00", "/api/v1/me/jp?year=99999"} {
		if s := admin.do("GET", q, nil, nil); s != http.StatusUnprocessableEntity {
			t.Errorf("GET %s = %d, want 422", q, s)
		}
	}
}
