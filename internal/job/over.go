package job

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

// Over returns those of ids whose job ended (succeeded, failed or was
// cancelled) before the time given, or does not exist: what a domain's sweep
// may clean up after. It answers the system, not a caller: no actor needed.
func (s *Service) Over(ctx context.Context, ids []uuid.UUID, before time.Time) ([]uuid.UUID, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var over []uuid.UUID
	err := s.db.Conn(ctx).Raw(`SELECT k.id FROM unnest(?::uuid[]) AS k(id)
		WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = k.id
			AND (j.status NOT IN (?, ?, ?) OR j.finished_at IS NULL OR j.finished_at >= ?))`,
		database.UUIDArray(ids), string(StatusSucceeded), string(StatusFailed), string(StatusCancelled), before).Scan(&over).Error
	if err != nil {
		return nil, fmt.Errorf("find jobs that are over: %w", err)
	}
	return over, nil
}
