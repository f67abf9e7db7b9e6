package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
)

// authStore reads and writes the tables of sign-in: refresh tokens, personal
// API tokens, one-time tokens and the brute-force counters on users.
type authStore struct{ db *database.DB }

// --- rows ---

type refreshRow struct {
	ID        uuid.UUID
	FamilyID  uuid.UUID
	UserID    uuid.UUID
	TokenHash []byte
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
	UserAgent string
	IP        string `gorm:"column:ip"`
	CreatedAt time.Time
}

func (refreshRow) TableName() string { return "refresh_tokens" }

type apiTokenRow struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Name       string
	TokenHash  []byte
	Scopes     database.TextArray
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

func (apiTokenRow) TableName() string { return "api_tokens" }

func (r apiTokenRow) toAPIToken() APIToken {
	scopes := make([]authz.Permission, len(r.Scopes))
	for i, s := range r.Scopes {
		scopes[i] = authz.Permission(s)
	}
	return APIToken{ID: r.ID, UserID: r.UserID, Name: r.Name, Scopes: scopes, ExpiresAt: r.ExpiresAt,
		LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt, CreatedAt: r.CreatedAt}
}

type oneTimeRow struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Purpose   string
	TokenHash []byte
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (oneTimeRow) TableName() string { return "one_time_tokens" }

// --- brute-force counters ---

// recordFailedLogin counts a failed sign-in and, from the max-th failure
// in a row on, shuts the account to unknown addresses for a delay that
// doubles with each further failure, 1 s up to maxDelay. One statement, so
// concurrent failures all count.
func (s authStore) recordFailedLogin(ctx context.Context, userID uuid.UUID, now time.Time, max int, maxDelay time.Duration) error {
	err := s.db.Conn(ctx).Exec(`
		UPDATE users SET
			failed_logins = failed_logins + 1,
			locked_until = CASE WHEN failed_logins + 1 >= @max
				THEN CAST(@now AS timestamptz) + least(CAST(@cap AS float8), power(2, least(failed_logins + 1 - @max, 30))) * interval '1 second'
				ELSE locked_until END
		WHERE id = @id`,
		map[string]any{"now": now, "max": max, "cap": maxDelay.Seconds(), "id": userID}).Error
	if err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return nil
}

