package database

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestCheckSchemaSaysToMigrateAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	adminURL := os.Getenv(TestAdminURLEnv)
	if adminURL == "" {
		adminURL = defaultTestAdminURL
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatal(err)
	}
	name := "corpu_test_empty_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)); err != nil {
		t.Fatal(err)
	}
	empty, err := sql.Open("pgx", withDatabase(adminURL, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = empty.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
		_ = admin.Close()
	})

	err = CheckSchema(ctx, empty)
	if !errors.Is(err, ErrSchemaBehind) || !strings.Contains(err.Error(), "corpu migrate up") {
		t.Errorf("CheckSchema(empty) = %v, want ErrSchemaBehind saying to run corpu migrate up", err)
	}
	if err := CheckSchema(ctx, NewTestDB(t).SQL()); err != nil {
		t.Errorf("CheckSchema(migrated) = %v, want nil", err)
	}
}
