package database

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

func TestCheckSchemaSaysToMigrateAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	empty, err := sql.Open("pgx", NewEmptyTestDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()

	err = CheckSchema(ctx, empty)
	if !errors.Is(err, ErrSchemaBehind) || !strings.Contains(err.Error(), "corpu migrate up") {
		t.Errorf("CheckSchema(empty) = %v, want ErrSchemaBehind saying to run corpu migrate up", err)
	}
	if err := CheckSchema(ctx, NewTestDB(t).SQL()); err != nil {
		t.Errorf("CheckSchema(migrated) = %v, want nil", err)
	}
}
