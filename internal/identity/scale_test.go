package identity

import (
	"context"
	"errors"
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
