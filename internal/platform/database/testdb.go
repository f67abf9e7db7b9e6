package database

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver for the admin connection

	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/migrations"
)

// TestAdminURLEnv names the variable that points tests at a PostgreSQL server
// where they may create databases. The default is the local server.
const TestAdminURLEnv = "CORPU_TEST_DATABASE_URL"

const defaultTestAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// NewTestDB returns a database of its own for one test (or one package's
// tests), cloned from a template that holds every migration. The template is
// built once per set of migrations and shared by all test processes; the
// clone is dropped when the test ends.
func NewTestDB(t testing.TB) *DB {
	t.Helper()
	return NewTestDBLogging(t, slog.New(slog.DiscardHandler))
}

// NewTestDBLogging is NewTestDB with failed and slow statements logged to
// log, for tests of what reaches the log.
func NewTestDBLogging(t testing.TB, log *slog.Logger) *DB {
	t.Helper()
	ctx := context.Background()
	adminURL := testAdminURL()
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL at %s is not reachable (start it with `make services`): %v", redact(adminURL), err)
	}

	template, err := ensureTemplate(ctx, admin, adminURL)
	if err != nil {
		t.Fatalf("test template database: %v", err)
	}
	name := "corpu_test_" + randomHex(6)
	if err := cloneDatabase(ctx, admin, template, name); err != nil {
		t.Fatalf("clone test database: %v", err)
	}

	cfg := config.Database{URL: withDatabase(adminURL, name), MaxOpenConns: 10, MaxIdleConns: 5, ConnMaxLifetimeSeconds: 300}
	db, err := Open(ctx, cfg, log)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		_ = db.Close()
		dropCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sql.Open("pgx", adminURL)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(dropCtx, "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return db
}

// templateLockKey serializes template builds across test processes.
const templateLockKey = 0x636f727075 // "corpu"

// ensureTemplate builds the template for the current migrations when it does
// not exist yet. It is named after a hash of the migrations, so a changed
// migration gets a new template and a stale one is never reused.
func ensureTemplate(ctx context.Context, admin *sql.DB, adminURL string) (string, error) {
	digest, err := migrationsDigest()
	if err != nil {
		return "", err
	}
	name := "corpu_template_" + digest
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", templateLockKey) //nolint:errcheck // released with the session anyway

	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Build under a temporary name and rename at the end, so a crash half-way
	// never leaves a template that looks complete.
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(building)+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(building)); err != nil {
		return "", err
	}
	db, err := sql.Open("pgx", withDatabase(adminURL, building))
	if err != nil {
		return "", err
	}
	err = MigrateUp(ctx, db)
	_ = db.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+quoteIdent(building)+" RENAME TO "+quoteIdent(name)); err != nil {
		return "", err
	}
	return name, nil
}

// cloneDatabase copies template into a new database. PostgreSQL refuses a
// clone while another session is connected to the template, which happens
// for a moment while a parallel package clones it; so it retries briefly.
func cloneDatabase(ctx context.Context, admin *sql.DB, template, name string) error {
	var err error
	for range 50 {
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)+" TEMPLATE "+quoteIdent(template))
		if err == nil || !strings.Contains(err.Error(), "is being accessed by other users") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func migrationsDigest() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func withDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testAdminURL is the server tests may create databases on.
func testAdminURL() string {
	if u := os.Getenv(TestAdminURLEnv); u != "" {
		return u
	}
	return defaultTestAdminURL
}

// NewEmptyTestDB creates a database without migrations, for tests of what
// happens before migrating, drops it when the test ends and returns its URL.
func NewEmptyTestDB(t testing.TB) string {
	t.Helper()
	adminURL := testAdminURL()
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	name := "corpu_test_empty_" + randomHex(6)
	if _, err := admin.Exec("CREATE DATABASE " + quoteIdent(name)); err != nil {
		_ = admin.Close()
		t.Fatalf("create empty test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + quoteIdent(name) + " WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
		_ = admin.Close()
	})
	return withDatabase(adminURL, name)
}
