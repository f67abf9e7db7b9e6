package identity

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/identity/password"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

// Auditor records changes; the audit service provides it.
type Auditor interface {
	Record(ctx context.Context, perm authz.Permission, c audit.Change) error
}

// Service runs the use cases of organisations, users and role grants. Every
// method authorizes the caller from the context against the subtree the
// thing belongs to; a thing the caller may not see is reported as not found.
type Service struct {
	db     *database.DB
	store  store
	audit  Auditor
	outbox *queue.Outbox // the events identity announces
	now    func() time.Time
	params password.Params // the cost of new password hashes
}

// NewService returns the identity service.
func NewService(db *database.DB, auditor Auditor) *Service {
	return &Service{db: db, store: store{db: db}, audit: auditor, outbox: queue.NewOutbox(db),
		now: func() time.Time { return time.Now().UTC() }, params: password.DefaultParams}
}

// SetPasswordParams sets the cost of the password hashes the service and the
// sign-in made with it (NewAuth) make from now on; call it before NewAuth.
func (s *Service) SetPasswordParams(p password.Params) { s.params = p }

// OrgPath returns an organisation's path without authorizing: other domains
// use it to place their things in the tree before they authorize.
func (s *Service) OrgPath(ctx context.Context, orgID uuid.UUID) (string, error) {
	o, err := s.store.org(ctx, orgID)
	if err != nil {
		return "", err
	}
	return o.Path, nil
}

// Actor loads the caller's grants for a request; a user who is not active
// cannot act.
func (s *Service) Actor(ctx context.Context, userID uuid.UUID) (*authz.Actor, error) {
	u, err := s.store.user(ctx, userID)
	if errors.Is(err, ErrUserNotFound) || (err == nil && UserStatus(u.Status) != StatusActive) {
		return nil, authz.ErrUnauthenticated
	}
	if err != nil {
		// Not "signed out": the database did not answer (see ErrAuthUnavailable).
		return nil, err
	}
	grants, err := s.store.grantsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	a := &authz.Actor{UserID: u.ID, HomeOrgID: u.OrgID, HomeOrgPath: u.OrgPath}
	for _, g := range grants {
		a.Grants = append(a.Grants, authz.Grant{ID: g.ID, Role: g.Role, OrgID: g.OrgID, OrgPath: g.OrgPath})
	}
	return a, nil
}

// authorize returns the caller when they may do perm at path. When they may
// not even see things there they get notFound, so ids cannot be probed; when
// they may see but not do, they get ErrForbidden.
func authorize(ctx context.Context, perm, see authz.Permission, path string, notFound error) (*authz.Actor, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := authz.Decide(see != "" && actor.Can(see, path), actor.Can(perm, path), notFound); err != nil {
		return nil, err
	}
	return actor, nil
}

// authorizeOnUser is authorize for a change to a user: the user themselves
// may see their own record, so they are told they may not change it (403)
// rather than that it does not exist.
func authorizeOnUser(ctx context.Context, perm authz.Permission, u userRow) (*authz.Actor, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	canSee := actor.UserID == u.ID || actor.Can(authz.UserRead, u.OrgPath)
	if err := authz.Decide(canSee, actor.Can(perm, u.OrgPath), ErrUserNotFound); err != nil {
		return nil, err
	}
	return actor, nil
}
