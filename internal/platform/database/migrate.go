package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/corpu/corpu/migrations"
)

// newMigrator returns a goose provider over the embedded migrations. A
// session lock keeps two processes that start together from migrating twice.
func newMigrator(db *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
}

// MigrateUp applies every pending migration.
func MigrateUp(ctx context.Context, db *sql.DB) error {
	p, err := newMigrator(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown rolls back the latest migration.
func MigrateDown(ctx context.Context, db *sql.DB) error {
	p, err := newMigrator(db)
	if err != nil {
		return err
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// MigrateStatus writes one line per migration: applied or pending.
func MigrateStatus(ctx context.Context, db *sql.DB, w io.Writer) error {
	p, err := newMigrator(db)
	if err != nil {
		return err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	for _, s := range statuses {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05")
		}
		if _, err := fmt.Fprintf(w, "%-40s %s\n", s.Source.Path, applied); err != nil {
			return err
		}
	}
	return nil
}

// ErrSchemaBehind says the database lacks migrations this binary needs.
var ErrSchemaBehind = errors.New("the database schema is not migrated")

// CheckSchema returns ErrSchemaBehind, saying how to migrate, when the
// database lacks migrations this binary embeds: a process working on a schema
// it does not expect fails with errors that do not say why.
func CheckSchema(ctx context.Context, db *sql.DB) error {
	p, err := newMigrator(db)
	if err != nil {
		return err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42P01" { // undefined_table: never migrated
			return fmt.Errorf("read the schema version: %w", err)
		}
		current = 0
	}
	if current < target {
		return fmt.Errorf("%w (version %d, this corpu needs %d): run `corpu migrate up` first, or start the API with `corpu serve --migrate`",
			ErrSchemaBehind, max(current, 0), target)
	}
	return nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}
