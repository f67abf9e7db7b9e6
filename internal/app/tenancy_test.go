package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/corpu/corpu/internal/platform/page"
)

// The callers of the matrix: one demo user per role, inside and outside the
// Jawa Barat subtree that owns the targets.
var callers = map[string]string{
	"platform admin":            "admin@corpu.go.id",
	"jabar org admin":           "admin.jabar@jabarprov.go.id",
	"national instructor":       "instruktur@bpsdm.kemendagri.go.id",
	"national reviewer":         "reviewer@bpsdm.kemendagri.go.id",
	"jabar registrar":           "registrar@bpsdm.jabarprov.go.id",
	"jabar mentor":              "mentor@diskominfo.jabarprov.go.id",
	"bandung supervisor":        "kabid@diskominfo.bandung.go.id",
	"bandung learner":           "budi@diskominfo.bandung.go.id",
	"sidoarjo learner (jatim)":  "fajar@bappeda.sidoarjokab.go.id",
	"bandung learner colleague": "rina@diskominfo.bandung.go.id",
}

// fixture is the seeded server with the ids the matrix targets.
type fixture struct {
	srv     *TestServer
	clients map[string]*apiClient
	org     map[string]string // code → id
	user    map[string]string // e-mail → id
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	f := &fixture{srv: srv, clients: map[string]*apiClient{"anonymous": anonymous(t, srv)}, org: map[string]string{}, user: map[string]string{}}
	for name, email := range callers {
		f.clients[name] = login(t, srv, email)
	}
	admin := f.clients["platform admin"]
	var orgs struct {
		Items []struct{ ID, Code string } `json:"items"`
	}
	if status := admin.do("GET", "/api/v1/organizations?limit=200", nil, &orgs); status != http.StatusOK {
		t.Fatalf("list organisations = %d", status)
	}
	for _, o := range orgs.Items {
		f.org[o.Code] = o.ID
	}
	for _, email := range callers {
		var users struct {
			Items []struct{ ID string } `json:"items"`
		}
		admin.do("GET", "/api/v1/users?q="+email, nil, &users)
		if len(users.Items) != 1 {
			t.Fatalf("find user %s: %d results", email, len(users.Items))
		}
		f.user[email] = users.Items[0].ID
	}
	return f
}

// outcome lists the status each caller must get; callers not listed get fallback.
type outcome struct {
	statuses map[string]int
	fallback int
}

func only(fallback int, statuses map[string]int) outcome {
	statuses["anonymous"] = http.StatusUnauthorized
	return outcome{statuses: statuses, fallback: fallback}
}

func (o outcome) for_(caller string) int {
	if s, ok := o.statuses[caller]; ok {
		return s
	}
	return o.fallback
}

