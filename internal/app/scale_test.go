package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/identity/password"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/queue"
)

// teamPage is one page of GET /team/enrolments.
type teamPage struct {
	Items []struct {
		ID      string `json:"id"`
		UserID  string `json:"user_id"`
		ClassID string `json:"class_id"`
		Learner *struct {
			UserID string `json:"user_id"`
			Name   string `json:"name"`
		} `json:"learner"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// walkTeam reads the caller's whole team view a page of limit at a time and
// returns the learners' ids of the class's enrolments (sorted, one per
// enrolment; the demo data's enrolments are left out) and the number of
// pages read.
func walkTeam(t *testing.T, c *apiClient, limit, class string) ([]string, int) {
	t.Helper()
	var users []string
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		path := "/api/v1/team/enrolments?limit=" + limit
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var p teamPage
		if s := c.do("GET", path, nil, &p); s != http.StatusOK {
			t.Fatalf("GET %s = %d", path, s)
		}
		pages++
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("enrolment %s on two pages", it.ID)
			}
			seen[it.ID] = true
			if it.Learner == nil || it.Learner.UserID != it.UserID || it.Learner.Name == "" {
				t.Errorf("enrolment %s comes without its learner: %+v", it.ID, it.Learner)
			}
			if it.ClassID == class {
				users = append(users, it.UserID)
			}
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
		if pages > 50 {
			t.Fatal("the team view does not end")
		}
	}
	sort.Strings(users)
	return users, pages
}

func TestTeamEnrolmentsArePagedInTheDatabaseWithTheirLearners(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	class := approvalClass(t, f, "TEAM-PAGED")
	enrolled := []string{"bandung learner", "bandung learner colleague", "bandung supervisor", "jabar mentor",
		"jabar registrar", "sidoarjo learner (jatim)", "jabar org admin"}
	for _, who := range enrolled {
		if s := f.clients[who].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, nil); s != http.StatusCreated {
			t.Fatalf("%s requests a seat = %d", who, s)
		}
	}
	id := func(email string) string { return f.user[email] }
	ids := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, id(callers[n]))
		}
		sort.Strings(out)
		return out
	}
	tests := []struct {
		caller string
		want   []string
	}{
		// The supervisor's unit, without the supervisor.
		{"bandung supervisor", ids("bandung learner", "bandung learner colleague")},
		// The whole province, without the overseer, without Jawa Timur.
		{"jabar org admin", ids("bandung learner", "bandung learner colleague", "bandung supervisor", "jabar mentor", "jabar registrar")},
		// A learner oversees nobody.
		{"sidoarjo learner (jatim)", nil},
		// The platform admin sees everyone, themselves included.
		{"platform admin", ids(enrolled...)},
	}
	for _, tt := range tests {
		t.Run(tt.caller, func(t *testing.T) {
			for _, limit := range []string{"1", "2", "200"} {
				got, pages := walkTeam(t, f.clients[tt.caller], limit, class)
				if !slices.Equal(got, tt.want) {
					t.Errorf("limit %s: team of %s = %v, want %v", limit, tt.caller, got, tt.want)
				}
				if limit == "1" && len(tt.want) > 1 && pages < len(tt.want) {
					t.Errorf("limit 1: %d pages for %d enrolments", pages, len(tt.want))
				}
			}
		})
	}
	// A learner filter outside the team finds nothing rather than leaking.
	var p teamPage
	if s := f.clients["bandung supervisor"].do("GET", "/api/v1/team/enrolments?user_id="+id(callers["sidoarjo learner (jatim)"]), nil, &p); s != http.StatusOK || len(p.Items) != 0 {
		t.Errorf("team filtered to an outsider = %d with %d items, want 200 with none", s, len(p.Items))
	}
}

func TestDirectorySearchChoosesItsConditionByTheQuerysShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.clients["platform admin"]
	type users struct {
		Items []struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
			NIP   string `json:"nip"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	var budi users
	if s := admin.do("GET", "/api/v1/users?q=budi@diskominfo.bandung.go.id", nil, &budi); s != http.StatusOK || len(budi.Items) != 1 {
		t.Fatalf("by e-mail = %d, %d users", s, len(budi.Items))
	}
	tests := []struct {
		name, q string
		want    int
	}{
		{"an e-mail address, in any case", "BUDI@diskominfo.bandung.go.id", 1},
		{"a NIP", budi.Items[0].NIP, 1},
		{"the start of a name, in any case", budi.Items[0].Name[:3], 1},
		{"a wildcard is only itself", "%", 0},
		{"an unknown e-mail address", "nobody@example.go.id", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res users
			if s := admin.do("GET", "/api/v1/users?q="+url.QueryEscape(tt.q), nil, &res); s != http.StatusOK {
				t.Fatalf("GET /users?q=%s = %d", tt.q, s)
			}
			if len(res.Items) < tt.want || (tt.want == 0 && len(res.Items) != 0) {
				t.Errorf("q=%q found %d users, want %d", tt.q, len(res.Items), tt.want)
			}
		})
	}
	// Cursor pages of one walk the whole directory in name order, once each.
	var all []string
	cursor := ""
	for range 100 {
		var res users
		path := "/api/v1/users?limit=1"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if s := admin.do("GET", path, nil, &res); s != http.StatusOK {
			t.Fatalf("GET %s = %d", path, s)
		}
		for _, u := range res.Items {
			all = append(all, u.Name)
		}
		if cursor = res.NextCursor; cursor == "" {
			break
		}
	}
	var whole users
	admin.do("GET", "/api/v1/users?limit=200", nil, &whole)
	if len(all) != len(whole.Items) || len(all) < 5 {
		t.Fatalf("paged walk = %d users, one page = %d", len(all), len(whole.Items))
	}
	for i, u := range whole.Items {
		if all[i] != u.Name {
			t.Errorf("page %d = %s, want %s", i, all[i], u.Name)
		}
	}
}