// knownAddress reports whether the user started a session from ip since.
func (s authStore) knownAddress(ctx context.Context, userID uuid.UUID, ip string, since time.Time) (bool, error) {
	var known bool
	err := s.db.Conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE user_id = ? AND ip = ? AND created_at >= ?)`,
		userID, truncateBytes(ip, 64), since).Scan(&known).Error
	if err != nil {
		return false, fmt.Errorf("check known address: %w", err)
	}
	return known, nil
}

// mailedSince reports whether a link of purpose was mailed to the user
// since; it locks the user's row first, so two requests at once send one.
func (s authStore) mailedSince(ctx context.Context, userID uuid.UUID, purpose string, since time.Time) (bool, error) {
	tx := s.db.Conn(ctx)
	if err := tx.Exec("SELECT 1 FROM users WHERE id = ? FOR UPDATE", userID).Error; err != nil {
		return false, fmt.Errorf("lock user: %w", err)
	}
	var recent bool
	err := tx.Raw("SELECT EXISTS (SELECT 1 FROM one_time_tokens WHERE user_id = ? AND purpose = ? AND created_at > ?)",
		userID, purpose, since).Scan(&recent).Error
	if err != nil {
		return false, fmt.Errorf("check mailed links: %w", err)
	}
	return recent, nil
}

// --- refresh tokens ---

func (s authStore) createRefresh(ctx context.Context, r refreshRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create refresh token: %w", err)
	}
	return nil
}

// refreshForUpdate finds a refresh token by hash and locks it for the
// transaction in ctx, so two uses of one token are serialized.
func (s authStore) refreshForUpdate(ctx context.Context, hash []byte) (refreshRow, bool, error) {
	var r refreshRow
	if err := database.Take(s.db.Conn(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("token_hash = ?", hash), &r, nil, "get refresh token"); err != nil {
		return refreshRow{}, false, err
	}
	return r, true, nil
}

func (s authStore) markRefreshUsed(ctx context.Context, id uuid.UUID, at time.Time) error {
	if err := s.db.Conn(ctx).Model(&refreshRow{}).Where("id = ?", id).Update("used_at", at).Error; err != nil {
		return fmt.Errorf("mark refresh token used: %w", err)
	}
	return nil
}

// revokeFamily ends one session: every token of the family.
func (s authStore) revokeFamily(ctx context.Context, familyID uuid.UUID, at time.Time) error {
	err := s.db.Conn(ctx).Model(&refreshRow{}).Where("family_id = ? AND revoked_at IS NULL", familyID).
		Update("revoked_at", at).Error
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// revokeFamiliesOf ends every session of a user except keep (uuid.Nil for none).
func (s authStore) revokeFamiliesOf(ctx context.Context, userID, keep uuid.UUID, at time.Time) error {
	err := s.db.Conn(ctx).Model(&refreshRow{}).Where("user_id = ? AND family_id <> ? AND revoked_at IS NULL", userID, keep).
		Update("revoked_at", at).Error
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// --- personal API tokens ---

func (s authStore) createAPIToken(ctx context.Context, r apiTokenRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create api token: %w", err)
	}
	return nil
}

func (s authStore) apiTokenByHash(ctx context.Context, hash []byte) (apiTokenRow, bool, error) {
	var r apiTokenRow
	if err := database.Take(s.db.Conn(ctx).Where("token_hash = ?", hash), &r, nil, "get api token"); err != nil {
		return apiTokenRow{}, false, err
	}
	return r, true, nil
}

// touchAPIToken records a use of a token, at most once per interval, so a
// busy integration does not write on every request.
func (s authStore) touchAPIToken(ctx context.Context, id uuid.UUID, at time.Time, interval time.Duration) error {
	err := s.db.Conn(ctx).Model(&apiTokenRow{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", id, at.Add(-interval)).
		Update("last_used_at", at).Error
	if err != nil {
		return fmt.Errorf("touch api token: %w", err)
	}
	return nil
}

// apiTokensOf lists a user's tokens that are not revoked, newest first.
func (s authStore) apiTokensOf(ctx context.Context, userID uuid.UUID) ([]apiTokenRow, error) {
	var rows []apiTokenRow
	err := s.db.Conn(ctx).Where("user_id = ? AND revoked_at IS NULL", userID).Order("created_at DESC, id DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return rows, nil
}

// revokeAPIToken revokes a user's token and returns it; found is false when
// the user holds no such token that is not revoked yet.
func (s authStore) revokeAPIToken(ctx context.Context, userID, id uuid.UUID, at time.Time) (apiTokenRow, bool, error) {
	var rows []apiTokenRow
	err := s.db.Conn(ctx).Model(&rows).Clauses(clause.Returning{}).
		Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).
		Update("revoked_at", at).Error
	if err != nil {
		return apiTokenRow{}, false, fmt.Errorf("revoke api token: %w", err)
	}
	if len(rows) == 0 {
		return apiTokenRow{}, false, nil
	}
	return rows[0], true, nil
}

// --- one-time tokens ---

// createOneTime stores a new mailed token and retires the user's earlier
// unused ones of the same purpose, so only the latest link works.
func (s authStore) createOneTime(ctx context.Context, r oneTimeRow) error {
	if err := s.invalidateOneTime(ctx, r.UserID, r.Purpose, r.CreatedAt); err != nil {
		return err
	}
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create one-time token: %w", err)
	}
	return nil
}

// invalidateOneTime retires a user's unused tokens of a purpose. Call it for
// verify_email when the address changes, so a link mailed to the old address
// cannot verify the new one.
func (s authStore) invalidateOneTime(ctx context.Context, userID uuid.UUID, purpose string, at time.Time) error {
	err := s.db.Conn(ctx).Model(&oneTimeRow{}).Where("user_id = ? AND purpose = ? AND used_at IS NULL", userID, purpose).
		Update("used_at", at).Error
	if err != nil {
		return fmt.Errorf("retire one-time tokens: %w", err)
	}
	return nil
}

// voidMailedLinks retires every unused link (verification and password
// reset) mailed to the users: call it when their addresses change, so a link
// sent to an old address stops working.
func (s authStore) voidMailedLinks(ctx context.Context, userIDs []uuid.UUID, at time.Time) error {
	if len(userIDs) == 0 {
		return nil
	}
	err := s.db.Conn(ctx).Model(&oneTimeRow{}).Where("user_id IN ? AND used_at IS NULL", userIDs).
		Update("used_at", at).Error
	if err != nil {
		return fmt.Errorf("void mailed links: %w", err)
	}
	return nil
}

// consumeOneTime marks a usable token of purpose as used and returns it;
// found is false when there is no such token, or it was used or has expired.
// The row is locked, so of two concurrent uses exactly one wins.
func (s authStore) consumeOneTime(ctx context.Context, hash []byte, purpose string, now time.Time) (oneTimeRow, bool, error) {
	var rows []oneTimeRow
	err := s.db.Conn(ctx).Model(&rows).Clauses(clause.Returning{}).
		Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", hash, purpose, now).
		Update("used_at", now).Error
	if err != nil {
		return oneTimeRow{}, false, fmt.Errorf("use one-time token: %w", err)
	}
	if len(rows) == 0 {
		return oneTimeRow{}, false, nil
	}
	return rows[0], true, nil
}

// --- users ---

// updateUserAuth changes a user's sign-in fields (password hash, counters,
// verification). Unlike store.updateUser it leaves updated_at alone unless
// fields set it, so a sign-in is not an edit of the profile.
func (s authStore) updateUserAuth(ctx context.Context, id uuid.UUID, fields map[string]any) error {
	if err := s.db.Conn(ctx).Model(&userRow{}).Where("id = ?", id).Updates(fields).Error; err != nil {
		return fmt.Errorf("update user sign-in: %w", err)
	}
	return nil
}

// markEmailVerified records that a user proved their address, keeping the
// first time they did.
func (s authStore) markEmailVerified(ctx context.Context, id uuid.UUID, at time.Time) error {
	err := s.db.Conn(ctx).Exec("UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?), updated_at = ? WHERE id = ?",
		at, at, id).Error
	if err != nil {
		return fmt.Errorf("mark e-mail verified: %w", err)
	}
	return nil
}
