package database

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/config"
)

func TestWithTxCommitsOnSuccessAndRollsBackOnError(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	mustExec(t, db, ctx, "CREATE TABLE widget (id int PRIMARY KEY)")

	if err := db.WithTx(ctx, func(ctx context.Context) error {
		return db.Conn(ctx).Exec("INSERT INTO widget VALUES (1)").Error
	}); err != nil {
		t.Fatalf("WithTx(commit) = %v", err)
	}
	boom := errors.New("boom")
	err := db.WithTx(ctx, func(ctx context.Context) error {
		if err := db.Conn(ctx).Exec("INSERT INTO widget VALUES (2)").Error; err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx(rollback) = %v, want %v", err, boom)
	}
	if got := count(t, db, ctx, "widget"); got != 1 {
		t.Errorf("rows after one commit and one rollback = %d, want 1", got)
	}
}

func TestWithTxJoinsTheTransactionInTheContext(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	mustExec(t, db, ctx, "CREATE TABLE widget (id int PRIMARY KEY)")

	err := db.WithTx(ctx, func(ctx context.Context) error {
		if err := db.WithTx(ctx, func(ctx context.Context) error {
			return db.Conn(ctx).Exec("INSERT INTO widget VALUES (1)").Error
		}); err != nil {
			return err
		}
		return errors.New("outer fails after inner succeeded")
	})
	if err == nil {
		t.Fatal("WithTx = nil, want the outer error")
	}
	if got := count(t, db, ctx, "widget"); got != 0 {
		t.Errorf("rows after the outer transaction failed = %d, want 0: the inner one must have joined it", got)
	}
}

func TestWithTxRetriesSerializationFailures(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	mustExec(t, db, ctx, "CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)")
	mustExec(t, db, ctx, "INSERT INTO counter VALUES (1, 0)")

	const workers = 8
	var attempts atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.WithTx(ctx, func(ctx context.Context) error {
				attempts.Add(1)
				tx := db.Conn(ctx)
				if err := tx.Exec("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").Error; err != nil {
					return err
				}
				var n int
				if err := tx.Raw("SELECT n FROM counter WHERE id = 1").Scan(&n).Error; err != nil {
					return err
				}
				return tx.Exec("UPDATE counter SET n = ? WHERE id = 1", n+1).Error
			})
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
		}
	}
	var n int
	if err := db.Conn(ctx).Raw("SELECT n FROM counter WHERE id = 1").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != workers-failed {
		t.Errorf("counter = %d, want %d (one per successful transaction; none lost)", n, workers-failed)
	}
	if failed > 0 && attempts.Load() <= workers {
		t.Errorf("%d transactions failed without any retry", failed)
	}
}

func TestUniqueViolationNamesTheConstraint(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	mustExec(t, db, ctx, "CREATE TABLE person (email text CONSTRAINT person_email_key UNIQUE)")
	mustExec(t, db, ctx, "INSERT INTO person VALUES ('a@b.go.id')")
	err := db.Conn(ctx).Exec("INSERT INTO person VALUES ('a@b.go.id')").Error
	constraint, ok := UniqueViolation(err)
	if !ok || constraint != "person_email_key" {
		t.Errorf("UniqueViolation(%v) = %q, %v; want person_email_key, true", err, constraint, ok)
	}
	if _, ok := UniqueViolation(apperr.New(apperr.KindInvalid, "x", "x", "x")); ok {
		t.Error("UniqueViolation(non-driver error) = true")
	}
}

func TestTestDatabasesAreIsolatedAndMigrated(t *testing.T) {
	t.Parallel()
	a, b := NewTestDB(t), NewTestDB(t)
	ctx := context.Background()
	mustExec(t, a, ctx, "INSERT INTO outbox (id, task_type, payload, queue) VALUES (gen_random_uuid(), 't', '\\x00', 'default')")
	if got := count(t, a, ctx, "outbox"); got != 1 {
		t.Errorf("outbox rows in a = %d, want 1", got)
	}
	if got := count(t, b, ctx, "outbox"); got != 0 {
		t.Errorf("outbox rows in b = %d, want 0: test databases must not share rows", got)
	}
}