func TestEveryIdentityEndpointAsEveryRoleInsideAndOutsideTheOwningSubtree(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bandung, sidoarjo := f.org["KOTA-BANDUNG"], f.org["KAB-SIDOARJO"]
	rina, fajar := f.user["rina@diskominfo.bandung.go.id"], f.user["fajar@bappeda.sidoarjokab.go.id"]
	orgBody := func(code, name, region string) map[string]any {
		return map[string]any{"kind": "regency", "code": code, "name": name, "region_code": region}
	}
	rinaBody := map[string]any{"name": "Rina Marlina", "email": "rina@diskominfo.bandung.go.id", "nip": "199508222020122003", "org_id": f.org["DISKOMINFO-BANDUNG"]}
	fajarBody := map[string]any{"name": "Fajar Nugroho", "email": "fajar@bappeda.sidoarjokab.go.id", "nip": "199101302015031002", "org_id": f.org["BAPPEDA-SIDOARJO"]}

	tests := []struct {
		name   string
		method string
		path   string
		body   func(caller string) any
		want   outcome
	}{
		{"read an organisation in Jawa Barat", "GET", "/api/v1/organizations/" + bandung, nil,
			only(404, map[string]int{"platform admin": 200, "jabar org admin": 200, "jabar mentor": 200})},
		{"read an organisation in Jawa Timur", "GET", "/api/v1/organizations/" + sidoarjo, nil,
			only(404, map[string]int{"platform admin": 200})},
		{"change an organisation in Jawa Barat", "PATCH", "/api/v1/organizations/" + bandung,
			func(string) any { return orgBody("KOTA-BANDUNG", "Pemerintah Kota Bandung", "32.73") },
			only(404, map[string]int{"platform admin": 200, "jabar org admin": 200, "jabar mentor": 403})},
		{"change an organisation in Jawa Timur", "PATCH", "/api/v1/organizations/" + sidoarjo,
			func(string) any { return orgBody("KAB-SIDOARJO", "Pemerintah Kabupaten Sidoarjo", "35.15") },
			only(404, map[string]int{"platform admin": 200})},
		{"create a unit under Bandung", "POST", "/api/v1/organizations",
			func(caller string) any {
				return map[string]any{"parent_id": bandung, "kind": "work_unit", "code": "U-" + fmt.Sprint(len(caller)) + caller[:3], "name": "Unit " + caller}
			},
			only(404, map[string]int{"platform admin": 201, "jabar org admin": 201, "jabar mentor": 403})},
		{"create a unit under Sidoarjo", "POST", "/api/v1/organizations",
			func(caller string) any {
				return map[string]any{"parent_id": sidoarjo, "kind": "work_unit", "code": "S-" + fmt.Sprint(len(caller)) + caller[:3], "name": "Unit " + caller}
			},
			only(404, map[string]int{"platform admin": 201})},
		{"read a user in Bandung", "GET", "/api/v1/users/" + rina, nil,
			only(404, map[string]int{"platform admin": 200, "jabar org admin": 200, "jabar mentor": 200, "bandung supervisor": 200, "bandung learner colleague": 200})},
		{"read a user in Sidoarjo", "GET", "/api/v1/users/" + fajar, nil,
			only(404, map[string]int{"platform admin": 200, "sidoarjo learner (jatim)": 200})},
		{"change a user in Bandung", "PATCH", "/api/v1/users/" + rina, func(string) any { return rinaBody },
			only(404, map[string]int{"platform admin": 200, "jabar org admin": 200, "jabar mentor": 403, "bandung supervisor": 403, "bandung learner colleague": 403})},
		{"change a user in Sidoarjo", "PATCH", "/api/v1/users/" + fajar, func(string) any { return fajarBody },
			only(404, map[string]int{"platform admin": 200, "sidoarjo learner (jatim)": 403})},
		{"list a Bandung user's grants", "GET", "/api/v1/users/" + rina + "/grants", nil,
			only(404, map[string]int{"platform admin": 200, "jabar org admin": 200, "jabar mentor": 200, "bandung supervisor": 200, "bandung learner colleague": 200})},
		{"read a Sidoarjo user's transfer history", "GET", "/api/v1/users/" + fajar + "/transfers", nil,
			only(404, map[string]int{"platform admin": 200, "sidoarjo learner (jatim)": 200})},
		{"grant a role in Bandung to a Bandung user", "POST", "/api/v1/users/" + rina + "/grants",
			func(caller string) any {
				role := map[string]string{"platform admin": "mentor", "jabar org admin": "instructor"}[caller]
				if role == "" {
					role = "supervisor"
				}
				return map[string]any{"role": role, "org_id": f.org["DISKOMINFO-BANDUNG"]}
			},
			// Callers who can see the user but not administer grants there are told the org is out of reach.
			only(404, map[string]int{"platform admin": 201, "jabar org admin": 201, "jabar mentor": 422, "bandung supervisor": 422, "bandung learner colleague": 422})},
		{"grant a role in Sidoarjo to a Sidoarjo user", "POST", "/api/v1/users/" + fajar + "/grants",
			func(caller string) any { return map[string]any{"role": "mentor", "org_id": f.org["BAPPEDA-SIDOARJO"]} },
			only(404, map[string]int{"platform admin": 201, "sidoarjo learner (jatim)": 422})},
		{"read the audit log of Bandung", "GET", "/api/v1/audit-events?org_id=" + bandung, nil,
			only(403, map[string]int{"platform admin": 200, "jabar org admin": 200})},
		{"read the audit log of Sidoarjo", "GET", "/api/v1/audit-events?org_id=" + sidoarjo, nil,
			only(403, map[string]int{"platform admin": 200, "jabar org admin": 404})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for caller, client := range f.clients {
				var body any
				if tt.body != nil {
					body = tt.body(caller)
				}
				c := *client
				c.t = t
				if got, want := c.do(tt.method, tt.path, body, nil), tt.want.for_(caller); got != want {
					t.Errorf("%s %s as %s = %d, want %d", tt.method, tt.path, caller, got, want)
				}
			}
		})
	}
}

