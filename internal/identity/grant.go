package identity

import (
	"context"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// Grants returns the grants of a user the caller may see.
func (s *Service) Grants(ctx context.Context, userID uuid.UUID) ([]RoleGrant, error) {
	if _, err := s.User(ctx, userID); err != nil {
		return nil, err
	}
	return s.store.grantsOf(ctx, userID)
}

// Grant gives a user a role on an organisation subtree. The caller must
// administer grants there; only platform admins make platform admins; no
// one grants a role to themselves (ErrSelfGrant), so every grant has two
// people behind it.
func (s *Service) Grant(ctx context.Context, userID uuid.UUID, role authz.Role, orgID uuid.UUID) (RoleGrant, error) {
	if !role.Valid() {
		return RoleGrant{}, apperr.Invalid("role", "peran tidak dikenal", "unknown role")
	}
	var g RoleGrant
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		user, err := s.store.user(ctx, userID)
		if err != nil {
			return err
		}
		actor, err := authz.ActorFrom(ctx)
		if err != nil {
			return err
		}
		if actor.UserID != userID && !actor.Can(authz.UserRead, user.OrgPath) {
			return ErrUserNotFound
		}
		org, err := s.store.org(ctx, orgID)
		if err != nil {
			return apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")
		}
		if _, err := authorize(ctx, authz.GrantAdmin, "", org.Path, apperr.Invalid("org_id",
			"Anda tidak dapat memberi peran di luar wilayah kewenangan Anda", "you cannot grant roles outside your own subtree")); err != nil {
			return err
		}
		if actor.UserID == userID {
			return ErrSelfGrant
		}
		if role == authz.RolePlatformAdmin && !actor.IsPlatformAdmin() {
			return apperr.Invalid("role", "hanya admin platform yang dapat memberi peran admin platform",
				"only platform admins can grant the platform admin role")
		}
		g = RoleGrant{ID: uuid.Must(uuid.NewV7()), UserID: userID, Role: role, OrgID: org.ID, OrgPath: org.Path,
			GrantedBy: &actor.UserID, CreatedAt: s.now()}
		if err := s.store.createGrant(ctx, g); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.GrantAdmin, audit.Change{Action: "grant.create", EntityType: "role_grant",
			EntityID: g.ID.String(), OrgID: org.ID, OrgPath: org.Path, After: g})
	})
	return g, err
}

// Revoke ends a grant the caller administers; the grant stays as history.
// One may revoke one's own grants: that only gives power up, and someone
// must be able to step down without asking another admin.
func (s *Service) Revoke(ctx context.Context, grantID uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		g, err := s.store.grant(ctx, grantID)
		if err != nil {
			return err
		}
		actor, err := authorize(ctx, authz.GrantAdmin, authz.GrantRead, g.OrgPath, ErrGrantNotFound)
		if err != nil {
			return err
		}
		if g.Role == authz.RolePlatformAdmin && !actor.IsPlatformAdmin() {
			return authz.ErrForbidden
		}
		if err := s.store.endGrant(ctx, grantID, actor.UserID, "revoked", s.now()); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.GrantAdmin, audit.Change{Action: "grant.revoke", EntityType: "role_grant",
			EntityID: g.ID.String(), OrgID: g.OrgID, OrgPath: g.OrgPath, Before: g})
	})
}
