package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
)

func spareAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestTwoServesAndAWorkerSharingAKeyDirectoryAcceptEachOthersTokens runs the
// commands as an operator would, each with its configuration file: `keys
// create`, `seed`, two `serve` on their own ports and a `worker`, all over one
// database, Redis namespace, bucket and key directory.
func TestTwoServesAndAWorkerSharingAKeyDirectoryAcceptEachOthersTokens(t *testing.T) {
	t.Parallel()
	db := database.NewTestDB(t)
	var dbName string
	if err := db.SQL().QueryRow("SELECT current_database()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	adminURL := os.Getenv(database.TestAdminURLEnv)
	if adminURL == "" {
		adminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	dbURL, _ := url.Parse(adminURL)
	dbURL.Path = "/" + dbName
	_, names := queue.NewTestRedis(t)
	namespace := strings.TrimSuffix(names.Of("x"), ":x")
	store := objectstore.NewTestStore(t)
	s3 := objectstore.TestConfig()
	redisAddr := os.Getenv("CORPU_TEST_REDIS_ADDR")
	if redisAddr == "" {
		redisAddr = "127.0.0.1:6379"
	}
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")

	configFor := func(name, addr string) string {
		path := filepath.Join(dir, name+".yaml")
		conf := fmt.Sprintf(`log: {level: warn}
http: {addr: %q, public_url: "http://%s"}
database: {url: %q}
redis: {addr: %q}
objectstore: {endpoint: %q, bucket: %q}
queue: {namespace: %q}
auth: {signing_key_dir: %q}
`, addr, addr, dbURL.String(), redisAddr, s3.Endpoint, store.Bucket(), namespace, keys)
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	addrA, addrB := spareAddr(t), spareAddr(t)
	confA, confB, confW := configFor("a", addrA), configFor("b", addrB), configFor("worker", spareAddr(t))

	ctx := context.Background()
	if err := run(ctx, []string{"keys", "create", "--dir", keys}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"--config", confA, "seed"}, &bytes.Buffer{}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 3)
	for _, args := range [][]string{{"--config", confA, "serve"}, {"--config", confB, "serve"}, {"--config", confW, "worker"}} {
		go func() { done <- run(runCtx, args, &bytes.Buffer{}) }()
	}
	t.Cleanup(func() {
		stop()
		for range 3 {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("a process stopped with %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("a process did not stop within 30 s")
				return
			}
		}
	})
	for _, addr := range []string{addrA, addrB} {
		deadline := time.Now().Add(20 * time.Second)
		for healthcheck(ctx, nil, []string{"CORPU_HTTP_ADDR=" + addr}) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("serve on %s did not answer /healthz", addr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	body, _ := json.Marshal(map[string]string{"login": "budi@diskominfo.bandung.go.id", "password": identity.DemoPassword})
	resp, err := http.Post("http://"+addrA+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tokens)
	resp.Body.Close()
	if resp.StatusCode != 200 || tokens.AccessToken == "" {
		t.Fatalf("sign in at the first serve = %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", "http://"+addrB+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the first serve's token at the second: GET /me = %d, want 200", resp.StatusCode)
	}
}