func TestUserSearchReturnsOnlyTheCallersSubtree(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	want := map[string]int{
		"platform admin": 11, "jabar org admin": 7, "jabar mentor": 7, "bandung supervisor": 3,
		"national instructor": 2, "jabar registrar": 2, "national reviewer": 0,
		"bandung learner": 0, "sidoarjo learner (jatim)": 0, "bandung learner colleague": 0,
	}
	for caller, n := range want {
		var res struct {
			Items []struct{ ID string } `json:"items"`
		}
		if status := f.clients[caller].do("GET", "/api/v1/users?limit=200", nil, &res); status != 200 || len(res.Items) != n {
			t.Errorf("GET /users as %s = %d with %d users, want 200 with %d", caller, status, len(res.Items), n)
		}
	}
}

func TestEveryIdentityAndAuditListRefusesBadQueriesWith422(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.clients["platform admin"]
	cursor := func(key, id string) string {
		return url.QueryEscape(page.EncodeCursor(page.Position{Key: key, ID: id}))
	}
	id := f.user["budi@diskominfo.bandung.go.id"]
	lists := map[string][]string{
		"/api/v1/users": {
			"cursor=" + cursor("budi", "not-an-id"), "cursor=" + cursor("bu\x00di", id), "cursor=!!!",
			"status=%00", "status=deleted", "q=%00", "q=%ff", "org_id=nope",
			"limit=0x10", "limit=-1", "limit=201", "sort=password_hash",
		},
		"/api/v1/organizations": {
			"cursor=" + cursor("not a path", id), "cursor=" + cursor("/\x00/", id), "cursor=!!!",
			"root_id=%00", "parent_id=nope", "limit=-1", "limit=1000", "sort=name",
		},
		"/api/v1/audit-events": {
			"cursor=" + cursor("", "not-an-id"), "cursor=" + cursor("", "\x00"), "cursor=!!!",
			"entity_type=%00", "entity_id=%ff", "action=a%00", "actor_id=nope", "org_id=%00",
			"since=yesterday", "until=2025-13-01T00:00:00Z", "since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z",
			"limit=-1", "limit=201",
		},
		"/api/v1/audit-events/export": {
			"entity_type=%00", "entity_id=%ff", "action=a%00", "actor_id=nope", "since=yesterday",
		},
	}
	for path, queries := range lists {
		for _, q := range queries {
			t.Run(path+"?"+q, func(t *testing.T) {
				admin.t = t
				if got := admin.do("GET", path+"?"+q, nil, nil); got != http.StatusUnprocessableEntity {
					t.Errorf("GET %s?%s = %d, want 422", path, q, got)
				}
			})
		}
	}
}

func TestIdentityHolesAreClosedThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	jabar := f.clients["jabar org admin"]
	budi, fajar := f.user["budi@diskominfo.bandung.go.id"], f.user["fajar@bappeda.sidoarjokab.go.id"]
	self := f.user["admin.jabar@jabarprov.go.id"]
	budiBody := func(sup string) map[string]any {
		return map[string]any{"name": "Budi Santoso", "email": "budi@diskominfo.bandung.go.id", "nip": "199204172019031004",
			"org_id": f.org["DISKOMINFO-BANDUNG"], "supervisor_id": sup}
	}
	tests := []struct {
		name         string
		method, path string
		body         any
		want         int
	}{
		{"name a learner of another province supervisor", "PATCH", "/api/v1/users/" + budi, budiBody(fajar), 422},
		{"name an id that names no one supervisor", "PATCH", "/api/v1/users/" + budi, budiBody("01900000-0000-7000-8000-000000000000"), 422},
		{"name the unit's head supervisor", "PATCH", "/api/v1/users/" + budi, budiBody(f.user["kabid@diskominfo.bandung.go.id"]), 200},
		{"grant oneself instructor", "POST", "/api/v1/users/" + self + "/grants", map[string]any{"role": "instructor", "org_id": f.org["BPSDM-JABAR"]}, 403},
		{"grant oneself reviewer", "POST", "/api/v1/users/" + self + "/grants", map[string]any{"role": "reviewer", "org_id": f.org["PROV-JABAR"]}, 403},
	}
	for _, tt := range tests {
		jabar.t = t
		if got := jabar.do(tt.method, tt.path, tt.body, nil); got != tt.want {
			t.Errorf("%s as the Jawa Barat admin: %s %s = %d, want %d", tt.name, tt.method, tt.path, got, tt.want)
		}
	}
}
