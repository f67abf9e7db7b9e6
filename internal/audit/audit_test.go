package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/web"
)

// orgPaths places every organisation at the root path of the test.
type orgPaths map[uuid.UUID]string

func (o orgPaths) OrgPath(_ context.Context, id uuid.UUID) (string, error) {
	if p, ok := o[id]; ok {
		return p, nil
	}
	return "", ErrOrgNotFound
}

type fixture struct {
	db    *database.DB
	svc   *Service
	org   uuid.UUID
	path  string
	admin context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := database.NewTestDB(t)
	org := uuid.Must(uuid.NewV7())
	path := "/" + org.String() + "/"
	f := &fixture{db: db, svc: NewService(db, orgPaths{org: path}), org: org, path: path}
	f.admin = authz.WithActor(context.Background(), &authz.Actor{UserID: uuid.Must(uuid.NewV7()),
		Grants: []authz.Grant{{ID: uuid.Must(uuid.NewV7()), Role: authz.RoleOrgAdmin, OrgID: org, OrgPath: path}}})
	return f
}

func (f *fixture) record(t *testing.T, entityID string) {
	t.Helper()
	err := f.db.WithTx(f.admin, func(ctx context.Context) error {
		return f.svc.Record(ctx, authz.UserManage, Change{Action: "user.update", EntityType: "user", EntityID: entityID,
			OrgID: f.org, OrgPath: f.path, After: map[string]string{"name": entityID}})
	})
	if err != nil {
		t.Fatalf("Record = %v", err)
	}
}

func TestEntriesCarryTheTimeOfTheChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := time.Now().Add(-2 * time.Second)
	f.record(t, "one")
	after := time.Now().Add(2 * time.Second)

	res, err := f.svc.List(f.admin, Filter{}, page.Request{Limit: 10})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("List = %d entries, %v; want 1", len(res.Items), err)
	}
	if at := res.Items[0].At; at.Before(before) || at.After(after) {
		t.Fatalf("entry At = %v, want between %v and %v (the database's time of the change)", at, before, after)
	}
	tests := []struct {
		name         string
		since, until time.Time
		want         int
	}{
		{"since before the change", before, time.Time{}, 1},
		{"since after the change", after, time.Time{}, 0},
		{"until before the change", time.Time{}, before, 0},
		{"until after the change", time.Time{}, after, 1},
		{"between", before, after, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.svc.List(f.admin, Filter{Since: tt.since, Until: tt.until}, page.Request{Limit: 10})
			if err != nil || len(res.Items) != tt.want {
				t.Errorf("List(since %v, until %v) = %d entries, %v; want %d", tt.since, tt.until, len(res.Items), err, tt.want)
			}
		})
	}
}

func (f *fixture) serve(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = web.ErrorHandler(slog.New(slog.DiscardHandler))
	actor, _ := authz.ActorFrom(f.admin)
	NewHandler(f.svc).Mount(e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.SetRequest(c.Request().WithContext(authz.WithActor(c.Request().Context(), actor)))
			return next(c)
		}
	}))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

func TestAuditListRefusesBadQueriesWith422(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.record(t, "one")
	f.record(t, "two")
	cursor := func(p page.Position) string { return url.QueryEscape(page.EncodeCursor(p)) }
	for _, path := range []string{"/api/v1/audit-events", "/api/v1/audit-events/export"} {
		tests := []struct{ name, query string }{
			{"forged cursor with a non-id", "cursor=" + cursor(page.Position{ID: "not-an-id"})},
			{"forged cursor with a NUL", "cursor=" + cursor(page.Position{ID: "\x00"})},
			{"forged cursor with a key the list is not ordered by", "cursor=" + cursor(page.Position{Key: "x", ID: uuid.Must(uuid.NewV7()).String()})},
			{"cursor that is not base64", "cursor=!!!"},
			{"NUL in entity_type", "entity_type=%00"},
			{"NUL in entity_id", "entity_id=a%00b"},
			{"invalid UTF-8 in action", "action=%ff"},
			{"bad org id", "org_id=nope"},
			{"bad actor id", "actor_id=nope"},
			{"bad since", "since=yesterday"},
			{"until before since", "since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z"},
			{"limit negative", "limit=-1"},
			{"limit too large", "limit=201"},
			{"limit not a number", "limit=ten"},
		}
		for _, tt := range tests {
			if strings.HasSuffix(path, "export") && strings.HasPrefix(tt.query, "limit") {
				continue // the export has no pages
			}
			t.Run(path+" "+tt.name, func(t *testing.T) {
				rec := f.serve(t, path+"?"+tt.query)
				if rec.Code != http.StatusUnprocessableEntity && !(strings.HasSuffix(path, "export") && strings.Contains(tt.name, "cursor")) {
					t.Errorf("GET %s?%s = %d %s, want 422", path, tt.query, rec.Code, rec.Body)
				}
				if rec.Code >= 500 {
					t.Errorf("GET %s?%s = %d, a 5xx", path, tt.query, rec.Code)
				}
				if rec.Code == http.StatusUnprocessableEntity && !strings.HasPrefix(rec.Header().Get(echo.HeaderContentType), "application/problem+json") {
					t.Errorf("content type %q, want problem+json", rec.Header().Get(echo.HeaderContentType))
				}
			})
		}
	}
	// A real cursor still pages, newest first.
	var got []string
	for query, pages := "limit=1", 0; ; pages++ {
		rec := f.serve(t, "/api/v1/audit-events?"+query)
		var res struct {
			Items []struct {
				EntityID string `json:"entity_id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil || pages > 2 {
			t.Fatalf("page %d = %d %s", pages, rec.Code, rec.Body)
		}
		for _, e := range res.Items {
			got = append(got, e.EntityID)
		}
		if res.NextCursor == "" {
			break
		}
		query = "limit=1&cursor=" + url.QueryEscape(res.NextCursor)
	}
	if !slices.Equal(got, []string{"two", "one"}) {
		t.Errorf("paged entries = %q, want [two one]", got)
	}
}

func TestAuditExportDefusesFormulas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.record(t, `=HYPERLINK("http://evil.example","x")`)
	rec := f.serve(t, "/api/v1/audit-events/export")
	if rec.Code != http.StatusOK {
		t.Fatalf("export = %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	if strings.Contains(body, `,"=HYPERLINK`) || !strings.Contains(body, `"'=HYPERLINK`) {
		t.Errorf("export carries the formula as is:\n%s", body)
	}
	if strings.Contains(body, "0001-01-01") {
		t.Errorf("export dates an entry 0001-01-01:\n%s", body)
	}
}
