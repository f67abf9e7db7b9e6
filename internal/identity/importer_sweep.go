package identity

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

// claimsGrace is how long an import's claims outlive the end of its job, or
// the last sign of life of the attempt that made them.
const claimsGrace = time.Hour

// Sweeps registers the periodic removal of what dead imports left behind.
func (im *Importer) Sweeps(bus *queue.Bus, log *slog.Logger) {
	bus.Reconcile("import-claims", "41 * * * *", func(ctx context.Context) error {
		n, err := im.SweepClaims(ctx)
		if n > 0 {
			log.InfoContext(ctx, "removed the claims of imports no longer running", "jobs", n)
		}
		return err
	})
}

// SweepClaims removes the claims (and the sign of life) of imports no
// attempt will use again: those of a job over for claimsGrace or gone, and
// those of an attempt silent for claimsGrace (its process died; a retry
// starts by forgetting them anyway). An attempt ends by removing its own, so
// only a process that died leaves any; a job that dies and is never retried
// would otherwise keep them forever. It returns how many jobs it cleaned up
// after.
//
// Claims of a job still running with no sign of life at all (left by a
// version from before import_runs) are kept until the job is over.
func (im *Importer) SweepClaims(ctx context.Context) (int, error) {
	db := im.svc.db.Conn(ctx)
	cutoff := im.svc.now().Add(-claimsGrace)
	// The jobs holding claims, by a walk of the primary key: one probe per
	// job, however many millions of claims a job holds.
	var held []uuid.UUID
	err := db.Raw(`WITH RECURSIVE j AS (
			(SELECT job_id FROM import_claims ORDER BY job_id LIMIT 1)
			UNION ALL
			SELECT (SELECT c.job_id FROM import_claims c WHERE c.job_id > j.job_id ORDER BY c.job_id LIMIT 1)
			FROM j WHERE j.job_id IS NOT NULL)
		SELECT job_id FROM j WHERE job_id IS NOT NULL`).Scan(&held).Error
	if err != nil {
		return 0, fmt.Errorf("find the imports holding claims: %w", err)
	}
	var runs []struct {
		JobID       uuid.UUID
		HeartbeatAt time.Time
	}
	if err := db.Raw(`SELECT job_id, heartbeat_at FROM import_runs`).Scan(&runs).Error; err != nil {
		return 0, fmt.Errorf("read the imports running: %w", err)
	}
	alive := map[uuid.UUID]bool{}
	var silent []uuid.UUID
	for _, r := range runs {
		if alive[r.JobID] = !r.HeartbeatAt.Before(cutoff); !alive[r.JobID] {
			silent = append(silent, r.JobID)
		}
	}
	var unsure []uuid.UUID // holding claims, no sign of life: ask the job
	for _, id := range held {
		if _, known := alive[id]; !known {
			unsure = append(unsure, id)
		}
	}
	over, err := im.jobs.Over(ctx, unsure, cutoff)
	if err != nil {
		return 0, err
	}
	sweep := append(silent, over...)
	if len(sweep) == 0 {
		return 0, nil
	}
	// Each statement checks again that no attempt has shown a sign of life
	// since: a retry that starts meanwhile keeps what it claims.
	err = im.svc.db.WithTx(ctx, func(ctx context.Context) error {
		ids := database.UUIDArray(sweep)
		if err := im.svc.db.Conn(ctx).Exec(`DELETE FROM import_claims c WHERE c.job_id = ANY(?::uuid[])
			AND NOT EXISTS (SELECT 1 FROM import_runs r WHERE r.job_id = c.job_id AND r.heartbeat_at >= ?)`, ids, cutoff).Error; err != nil {
			return fmt.Errorf("remove the claims of imports no longer running: %w", err)
		}
		if err := im.svc.db.Conn(ctx).Exec(`DELETE FROM import_runs WHERE job_id = ANY(?::uuid[]) AND heartbeat_at < ?`, ids, cutoff).Error; err != nil {
			return fmt.Errorf("remove the signs of life of imports no longer running: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(sweep), nil
}
