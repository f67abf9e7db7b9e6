package identity

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

func TestAnActorTheDatabaseCannotLoadIsNotSignedOut(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	budiID := d.userID(t, budi)
	// The pool gave no connection in time: the request's context is done.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.svc.Actor(ctx, budiID)
	if err == nil || errors.Is(err, authz.ErrUnauthenticated) || apperr.KindOf(err) == apperr.KindUnauthorized {
		t.Errorf("Actor with no database = %v, want a failure that is not 401", err)
	}
}

func TestDirectorySearchUsesTheDirectoryIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q    string
		want string
	}{
		{"199204172019031004", "users.nip = ?"},
		{"Budi@Example.go.id", "lower(users.email) = lower(?)"},
		{"siti", `lower(users.name) COLLATE "C" LIKE ?`},
		{"19920417", `lower(users.name) COLLATE "C" LIKE ?`},
	}
	for _, tt := range tests {
		if got := searchCondition(tt.q).SQL; got != tt.want {
			t.Errorf("searchCondition(%q) = %s, want %s", tt.q, got, tt.want)
		}
	}
	// The name search, its order and its cursor are one range of
	// users_directory: no sort (the planner is kept off the sequential scan
	// it prefers on a table this small).
	d := newDemo(t)
	name := searchCondition("siti")
	for _, query := range []string{
		"SELECT id FROM users WHERE " + name.SQL + ` ORDER BY lower(name) COLLATE "C", id LIMIT 51`,
		"SELECT id FROM users WHERE " + name.SQL + ` AND (lower(users.name) COLLATE "C", users.id) > ('siti a', '00000000-0000-0000-0000-000000000000'::uuid) ORDER BY lower(name) COLLATE "C", id LIMIT 51`,
	} {
		var plan []string
		err := d.db.WithTx(context.Background(), func(ctx context.Context) error {
			if err := d.db.Conn(ctx).Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
			return d.db.Conn(ctx).Raw("EXPLAIN "+query, name.Vars...).Scan(&plan).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "users_directory") || strings.Contains(text, "Sort") {
			t.Errorf("plan of %s:\n%s\nwant a walk of users_directory without a sort", query, text)
		}
	}
}

func TestALargeImportRefreshesThePlannersStatistics(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name         string
		analyzeAfter int
		want         bool
	}{
		{"fewer new people than the bound", 1000, false},
		{"as many new people as the bound", 4, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newImpFixture(t)
			f.seedOthers(t)
			f.im.analyzeAfter = tt.analyzeAfter
			if n := f.count(t, "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'users' AND last_analyze IS NOT NULL"); n != 0 {
				t.Fatalf("users analyzed before the import")
			}
			if _, res := f.importCSV(t, mixedCSV(), false); res.Created != 4 {
				t.Fatalf("created %d, want 4", res.Created)
			}
			got := f.count(t, "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'users' AND last_analyze IS NOT NULL") == 1
			if got != tt.want {
				t.Errorf("users analyzed after the import = %v, want %v", got, tt.want)
			}
		})
	}
}
