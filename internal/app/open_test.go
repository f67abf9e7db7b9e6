package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/platform/config"
)

func TestOpenNamesTheServiceThatIsDownAndHowToStartIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     []string
		wantErr string
	}{
		{"postgres", []string{"CORPU_DATABASE_URL=postgres://postgres@127.0.0.1:1/corpu?sslmode=disable&connect_timeout=2"}, "postgres"},
		{"redis", []string{"CORPU_REDIS_ADDR=127.0.0.1:1"}, "redis"},
		{"object store", []string{"CORPU_OBJECTSTORE_ENDPOINT=127.0.0.1:1"}, "object store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load("", tt.env)
			if err != nil {
				t.Fatal(err)
			}
			deps, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				deps.Close()
				t.Fatal("Open with a service down = nil error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "make services") {
				t.Errorf("Open() error = %q, want it to name %s and say how to start it", err, tt.wantErr)
			}
		})
	}
}

func TestSeedLoadsAPublishedCourseWithAnOpenClassOnce(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	ctx := context.Background()
	for range 2 {
		if err := srv.App.Seed(ctx); err != nil {
			t.Fatalf("Seed: %v", err)
		}
	}
	learner := login(t, srv, "fajar@bappeda.sidoarjokab.go.id")
	var catalogue struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	if s := learner.do("GET", "/api/v1/catalogue?q=literasi", nil, &catalogue); s != 200 || len(catalogue.Items) != 1 || catalogue.Items[0].Code != demoCourseCode {
		t.Errorf("catalogue after seeding twice = %d %+v, want the one demo course", s, catalogue.Items)
	}
	var classes struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if s := learner.do("GET", "/api/v1/classes", nil, &classes); s != 200 || len(classes.Items) != 1 {
		t.Fatalf("classes = %d with %d, want the one open demo class", s, len(classes.Items))
	}
	if s := learner.do("POST", "/api/v1/classes/"+classes.Items[0].ID+"/enrolments", nil, nil); s != 201 {
		t.Errorf("enrol in the demo class = %d, want 201", s)
	}
	holder := login(t, srv, "kabid@diskominfo.bandung.go.id")
	var mine struct {
		Items []struct{ ID, Serial string } `json:"items"`
	}
	if s := holder.do("GET", "/api/v1/me/certificates", nil, &mine); s != 200 || len(mine.Items) != 1 {
		t.Fatalf("Hendra's certificates after seeding twice = %d %+v, want the one demo certificate", s, mine.Items)
	}
	if s := anonymous(t, srv).do("GET", "/api/v1/verify/"+strings.ReplaceAll(mine.Items[0].Serial, "/", "-"), nil, nil); s != 200 {
		t.Errorf("verify the demo certificate without sign-in = %d, want 200", s)
	}
}

func TestARetriedCreateWithTheSameIdempotencyKeyCreatesOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.clients["jabar org admin"]
	body := map[string]any{"parent_id": f.org["KOTA-BANDUNG"], "kind": "work_unit", "code": "DISDIK-BDG", "name": "Dinas Pendidikan Kota Bandung"}
	key := map[string]string{"Idempotency-Key": "create-disdik-1"}
	var first, second struct{ ID string }
	if s := admin.doWith(key, "POST", "/api/v1/organizations", body, &first); s != 201 {
		t.Fatalf("first POST = %d, want 201", s)
	}
	if s := admin.doWith(key, "POST", "/api/v1/organizations", body, &second); s != 201 || second.ID != first.ID {
		t.Errorf("retried POST = %d with id %s, want the first answer again (201, %s)", s, second.ID, first.ID)
	}
	body["name"] = "Another name"
	if s := admin.doWith(key, "POST", "/api/v1/organizations", body, nil); s != 422 {
		t.Errorf("POST with the same key and another body = %d, want 422", s)
	}
}

func TestTheWorkerRegistersEveryTaskAndSchedule(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if _, err := srv.App.Worker(); err != nil {
		t.Errorf("Worker() = %v", err)
	}
}

func TestAnAssignmentCannotBeUsedToFindOutWhoHoldsANIP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var classes struct {
		Items []struct{ ID string } `json:"items"`
	}
	if s := f.clients["platform admin"].do("GET", "/api/v1/classes", nil, &classes); s != 200 || len(classes.Items) == 0 {
		t.Fatalf("classes = %d", s)
	}
	path := "/api/v1/classes/" + classes.Items[0].ID + "/enrolments/bulk"
	body := map[string]any{"nips": []string{"199101302015031002", "199101302015031009"}} // Fajar's, and one nobody holds
	if s := f.clients["bandung learner colleague"].do("POST", path, body, nil); s != 403 {
		t.Errorf("assignment by a learner who assigns nobody = %d, want 403", s)
	}
	var res struct {
		Skipped []struct {
			UserID string `json:"user_id"`
			Reason string `json:"reason"`
		} `json:"skipped"`
	}
	if s := f.clients["jabar org admin"].do("POST", path, body, &res); s != 200 || len(res.Skipped) != 2 {
		t.Fatalf("assignment of two people outside Jawa Barat = %d %+v", s, res)
	}
	for i, sk := range res.Skipped {
		if sk.Reason != "unknown_nip" || sk.UserID != "" {
			t.Errorf("skipped[%d] = %+v, want unknown_nip without a user id, the same for a real and an invented NIP", i, sk)
		}
	}
}
