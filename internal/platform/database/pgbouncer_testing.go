package database

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/platform/config"
)

// PgBouncerPath is where the pgbouncer binary is looked for when it is not
// on PATH (Debian installs it in /usr/sbin).
const PgBouncerPath = "/usr/sbin/pgbouncer"

// NewTestDBThroughPgBouncer returns a test database (as NewTestDB) reached
// through a PgBouncer of the test's own in transaction pooling mode, opened
// with the URL query options in query (e.g.
// "default_query_exec_mode=simple_protocol"). The test is skipped when
// pgbouncer is not installed (`apt-get install pgbouncer`), and fails in CI
// (CI set), where .ci/services.sh installs it.
func NewTestDBThroughPgBouncer(t testing.TB, query string) *DB {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		if _, statErr := os.Stat(PgBouncerPath); statErr != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("pgbouncer is not installed, so CI cannot check transaction pooling (.ci/services.sh installs it)")
			}
			t.Skip("pgbouncer is not installed")
		}
		bin = PgBouncerPath
	}
	direct := NewTestDB(t)
	ctx := context.Background()
	var name string
	if err := direct.SQL().QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	adminURL := testAdminURL()
	server, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	user := server.User.Username()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	// PgBouncer refuses to run as root; it then runs as nobody, who must be
	// able to read its configuration.
	dir, err := os.MkdirTemp("", "corpu-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[databases]
* = host=%s port=%s user=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 3
max_client_conn = 100
server_reset_query =
`, server.Hostname(), server.Port(), user, port)
	file := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{file}
	if os.Geteuid() == 0 {
		args = []string{"-u", "nobody", file}
	}
	cmd := exec.Command(bin, args...)
	logFile, err := os.Create(filepath.Join(dir, "pgbouncer.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
	})

	u := *server
	u.Host = "127.0.0.1:" + strconv.Itoa(port)
	u.Path = "/" + name
	q := u.Query()
	extra, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range extra {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	cfg := config.Database{URL: u.String(), MaxOpenConns: 10, MaxIdleConns: 5, ConnMaxLifetimeSeconds: 300}
	var db *DB
	for deadline := time.Now().Add(10 * time.Second); ; {
		if db, err = Open(ctx, cfg, slog.New(slog.DiscardHandler)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logFile.Name())
			t.Fatalf("open through pgbouncer: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