func mustExec(t testing.TB, db *DB, ctx context.Context, q string) {
	t.Helper()
	if err := db.Conn(ctx).Exec(q).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func count(t testing.TB, db *DB, ctx context.Context, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Conn(ctx).Table(table).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// recordingLogger notes which statements reach GORM's logger.
type recordingLogger struct {
	logger.Interface
	traced *int
}

func (r recordingLogger) Trace(context.Context, time.Time, func() (string, int64), error) {
	*r.traced++
}

func TestOnlyFailedOrSlowStatementsReachTheLogger(t *testing.T) {
	t.Parallel()
	traced := 0
	q := quietTrace{Interface: recordingLogger{logger.Discard, &traced}}
	ctx := context.Background()
	q.Trace(ctx, time.Now(), nil, nil)                        // fast and fine
	q.Trace(ctx, time.Now(), nil, gorm.ErrRecordNotFound)     // not found is an answer, not a failure
	q.Trace(ctx, time.Now(), nil, errors.New("syntax error")) // failed
	q.Trace(ctx, time.Now().Add(-2*slowQuery), nil, nil)      // slow
	if traced != 2 {
		t.Errorf("statements passed to the logger = %d, want 2 (the failed and the slow one)", traced)
	}
}

func TestTakeTellsAMissingRowFromAFailure(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	mustExec(t, db, ctx, "CREATE TABLE widget (id int PRIMARY KEY, name text)")
	mustExec(t, db, ctx, "INSERT INTO widget VALUES (1, 'gear')")
	notFound := apperr.New(apperr.KindNotFound, "widget.not_found", "Tidak ada.", "None.")
	var row struct {
		ID   int
		Name string
	}
	if err := Take(db.Conn(ctx).Table("widget").Where("id = ?", 1), &row, notFound, "get widget %d", 1); err != nil || row.Name != "gear" {
		t.Errorf("Take(existing) = %v, %+v; want the row", err, row)
	}
	if err := Take(db.Conn(ctx).Table("widget").Where("id = ?", 2), &row, notFound, "get widget %d", 2); !errors.Is(err, notFound) {
		t.Errorf("Take(missing) = %v, want the domain's not-found error", err)
	}
	err := Take(db.Conn(ctx).Table("no_such_table"), &row, notFound, "get widget %d", 3)
	if err == nil || errors.Is(err, notFound) || !strings.Contains(err.Error(), "get widget 3") {
		t.Errorf("Take(broken query) = %v, want a wrapped failure naming the context", err)
	}
}

func TestAfterCommitRunsOnlyOnceTheOutermostTransactionCommits(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	var ran []string
	note := func(name string) func(context.Context) { return func(context.Context) { ran = append(ran, name) } }

	AfterCommit(ctx, note("no transaction"))
	err := db.WithTx(ctx, func(ctx context.Context) error {
		AfterCommit(ctx, note("outer"))
		return db.WithTx(ctx, func(ctx context.Context) error {
			AfterCommit(ctx, note("inner"))
			if len(ran) != 1 {
				t.Errorf("hooks ran before the commit: %v", ran)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.WithTx(ctx, func(ctx context.Context) error {
		AfterCommit(ctx, note("rolled back"))
		return errors.New("roll back")
	})
	if want := []string{"no transaction", "outer", "inner"}; !slices.Equal(ran, want) {
		t.Errorf("hooks ran = %v, want %v", ran, want)
	}
}

func TestSessionsRunWithoutJITUnlessTheURLAsksForIt(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	jit := func(db *DB) string {
		t.Helper()
		var v string
		if err := db.Conn(ctx).Raw("SHOW jit").Scan(&v).Error; err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := jit(db); got != "off" {
		t.Errorf("jit in a session of Open = %q, want off", got)
	}
	var name string
	if err := db.Conn(ctx).Raw("SELECT current_database()").Scan(&name).Error; err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(withDatabase(testAdminURL(), name))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("jit", "on")
	u.RawQuery = q.Encode()
	asked, err := Open(ctx, config.Database{URL: u.String(), MaxOpenConns: 1}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = asked.Close() })
	if got := jit(asked); got != "on" {
		t.Errorf("jit with ?jit=on in the URL = %q, want on", got)
	}
}