func TestASaturatedPoolAnswers503WithRetryAfterNever401(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	supervisor := f.clients["bandung supervisor"]
	token := withToken(t, supervisor, "enrolment.oversee")
	// A session the actor cache has not seen needs the database.
	fresh := login(t, f.srv, callers["bandung supervisor"])
	// One connection, held by someone else for the whole test.
	pool := f.srv.Deps.DB.SQL()
	pool.SetMaxOpenConns(1)
	ctx := context.Background()
	held, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for name, c := range map[string]*apiClient{"session": fresh, "personal API token": token} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/team/enrolments", nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			start := time.Now()
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
				t.Errorf("%s under a saturated pool = %d (Retry-After %q), want 503 with Retry-After",
					name, res.StatusCode, res.Header.Get("Retry-After"))
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("the answer took %v: the authentication's bound did not hold", d)
			}
		})
	}
	held.Close()
	pool.SetMaxOpenConns(10)
	if s := supervisor.do("GET", "/api/v1/team/enrolments", nil, nil); s != http.StatusOK {
		t.Errorf("after the pool frees = %d, want 200", s)
	}
}

// It does not run in parallel: the bound on password hashing is the
// process's, and this test takes it whole.
func TestSignInBeyondTheHashingBoundAnswers429WithRetryAfter(t *testing.T) {
	f := newFixture(t)
	c := anonymous(t, f.srv)
	body := map[string]string{"login": callers["bandung supervisor"], "password": identity.DemoPassword}
	t.Run("while every hashing slot is taken", func(t *testing.T) {
		password.OccupyForTest(t)
		reqBody, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/auth/login", bytes.NewReader(reqBody))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		checkContract(t, req, reqBody, res, data)
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(string(data), "auth.busy") {
			t.Errorf("sign-in = %d (Retry-After %q) %s, want 429 auth.busy with Retry-After",
				res.StatusCode, res.Header.Get("Retry-After"), data)
		}
	})
	if s := c.do("POST", "/api/v1/auth/login", body, nil); s != http.StatusOK {
		t.Errorf("sign-in once a slot is free = %d, want 200", s)
	}
}

// Signing in and refreshing need the database too: with the pool saturated
// they wait at most the request's timeout and answer 503 with Retry-After,
// never 401 (a client would sign its user out).
func TestSignInAndRefreshUnderASaturatedPoolAnswer503WithRetryAfterNever401(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t, func(cfg *config.Config) { cfg.HTTP.RequestTimeoutSeconds = 2 })
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := anonymous(t, srv)
	signIn := map[string]string{"login": callers["bandung supervisor"], "password": identity.DemoPassword}
	var tokens struct {
		RefreshToken string `json:"refresh_token"`
	}
	if s := c.do("POST", "/api/v1/auth/login", signIn, &tokens); s != http.StatusOK || tokens.RefreshToken == "" {
		t.Fatalf("sign-in = %d, want 200 with a refresh token", s)
	}
	pool := srv.Deps.DB.SQL()
	pool.SetMaxOpenConns(1)
	held, err := pool.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		body       any
	}{
		{"sign-in", "/api/v1/auth/login", signIn},
		{"refresh", "/api/v1/auth/refresh", map[string]string{"refresh_token": tokens.RefreshToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(tt.body)
			res, err := http.Post(srv.URL+tt.path, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
				t.Errorf("%s under a saturated pool = %d (Retry-After %q) %s, want 503 with Retry-After, never 401",
					tt.name, res.StatusCode, res.Header.Get("Retry-After"), data)
			}
		})
	}
	held.Close()
	pool.SetMaxOpenConns(10)
	if s := c.do("POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": tokens.RefreshToken}, nil); s != http.StatusOK {
		t.Errorf("refresh once the pool frees = %d, want 200: the session outlived the saturation", s)
	}
}

// The worker runs the import-claims sweep (hourly by its scheduler; here
// enqueued at once): the claims of an import whose job is gone are removed,
// those of an attempt alive a minute ago are kept.
func TestTheWorkerSweepsTheClaimsImportsLeftBehind(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	ctx := context.Background()
	db := srv.Deps.DB.Conn(ctx)
	gone, alive := uuid.New(), uuid.New()
	for i, job := range []uuid.UUID{gone, alive} {
		if err := db.Exec(`INSERT INTO import_claims (job_id, nip, email, line) VALUES (?, ?, ?, 2)`,
			job, 199001012020011001+i, fmt.Sprintf("p%d@agency.go.id", i)).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec(`INSERT INTO import_runs (job_id, heartbeat_at) VALUES (?, now() - interval '1 minute')`, alive).Error; err != nil {
		t.Fatal(err)
	}
	runWorker(t, srv)
	if err := queue.NewClient(srv.Deps.Redis, srv.Deps.Queues).Enqueue(ctx, "queue:reconcile:import-claims", struct{}{}, queue.Low); err != nil {
		t.Fatal(err)
	}
	var left []uuid.UUID
	eventually(t, "only the claims of the live attempt are left after the sweep", func() bool {
		left = nil
		if err := db.Raw("SELECT job_id FROM import_claims").Scan(&left).Error; err != nil {
			t.Fatal(err)
		}
		return len(left) == 1 && left[0] == alive
	})
}
