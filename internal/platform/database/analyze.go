package database

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// The planner works from statistics that ANALYZE takes, and an exam makes
// them stale within a minute: quiz_attempt_slots gains 400,000 rows while
// 20,000 learners start. A plan made from the statistics of an emptier table
// scans where it should look up, and it is kept: a pooled connection keeps
// the generic plans of its prepared statements, and of the foreign-key
// checks behind every insert, until the table is analyzed again. With the
// attempts' statistics those of an empty table, each slot inserted checked
// its attempt with a sequential scan of every attempt so far: 90,000 slots
// of 10,000 attempts took 17 s to insert.
//
// Autovacuum analyzes a table once a tenth of it has changed, but only when
// it wakes (every minute by default), and not at all where it is turned off.
// AnalyzeStale analyzes on the worker's clock (every 15 s) the tables that
// grew or shrank beyond what their statistics say, whether or not autovacuum
// runs. It leaves updates to autovacuum: an exam's 140,000 saves are
// updates, and analyzing the slots each time a tenth of them had changed
// cost a second of the database every 15 s, 60 times in one exam.
const (
	// A table is stale once its live rows and the rows its last analyze
	// counted differ by more than staleRows and the larger is more than
	// staleGrowth times the smaller: a plan holds for a size within a
	// factor of two, and slots growing from nothing to 400,000 rows are
	// analyzed about 9 times on the way (twice in a measured start window),
	// where the old rule analyzed them 60 times in one exam.
	staleRows   = 1000
	staleGrowth = 2
	// analyzeLock keeps two workers from analyzing at once (an advisory
	// lock's key: "corpuana" in ASCII; nothing else uses it).
	analyzeLock = 0x636f727075616e61
)

// AnalyzeStale analyzes the tables of the current schema that are stale and
// returns their names. While another caller analyzes, it does nothing.
func AnalyzeStale(ctx context.Context, db *DB) ([]string, error) {
	var analyzed []string
	err := db.WithTx(ctx, func(ctx context.Context) error {
		tx := db.Conn(ctx)
		var mine bool
		if err := tx.Raw(`SELECT pg_try_advisory_xact_lock(?)`, analyzeLock).Scan(&mine).Error; err != nil {
			return fmt.Errorf("take the analyze lock: %w", err)
		}
		if !mine {
			return nil
		}
		var stale []string
		// reltuples is -1 for a table never analyzed.
		if err := tx.Raw(`SELECT relname FROM (
				SELECT s.relname, s.n_live_tup AS live, greatest(c.reltuples, 0) AS counted
				FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
				WHERE s.schemaname = current_schema()) t
			WHERE greatest(live, counted) > ? + ? * least(live, counted)
			ORDER BY abs(live - counted) DESC`, staleRows, staleGrowth).Scan(&stale).Error; err != nil {
			return fmt.Errorf("find stale tables: %w", err)
		}
		for _, table := range stale {
			if err := analyze(tx, table); err != nil {
				return err
			}
		}
		analyzed = stale
		return nil
	})
	if err != nil {
		return nil, err
	}
	return analyzed, nil
}

func analyze(tx *gorm.DB, table string) error {
	if err := tx.Exec(`ANALYZE ` + quoteIdent(table)).Error; err != nil {
		return fmt.Errorf("analyze %s: %w", table, err)
	}
	return nil
}
