package database

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// exercise runs what the stores do, from several goroutines at once, so
// statements of one client land on different server connections of the pool.
func exercise(ctx context.Context, db *DB) error {
	if err := db.Conn(ctx).Exec(`CREATE TABLE IF NOT EXISTS bouncer_probe (
		id uuid PRIMARY KEY, email text NOT NULL, seen timestamptz NOT NULL, tags text[] NOT NULL, doc jsonb, raw bytea)`).Error; err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				err := db.WithTx(ctx, func(ctx context.Context) error {
					id := uuid.New()
					if err := db.Conn(ctx).Exec("INSERT INTO bouncer_probe VALUES (?, ?, ?, ?, ?, ?)",
						id, fmt.Sprintf("u%d.%d@corpu.go.id", w, i), time.Now(), TextArray{"a", "b"}, []byte(`{"n": 1}`), []byte{1, 2}).Error; err != nil {
						return err
					}
					var n int64
					if err := db.Conn(ctx).Table("bouncer_probe").Where("id = ? AND seen <= ?", id, time.Now().Add(time.Minute)).Count(&n).Error; err != nil {
						return err
					}
					if n != 1 {
						return fmt.Errorf("row %s not found in its own transaction", id)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func TestTheDatabaseWorksThroughPgBouncerInTransactionModeWithTheDocumentedOption(t *testing.T) {
	t.Parallel()
	// cache_describe (docs/deployment.md) executes every statement in one
	// round trip with an unnamed statement, so nothing depends on a server
	// connection keeping state between transactions, and it knows each
	// parameter's type, so JSON held in bytes reaches a jsonb column as JSON.
	// simple_protocol and exec send bytes as bytea, which jsonb refuses; the
	// default, cache_statement, keeps named prepared statements on server
	// connections PgBouncer hands from client to client ("prepared statement
	// … already exists"), a failure that depends on timing and is not tested.
	tests := []struct {
		mode  string
		works bool
	}{
		{"cache_describe", true},
		{"simple_protocol", false},
		{"exec", false},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			db := NewTestDBThroughPgBouncer(t, "default_query_exec_mode="+tt.mode)
			err := exercise(context.Background(), db)
			if tt.works && err != nil {
				t.Errorf("through PgBouncer with default_query_exec_mode=%s: %v", tt.mode, err)
			}
			if !tt.works && err == nil {
				t.Errorf("default_query_exec_mode=%s works through PgBouncer now; the guide may recommend it", tt.mode)
			}
		})
	}
}
