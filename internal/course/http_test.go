package course

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/web"
)

// testAPI serves the course routes with the caller named by the X-Test-Actor
// header signed in.
type testAPI struct {
	t *testing.T
	e *echo.Echo
}

func newTestAPI(t *testing.T, f *fixture) testAPI {
	t.Helper()
	e := web.New(web.Options{
		Config: config.HTTP{BodyLimitBytes: 1 << 20, RequestTimeoutSeconds: 30},
		Log:    slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
	})
	api := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if a, ok := f.actor[c.Request().Header.Get("X-Test-Actor")]; ok {
				c.SetRequest(c.Request().WithContext(authz.WithActor(c.Request().Context(), a)))
			}
			return next(c)
		}
	})
	NewHandler(f.svc).Mount(api)
	return testAPI{t: t, e: e}
}

// do sends a request as who; header pairs follow the body.
func (api testAPI) do(who, method, path string, body any, header ...string) *httptest.ResponseRecorder {
	api.t.Helper()
	var r *http.Request
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			api.t.Fatal(err)
		}
		if s, ok := body.(string); ok {
			b = []byte(s)
		}
		r = httptest.NewRequest(method, path, bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	if who != "" {
		r.Header.Set("X-Test-Actor", who)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	api.e.ServeHTTP(rec, r)
	return rec
}

// expect checks the status and decodes the body into out (when not nil).
func (api testAPI) expect(rec *httptest.ResponseRecorder, status int, out any) {
	api.t.Helper()
	if rec.Code != status {
		api.t.Fatalf("status = %d %s, want %d", rec.Code, rec.Body, status)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			api.t.Fatalf("decode %s: %v", rec.Body, err)
		}
	}
}

// expectProblem checks a problem+json answer of the status and type, naming field when given.
func (api testAPI) expectProblem(rec *httptest.ResponseRecorder, status int, typ, field string) {
	api.t.Helper()
	var p web.Problem
	api.expect(rec, status, &p)
	if ct := rec.Header().Get("Content-Type"); ct != web.ProblemContentType {
		api.t.Errorf("Content-Type = %q, want %q", ct, web.ProblemContentType)
	}
	if typ != "" && p.Type != "urn:corpu:problem:"+typ {
		api.t.Errorf("problem type = %q, want %q", p.Type, typ)
	}
	if field != "" && !slices.ContainsFunc(p.Errors, func(e web.ProblemField) bool { return e.Field == field }) {
		api.t.Errorf("problem errors = %+v, want one for %s", p.Errors, field)
	}
}

type idBody struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Body   string `json:"body"`
	ETag   string `json:"etag"`
}

