package database

import (
	"context"
	"slices"
	"testing"
)

// changeWidgets runs a statement on widget and makes the statistics system
// count its changes at once (a backend reports its changes when it goes
// idle, up to 10 s later, unless asked to flush).
func changeWidgets(t *testing.T, db *DB, sql string, args ...any) {
	t.Helper()
	err := db.WithTx(context.Background(), func(ctx context.Context) error {
		if err := db.Conn(ctx).Exec(`SELECT pg_stat_force_next_flush()`).Error; err != nil {
			return err
		}
		return db.Conn(ctx).Exec(sql, args...).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func insertWidgets(t *testing.T, db *DB, from, n int) {
	t.Helper()
	changeWidgets(t, db, `INSERT INTO widget SELECT generate_series(?::int, ?::int)`, from, from+n-1)
}

func TestATableIsAnalyzedOnceItsRowCountDoubledOrHalvedAndNotWhileAnotherWorkerAnalyzes(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	mustExec(t, db, ctx, "CREATE TABLE widget (id int PRIMARY KEY, saved int)")
	estimate := func() float64 {
		var rows float64
		if err := db.Conn(ctx).Raw(`SELECT reltuples FROM pg_class WHERE oid = 'widget'::regclass`).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		return rows
	}
	analyzeStale := func(step string, want bool) {
		t.Helper()
		analyzed, err := AnalyzeStale(ctx, db)
		if err != nil {
			t.Fatalf("%s: AnalyzeStale() = %v", step, err)
		}
		if got := slices.Contains(analyzed, "widget"); got != want {
			t.Errorf("%s: widget analyzed = %v (%v), want %v", step, got, analyzed, want)
		}
	}

	insertWidgets(t, db, 1, 5000)
	// Another worker holds the lock: this one leaves the table alone.
	other := db.Conn(ctx).Begin()
	if err := other.Exec(`SELECT pg_advisory_xact_lock(?)`, analyzeLock).Error; err != nil {
		t.Fatal(err)
	}
	analyzeStale("while another worker analyzes", false)
	if err := other.Rollback().Error; err != nil {
		t.Fatal(err)
	}
	analyzeStale("5,000 rows never analyzed", true)
	if got := estimate(); got != 5000 {
		t.Errorf("the planner's estimate after the analyze = %v rows, want 5000", got)
	}
	analyzeStale("nothing changed since", false)
	changeWidgets(t, db, `UPDATE widget SET saved = id`)
	analyzeStale("every row updated, none added", false)
	insertWidgets(t, db, 5001, 6000)
	analyzeStale("11,000 rows, not more than 1,000 and twice 5,000", false)
	insertWidgets(t, db, 11001, 1000)
	analyzeStale("12,000 rows, more than 1,000 and twice 5,000", true)
	if got := estimate(); got != 12000 {
		t.Errorf("the planner's estimate after the second analyze = %v rows, want 12000", got)
	}
	changeWidgets(t, db, `DELETE FROM widget WHERE id > 5500`)
	analyzeStale("5,500 rows left, twice and 1,000 more is 12,000", false)
	changeWidgets(t, db, `DELETE FROM widget WHERE id > 5000`)
	analyzeStale("5,000 rows left", true)
	if got := estimate(); got != 5000 {
		t.Errorf("the planner's estimate after the third analyze = %v rows, want 5000", got)
	}
}
