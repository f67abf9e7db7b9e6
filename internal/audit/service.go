package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/web"
)

// OrgPaths resolves an organisation's path; the identity service provides it.
type OrgPaths interface {
	OrgPath(ctx context.Context, orgID uuid.UUID) (string, error)
}

// Service records and reads the audit log.
type Service struct {
	store store
	orgs  OrgPaths
}

// NewService returns the audit service over db.
func NewService(db *database.DB, orgs OrgPaths) *Service {
	return &Service{store: store{db: db}, orgs: orgs}
}

// Record writes change to the log in the transaction carried by ctx, with the
// caller, the grant that allowed the change (perm at the change's
// organisation), the request id and address.
func (s *Service) Record(ctx context.Context, perm authz.Permission, c Change) error {
	row := entryRow{
		ID: uuid.Must(uuid.NewV7()), OrgPath: c.OrgPath, Action: c.Action,
		EntityType: c.EntityType, EntityID: c.EntityID,
		RequestID: web.RequestID(ctx), IP: web.ClientIP(ctx),
	}
	if c.OrgID != uuid.Nil {
		org := c.OrgID
		row.OrgID = &org
	}
	if actor, err := authz.ActorFrom(ctx); err == nil {
		id := actor.UserID
		row.ActorID = &id
		if g := actor.GrantFor(perm, c.OrgPath); g != nil {
			gid := g.ID
			row.GrantID = &gid
		}
	}
	var err error
	if row.Before, err = encode(c.Before); err != nil {
		return err
	}
	if row.After, err = encode(c.After); err != nil {
		return err
	}
	return s.store.insert(ctx, row)
}

func encode(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode audit state: %w", err)
	}
	return b, nil
}

// ErrOrgNotFound is returned for a subtree the caller may not read.
var ErrOrgNotFound = apperr.New(apperr.KindNotFound, "audit.org_not_found",
	"Organisasi tidak ditemukan.", "Organisation not found.")

// List returns entries the caller may read (their audit subtrees), newest first.
func (s *Service) List(ctx context.Context, f Filter, req page.Request) (page.Result[Entry], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Entry]{}, err
	}
	roots, all := actor.Roots(authz.AuditRead)
	if !all && len(roots) == 0 {
		return page.Result[Entry]{}, authz.ErrForbidden
	}
	// A cursor is opaque but not signed: one whose id is not an id would
	// fail the query, so it is bad input.
	if err := database.CheckCursor(req, database.KeyNone); err != nil {
		return page.Result[Entry]{}, err
	}
	scope := ""
	if f.OrgID != uuid.Nil {
		path, err := s.orgs.OrgPath(ctx, f.OrgID)
		if err != nil || !actor.Can(authz.AuditRead, path) {
			return page.Result[Entry]{}, ErrOrgNotFound
		}
		scope = path
	}
	rows, err := s.store.query(ctx, roots, all, scope, f, req)
	if err != nil {
		return page.Result[Entry]{}, err
	}
	entries := make([]Entry, len(rows))
	for i, r := range rows {
		entries[i] = r.toEntry()
	}
	return page.Build(entries, req.Limit, func(e Entry) page.Position {
		return page.Position{ID: e.ID.String()}
	}), nil
}