func TestTheHTTPAPIRunsTheLifecycleAndAnswersBadInputWithProblems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	api := newTestAPI(t, f)

	var course struct {
		ID          string `json:"id"`
		OpenVersion idBody `json:"open_version"`
	}
	rec := api.do("authorA", "POST", "/api/v1/courses", map[string]any{
		"org_id": f.org["A"], "code": "HTTP-1", "sharing": "national", "title": "Keamanan Siber untuk ASN",
		"objectives": []string{"Mengenali phishing"}, "competency_tags": []string{"keamanan-siber"}, "jp_credit": 8,
	})
	api.expect(rec, http.StatusCreated, &course)
	if rec.Header().Get("Location") != "/api/v1/courses/"+course.ID || course.OpenVersion.Status != "draft" {
		t.Fatalf("POST /courses = Location %q, open version %+v", rec.Header().Get("Location"), course.OpenVersion)
	}
	v := "/api/v1/course-versions/" + course.OpenVersion.ID

	var module, lesson, item idBody
	api.expect(api.do("authorA", "POST", v+"/modules", map[string]any{"title": "Ancaman"}), http.StatusCreated, &module)
	api.expect(api.do("authorA", "POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "Phishing"}), http.StatusCreated, &lesson)
	items := "/api/v1/lessons/" + lesson.ID + "/items"
	api.expectProblem(api.do("authorA", "POST", items, map[string]any{"kind": "link", "title": "Tautan", "url": "ftp://x.go.id"}),
		http.StatusUnprocessableEntity, "validation", "url")
	api.expect(api.do("authorA", "POST", items, map[string]any{"kind": "text", "title": "Bacaan",
		"body": `<p onclick="x()">Waspada</p><script>alert(1)</script>`}), http.StatusCreated, &item)
	if item.Body != "<p>Waspada</p>" {
		t.Errorf("text item body = %q, want it sanitized", item.Body)
	}

	rec = api.do("authorA", "GET", v, nil)
	var version idBody
	api.expect(rec, http.StatusOK, &version)
	etag := rec.Header().Get("ETag")
	if etag == "" || etag != version.ETag {
		t.Fatalf("GET version ETag = %q, body etag %q; want the same", etag, version.ETag)
	}
	patch := map[string]any{"summary": "Mengenali dan melaporkan phishing"}
	api.expectProblem(api.do("authorA", "PATCH", v, patch, "If-Match", `"1"`), http.StatusPreconditionFailed, "course.version_changed", "")
	api.expectProblem(api.do("authorA", "PATCH", v, patch, "If-Match", "W/"+etag), http.StatusPreconditionFailed, "course.version_changed", "")
	api.expectProblem(api.do("authorA", "PATCH", v, map[string]any{"status": "published"}, "If-Match", etag), http.StatusBadRequest, "malformed", "status")
	api.expectProblem(api.do("authorA", "PATCH", v, map[string]any{"jp_credit": 0}, "If-Match", etag), http.StatusUnprocessableEntity, "validation", "jp_credit")
	rec = api.do("authorA", "PATCH", v, patch, "If-Match", etag)
	api.expect(rec, http.StatusOK, nil)
	if rec.Header().Get("ETag") == etag {
		t.Errorf("ETag after PATCH = %q, want a new one", etag)
	}

	api.expectProblem(api.do("reviewerA", "POST", v+"/reviews", map[string]any{"decision": "approve", "checklist": map[string]bool{"objectives": true}}),
		http.StatusConflict, "course.not_in_review", "")
	var submitted struct {
		Version idBody           `json:"version"`
		Similar []map[string]any `json:"similar"`
	}
	api.expect(api.do("authorA", "POST", v+"/submit", nil), http.StatusOK, &submitted)
	if submitted.Version.Status != "in_review" || submitted.Similar == nil {
		t.Errorf("submit = %+v, want in review with a (possibly empty) list of similar courses", submitted)
	}
	api.expectProblem(api.do("reviewerA", "POST", v+"/reviews", map[string]any{"decision": "approve",
		"checklist": map[string]bool{"objectives": true, "assessment": true, "accessibility": true}}),
		http.StatusUnprocessableEntity, "course.checklist_incomplete", "checklist.jp")
	api.expectProblem(api.do("reviewerB", "POST", v+"/reviews", map[string]any{"decision": "approve",
		"checklist": map[string]bool{"objectives": true, "assessment": true, "jp": true, "accessibility": true}}),
		http.StatusNotFound, "course.version_not_found", "")
	var result struct {
		Version idBody `json:"version"`
	}
	api.expect(api.do("reviewerA", "POST", v+"/reviews", map[string]any{"decision": "approve",
		"checklist": map[string]bool{"objectives": true, "assessment": true, "jp": true, "accessibility": true}}), http.StatusCreated, &result)
	if result.Version.Status != "published" {
		t.Errorf("approved version status = %q, want published", result.Version.Status)
	}
	api.expectProblem(api.do("authorA", "PATCH", v, patch), http.StatusConflict, "course.version_immutable", "")
	api.expectProblem(api.do("authorA", "DELETE", "/api/v1/items/"+item.ID, nil), http.StatusConflict, "course.version_immutable", "")
	api.expectProblem(api.do("learnerB1", "PATCH", v, patch), http.StatusForbidden, "forbidden", "")

	var page struct {
		Items []struct {
			CourseID string `json:"course_id"`
		} `json:"items"`
	}
	api.expect(api.do("learnerB1", "GET", "/api/v1/catalogue?q=siber&mode=online&competency=Keamanan-Siber", nil), http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].CourseID != course.ID {
		t.Errorf("GET /catalogue = %+v, want the published course", page.Items)
	}
	api.expectProblem(api.do("learnerB1", "GET", "/api/v1/catalogue?mode=hybrid", nil), http.StatusUnprocessableEntity, "validation", "mode")
	api.expectProblem(api.do("learnerB1", "GET", "/api/v1/catalogue?cursor=@@@", nil), http.StatusUnprocessableEntity, "validation", "cursor")
	api.expectProblem(api.do("", "GET", "/api/v1/catalogue", nil), http.StatusUnauthorized, "unauthenticated", "")

	var outline struct {
		ContentHidden bool `json:"content_hidden"`
		Modules       []struct {
			Lessons []struct {
				Items []map[string]any `json:"items"`
			} `json:"lessons"`
		} `json:"modules"`
	}
	api.expect(api.do("learnerB1", "GET", v, nil), http.StatusOK, &outline)
	if !outline.ContentHidden || outline.Modules[0].Lessons[0].Items[0]["body"] != nil {
		t.Errorf("GET version as a browsing learner = %+v, want the outline without bodies", outline)
	}
	api.expectProblem(api.do("authorA", "GET", "/api/v1/courses/not-a-uuid", nil), http.StatusNotFound, "course.course_not_found", "")
	api.expectProblem(api.do("authorA", "GET", "/api/v1/items/"+item.ID+"/media", nil), http.StatusNotFound, "course.item_has_no_media", "")

	var path struct {
		ID    string `json:"id"`
		Steps []struct {
			CourseID string `json:"course_id"`
		} `json:"steps"`
	}
	api.expect(api.do("authorA", "POST", "/api/v1/learning-paths", map[string]any{"org_id": f.org["A"], "code": "JALUR",
		"title": "Jalur Keamanan", "sharing": "national", "steps": []map[string]any{{"course_id": course.ID}}}), http.StatusCreated, &path)
	api.expect(api.do("learnerB1", "GET", "/api/v1/learning-paths/"+path.ID, nil), http.StatusOK, &path)
	if len(path.Steps) != 1 || path.Steps[0].CourseID != course.ID {
		t.Errorf("GET learning path = %+v, want one step", path)
	}

	api.expect(api.do("reviewerA", "POST", "/api/v1/courses/"+course.ID+"/archive", nil), http.StatusOK, nil)
	api.expectProblem(api.do("authorA", "POST", "/api/v1/courses/"+course.ID+"/drafts", nil), http.StatusConflict, "course.archived", "")
	api.expectProblem(api.do("learnerB1", "GET", "/api/v1/courses/"+course.ID, nil), http.StatusNotFound, "course.course_not_found", "")
}

func TestBadTextAndForgedCursorsAreAnsweredWith4xxNotInternalErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	api := newTestAPI(t, f)
	c, _ := f.publishedCourse(courseSpec{code: "TEKS-1", title: "Teks"})
	_, draft := f.draftCourse(courseSpec{code: "TEKS-2", title: "Draf"})
	m := mustVersion(t, f, "authorA", draft.ID).Modules[0]
	notUUID := page.EncodeCursor(page.Position{Key: "a", ID: "not-a-uuid"})
	nulKey := page.EncodeCursor(page.Position{Key: "a\x00", ID: c.ID.String()})

	tests := []struct {
		name         string
		method, path string
		body         any
		field        string
	}{
		{"a course search with invalid UTF-8", "GET", "/api/v1/courses?q=%ff", nil, "q"},
		{"a course search with a NUL", "GET", "/api/v1/courses?q=a%00", nil, "q"},
		{"a path search with invalid UTF-8", "GET", "/api/v1/learning-paths?q=%ff", nil, "q"},
		{"a path search with a NUL", "GET", "/api/v1/learning-paths?q=a%00", nil, "q"},
		{"a catalogue tag with a NUL", "GET", "/api/v1/catalogue?tag=a%00", nil, "tag"},
		{"a catalogue cursor whose id is not a uuid", "GET", "/api/v1/catalogue?cursor=" + notUUID, nil, "cursor"},
		{"a catalogue cursor whose key holds a NUL", "GET", "/api/v1/catalogue?cursor=" + nulKey, nil, "cursor"},
		{"a course list cursor whose id is not a uuid", "GET", "/api/v1/courses?cursor=" + notUUID, nil, "cursor"},
		{"a course list cursor whose key holds a NUL", "GET", "/api/v1/courses?cursor=" + nulKey, nil, "cursor"},
		{"a path list cursor whose id is not a uuid", "GET", "/api/v1/learning-paths?cursor=" + notUUID, nil, "cursor"},
		{"a module title with a NUL", "POST", "/api/v1/course-versions/" + draft.ID.String() + "/modules", map[string]any{"title": "a\x00"}, "title"},
		{"a lesson summary with a NUL", "PATCH", "/api/v1/lessons/" + m.Lessons[0].ID.String(), map[string]any{"summary": "a\x00"}, "summary"},
		{"a text body with a NUL", "POST", "/api/v1/lessons/" + m.Lessons[0].ID.String() + "/items",
			map[string]any{"kind": "text", "title": "Bacaan", "body": "<p>a\x00b</p>"}, "body"},
		{"an objective with a NUL", "PATCH", "/api/v1/course-versions/" + draft.ID.String(), map[string]any{"objectives": []string{"a\x00"}}, "objectives[0]"},
		{"a tag with a NUL", "PATCH", "/api/v1/course-versions/" + draft.ID.String(), map[string]any{"tags": []string{"a\x00"}}, "tags[0]"},
		{"a new course's title with a NUL", "POST", "/api/v1/courses", map[string]any{"org_id": f.org["A"], "code": "NUL", "title": "a\x00"}, "title"},
		{"a path description with a NUL", "POST", "/api/v1/learning-paths", map[string]any{"org_id": f.org["A"], "code": "NUL",
			"title": "Jalur", "description": "a\x00", "steps": []map[string]any{{"course_id": c.ID}}}, "description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := api
			api.t = t
			api.expectProblem(api.do("authorA", tt.method, tt.path, tt.body), http.StatusUnprocessableEntity, "validation", tt.field)
		})
	}
	if n := f.count("SELECT count(*) FROM course_modules WHERE version_id = ?", draft.ID); n != 1 {
		t.Errorf("modules of the draft after refused requests = %d, want 1", n)
	}
	if n := f.count("SELECT count(*) FROM courses WHERE code = 'NUL'"); n != 0 {
		t.Errorf("courses coded NUL after a refused request = %d, want 0", n)
	}
}
