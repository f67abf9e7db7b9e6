// Package database opens PostgreSQL through GORM on the pgx driver, carries
// transactions in the context, applies the embedded migrations and turns
// driver errors into the error kinds of package apperr.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/corpu/corpu/internal/platform/config"
)

// DB is the application's connection pool.
type DB struct {
	gorm *gorm.DB
	sql  *sql.DB
}

// Open connects to PostgreSQL with the pool settings of cfg and checks that
// the server answers.
func Open(ctx context.Context, cfg config.Database, log *slog.Logger) (*DB, error) {
	pgxConfig, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	pool := stdlib.OpenDB(*pgxConfig, stdlib.OptionAfterConnect(afterConnect(pgxConfig)))
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: pool}), &gorm.Config{
		Logger: quietTrace{Interface: logger.NewSlogLogger(log, logger.Config{
			SlowThreshold:             slowQuery,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      !cfg.LogValues,
		}), values: cfg.LogValues},
		TranslateError:         false,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, notReachable(cfg.URL, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(time.Duration(cfg.ConnMaxLifetimeSeconds) * time.Second)
	sqlDB.SetConnMaxIdleTime(time.Duration(cfg.ConnMaxIdleTimeSeconds) * time.Second)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, notReachable(cfg.URL, err)
	}
	return &DB{gorm: gdb, sql: sqlDB}, nil
}

func notReachable(url string, err error) error {
	return fmt.Errorf("postgres at %s is not reachable (start it with `make services`): %w", redact(url), err)
}

// slowQuery is how long a statement may take before it is logged.
const slowQuery = 200 * time.Millisecond

// quietTrace passes to GORM's logger only the statements it will log (those
// that failed or were slow): GORM's logger renders every statement's SQL
// text before deciding, which costs CPU on every query.
//
// It also decides what the logged SQL shows: GORM asks its logger, through
// the optional ParamsFilter interface, whether to inline a statement's values,
// and a wrapper that did not answer let e-mail addresses and NIPs into the
// log. Only values (development at log level debug) keeps them. Either way
// the log shows the statement's shape (statementShape), never megabytes.
type quietTrace struct {
	logger.Interface
	values bool
}

func (q quietTrace) LogMode(level logger.LogLevel) logger.Interface {
	return quietTrace{Interface: q.Interface.LogMode(level), values: q.values}
}

// ParamsFilter drops a statement's values unless q logs them, so the SQL in
// the log keeps its placeholders ($1, $2, …).
func (q quietTrace) ParamsFilter(_ context.Context, sql string, params ...any) (string, []any) {
	if q.values {
		return sql, params
	}
	return sql, nil
}

func (q quietTrace) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	failed := err != nil && !errors.Is(err, gorm.ErrRecordNotFound)
	if !failed && time.Since(begin) <= slowQuery {
		return
	}
	inner := fc
	fc = func() (string, int64) {
		sql, rows := inner()
		if !q.values {
			// Without values GORM renders $1 as "$1$"; show what was sent.
			sql = explainedPlaceholder.ReplaceAllString(sql, "$$$1")
		}
		return statementShape(sql), rows
	}
	q.Interface.Trace(ctx, begin, fc, err)
}

var explainedPlaceholder = regexp.MustCompile(`\$(\d+)\$`)

func init() {
	// Scan renders its statement through GORM's trace recorder, whose
	// filter inlines the values whatever the logger says; statements logged
	// from Scan therefore always keep their placeholders.
	logger.RecorderParamsFilter = func(_ context.Context, sql string, _ ...any) (string, []any) { return sql, nil }
}

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// SQL returns the underlying *sql.DB, for migrations and pool statistics.
func (db *DB) SQL() *sql.DB { return db.sql }

// Ping checks that the server answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

type txKey struct{}

// Conn returns the transaction carried by ctx, or the pool, bound to ctx.
// Stores call it for every query so they join the caller's transaction.
func (db *DB) Conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx
	}
	return db.gorm.WithContext(ctx)
}

// maxTxAttempts bounds the retries of a transaction that lost a serialization
// conflict or a deadlock; both are safe to retry from the start.
const maxTxAttempts = 4

