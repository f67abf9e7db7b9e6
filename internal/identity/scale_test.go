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
