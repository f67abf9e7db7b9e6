package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// CreateAPIToken issues the caller a personal API token named name, limited
// to scopes, each a permission the caller holds somewhere, and expiring at
// expiresAt, at most a year ahead. The returned plain token is shown once.
func (a *Auth) CreateAPIToken(ctx context.Context, name string, scopes []authz.Permission, expiresAt time.Time) (string, APIToken, error) {
	actor, err := requireSession(ctx)
	if err != nil {
		return "", APIToken{}, err
	}
	now := a.now()
	name = strings.TrimSpace(name)
	expiresAt = expiresAt.UTC().Truncate(time.Second)
	var v apperr.Validation
	v.Check(name != "" && utf8.RuneCountInString(name) <= maxAPITokenName, "name",
		"wajib diisi, paling banyak 100 karakter", "is required, at most 100 characters")
	v.Check(len(scopes) > 0, "scopes", "pilih minimal satu izin", "choose at least one permission")
	var held []string
	for i, p := range scopes {
		field := fmt.Sprintf("scopes[%d]", i)
		if !knownPermission(p) {
			v.Add(field, "izin tidak dikenal", "unknown permission")
			continue
		}
		if roots, all := actor.Roots(p); !all && len(roots) == 0 && !slices.Contains(authz.SelfPermissions, p) {
			v.Add(field, "Anda tidak memegang izin ini", "you do not hold this permission")
			continue
		}
		if !slices.Contains(held, string(p)) {
			held = append(held, string(p))
		}
	}
	switch {
	case expiresAt.IsZero():
		v.Add("expires_at", "wajib diisi", "is required")
	case !expiresAt.After(now):
		v.Add("expires_at", "harus di masa depan", "must be in the future")
	case expiresAt.After(now.Add(maxAPITokenLife)):
		v.Add("expires_at", "paling lama satu tahun dari sekarang", "must be at most one year from now")
	}
	if err := v.Err(); err != nil {
		return "", APIToken{}, err
	}
	slices.Sort(held)
	plain, hash := token.NewSecret(token.PrefixAPIToken)
	row := apiTokenRow{ID: uuid.Must(uuid.NewV7()), UserID: actor.UserID, Name: name, TokenHash: hash,
		Scopes: held, ExpiresAt: expiresAt, CreatedAt: now}
	err = a.db.WithTx(ctx, func(ctx context.Context) error {
		user, err := a.svc.store.user(ctx, actor.UserID)
		if err != nil {
			return err
		}
		if err := a.store.createAPIToken(ctx, row); err != nil {
			return err
		}
		return a.record(ctx, user, "api_token.create", "api_token", row.ID.String(), nil,
			map[string]any{"name": row.Name, "scopes": row.Scopes, "expires_at": row.ExpiresAt})
	})
	if err != nil {
		return "", APIToken{}, err
	}
	return plain, row.toAPIToken(), nil
}

// knownPermission reports whether p is a permission some role carries.
func knownPermission(p authz.Permission) bool {
	if slices.Contains(authz.SelfPermissions, p) {
		return true
	}
	for _, r := range authz.Roles {
		if r != authz.RolePlatformAdmin && authz.RoleGrants(r, p) {
			return true
		}
	}
	return false
}

// ListAPITokens returns the caller's tokens that are not revoked, newest first.
func (a *Auth) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	actor, err := requireSession(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.apiTokensOf(ctx, actor.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]APIToken, len(rows))
	for i, r := range rows {
		out[i] = r.toAPIToken()
	}
	return out, nil
}

// RevokeAPIToken revokes one of the caller's tokens; anyone else's is not
// found.
func (a *Auth) RevokeAPIToken(ctx context.Context, id uuid.UUID) error {
	actor, err := requireSession(ctx)
	if err != nil {
		return err
	}
	return a.db.WithTx(ctx, func(ctx context.Context) error {
		row, found, err := a.store.revokeAPIToken(ctx, actor.UserID, id, a.now())
		if err != nil {
			return err
		}
		if !found {
			return ErrAPITokenNotFound
		}
		user, err := a.svc.store.user(ctx, actor.UserID)
		if err != nil {
			return err
		}
		return a.record(ctx, user, "api_token.revoke", "api_token", row.ID.String(),
			map[string]any{"name": row.Name, "scopes": row.Scopes, "expires_at": row.ExpiresAt}, nil)
	})
}