// WithTx runs fn in a transaction carried by the context it receives. When ctx
// already carries one, fn joins it. A serialization failure or deadlock
// retries fn from the start, so fn must not have effects outside the database.
func (db *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		hooks := &commitHooks{}
		err = db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(context.WithValue(context.WithValue(ctx, txKey{}, tx), hooksKey{}, hooks))
		})
		if err == nil {
			for _, hook := range hooks.fns {
				hook(ctx)
			}
		}
		if !Retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 10 * time.Millisecond):
		}
	}
	return fmt.Errorf("transaction failed after %d attempts: %w", maxTxAttempts, err)
}

type hooksKey struct{}

// commitHooks are what AfterCommit asked to run once one attempt of a
// transaction commits.
type commitHooks struct{ fns []func(ctx context.Context) }

// RetryDeadlocks runs a single statement (outside a transaction) again when
// it lost a deadlock or a serialization conflict, which undid all it did,
// up to as many times as WithTx tries a transaction.
func RetryDeadlocks(statement func() error) error {
	var err error
	for range maxTxAttempts {
		if err = statement(); !Retryable(err) {
			return err
		}
	}
	return err
}

// AfterCommit runs fn once the transaction carried by ctx has committed, or
// at once when ctx carries none; a transaction that rolls back (or is retried)
// drops it. Effects outside the database that must not be seen before the
// change is (such as invalidating a cache) go here.
func AfterCommit(ctx context.Context, fn func(ctx context.Context)) {
	if hooks, ok := ctx.Value(hooksKey{}).(*commitHooks); ok {
		hooks.fns = append(hooks.fns, fn)
		return
	}
	fn(ctx)
}

// PostgreSQL error codes the stores react to.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeCheckViolation       = "23514"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

func pgCode(err error) (*pgconn.PgError, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr, true
	}
	return nil, false
}

// Retryable reports whether err is a serialization failure or a deadlock:
// the statement or transaction that failed changed nothing and may run again.
func Retryable(err error) bool {
	pgErr, ok := pgCode(err)
	return ok && (pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected)
}

// UniqueViolation reports whether err is a unique violation, and of which constraint.
func UniqueViolation(err error) (constraint string, ok bool) {
	pgErr, ok := pgCode(err)
	if !ok || pgErr.Code != codeUniqueViolation {
		return "", false
	}
	return pgErr.ConstraintName, true
}

// ForeignKeyViolation reports whether err is a foreign-key violation, and of which constraint.
func ForeignKeyViolation(err error) (constraint string, ok bool) {
	pgErr, ok := pgCode(err)
	if !ok || pgErr.Code != codeForeignKeyViolation {
		return "", false
	}
	return pgErr.ConstraintName, true
}

// CheckViolation reports whether err is a check-constraint violation, and of which constraint.
func CheckViolation(err error) (constraint string, ok bool) {
	pgErr, ok := pgCode(err)
	if !ok || pgErr.Code != codeCheckViolation {
		return "", false
	}
	return pgErr.ConstraintName, true
}

// IsNotFound reports whether err says a row was not found.
func IsNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }

// Conflicts maps the unique constraints of a domain's tables to the errors
// its callers understand.
type Conflicts map[string]error

// Translate returns the domain error of a unique violation of one of the
// constraints, or err unchanged.
func (c Conflicts) Translate(err error) error {
	if constraint, ok := UniqueViolation(err); ok {
		if domainErr, known := c[constraint]; known {
			return domainErr
		}
	}
	return err
}

// afterConnect prepares each new connection: ids are sent as their 16
// bytes (registerUUID), and PostgreSQL's JIT compiler is off unless the URL
// names a setting (?jit=on). Corpu's statements are short lookups; planned
// without statistics (a table an exam just filled, autovacuum not yet come
// by) one was compiled for 200 to 290 ms to run in half a millisecond.
//
// A SET rather than a startup parameter: PgBouncer refuses a startup
// parameter it does not track ("unsupported startup parameter: jit").
// Through PgBouncer in transaction mode the SET stays on the server
// connection it ran on, so there it is best effort. Either way no database
// owner's ALTER DATABASE is needed.
func afterConnect(c *pgx.ConnConfig) func(context.Context, *pgx.Conn) error {
	_, jitNamed := c.RuntimeParams["jit"]
	return func(ctx context.Context, conn *pgx.Conn) error {
		if err := registerUUID(ctx, conn); err != nil {
			return err
		}
		if jitNamed {
			return nil
		}
		if _, err := conn.Exec(ctx, "SET jit = off"); err != nil {
			return fmt.Errorf("turn jit off: %w", err)
		}
		return nil
	}
}
