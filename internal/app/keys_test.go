package app

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/identity/token"
)

// sameInstallation starts another API process over srv's database, Redis,
// bucket and configuration.
func sameInstallation(t *testing.T, srv *TestServer) *TestServer {
	t.Helper()
	a, err := New(srv.Deps)
	if err != nil {
		t.Fatalf("wire a second process: %v", err)
	}
	other := httptest.NewServer(a.HTTP())
	t.Cleanup(other.Close)
	return &TestServer{Server: other, App: a, Deps: srv.Deps}
}

func TestAPIProcessesSharingAKeyDirectoryAcceptEachOthersTokens(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	if _, err := token.CreateKeyDir(dir); err != nil {
		t.Fatal(err)
	}
	first := NewTestServer(t)
	first.Deps.Config.Auth.SigningKeyDir = dir
	// NewTestServer wired its process before the directory was configured.
	first = sameInstallation(t, first)
	if err := first.App.Seed(t.Context()); err != nil {
		t.Fatal(err)
	}
	second := sameInstallation(t, first)

	fromFirst := login(t, first, "budi@diskominfo.bandung.go.id")
	fromSecond := login(t, second, "rina@diskominfo.bandung.go.id")
	for name, c := range map[string]*apiClient{"first's token at the second": fromFirst.at(second), "second's token at the first": fromSecond.at(first)} {
		if s := c.do("GET", "/api/v1/me", nil, nil); s != 200 {
			t.Errorf("%s: GET /me = %d, want 200", name, s)
		}
	}

	if _, err := token.RotateKeyDir(dir, 24*time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	third := sameInstallation(t, first)
	if s := fromFirst.at(third).do("GET", "/api/v1/me", nil, nil); s != 200 {
		t.Errorf("a token signed before the rotation, at a process started after it: GET /me = %d, want 200", s)
	}
	fromThird := login(t, third, "fajar@bappeda.sidoarjokab.go.id")
	if s := fromThird.at(third).do("GET", "/api/v1/me", nil, nil); s != 200 {
		t.Errorf("a token signed with the new key: GET /me = %d, want 200", s)
	}
}

func TestADevelopmentProcessCreatesTheFirstKeyOfAnEmptyDirectory(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	dir := filepath.Join(t.TempDir(), "keys")
	srv.Deps.Config.Auth.SigningKeyDir = dir
	first := sameInstallation(t, srv)
	second := sameInstallation(t, srv)
	if err := first.App.Seed(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := login(t, first, "budi@diskominfo.bandung.go.id").at(second).do("GET", "/api/v1/me", nil, nil); s != 200 {
		t.Errorf("token of the process that created the key at another: GET /me = %d, want 200", s)
	}
	srv.Deps.Config.Env = "production"
	srv.Deps.Config.Auth.SigningKeyDir = filepath.Join(t.TempDir(), "empty")
	if _, err := New(srv.Deps); err == nil {
		t.Error("a production process created its own signing key; creating keys is the operator's decision")
	}
}

// at returns a client with c's token that calls srv.
func (c *apiClient) at(srv *TestServer) *apiClient {
	return &apiClient{t: c.t, base: srv.URL, token: c.token}
}
