package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

type entryRow struct {
	ID uuid.UUID
	// At is the time of the change: the database sets it (now(), the start
	// of the transaction that made the change), so GORM never writes it.
	At         time.Time `gorm:"->"`
	ActorID    *uuid.UUID
	GrantID    *uuid.UUID
	OrgID      *uuid.UUID
	OrgPath    string
	Action     string
	EntityType string
	EntityID   string
	Before     []byte
	After      []byte
	RequestID  string
	IP         string
}

func (entryRow) TableName() string { return "audit_log" }

func (r entryRow) toEntry() Entry {
	return Entry{
		ID: r.ID, At: r.At, ActorID: r.ActorID, GrantID: r.GrantID, OrgID: r.OrgID, OrgPath: r.OrgPath,
		Action: r.Action, EntityType: r.EntityType, EntityID: r.EntityID,
		Before: json.RawMessage(r.Before), After: json.RawMessage(r.After), RequestID: r.RequestID, IP: r.IP,
	}
}

type store struct{ db *database.DB }

func (s store) insert(ctx context.Context, r entryRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("insert audit entry: %w", err)
	}
	return nil
}

// query selects entries under any of roots (nil roots with all=true: every
// entry) matching f, newest first, keyset-paginated by id (UUIDv7 ids sort by time).
func (s store) query(ctx context.Context, roots []string, all bool, scopePath string, f Filter, req page.Request) ([]entryRow, error) {
	q := s.db.Conn(ctx).Model(&entryRow{})
	if !all {
		q = q.Where(database.UnderAnyPath(s.db.Conn(ctx), "org_path", roots))
	}
	if scopePath != "" {
		q = q.Where("org_path LIKE ?", database.EscapeLike(scopePath)+"%")
	}
	if f.EntityType != "" {
		q = q.Where("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	if f.ActorID != uuid.Nil {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until)
	}
	q, err := database.Keyset(q, "", database.KeyNone, "id", page.Request{Limit: req.Limit, Cursor: req.Cursor, Sort: "-id"})
	if err != nil {
		return nil, err
	}
	var rows []entryRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("query audit log: %w", err)
	}
	return rows, nil
}
