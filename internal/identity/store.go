package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// store reads and writes identity's tables; it turns driver errors into the
// errors of this package.
type store struct {
	db     *database.DB
	actors *actorCache // told when a user's sessions, grants or record change; nil in tests without Auth
}

type orgRow struct {
	ID         uuid.UUID
	ParentID   *uuid.UUID
	Path       string
	Kind       string
	Code       string
	Name       string
	RegionCode *string
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (orgRow) TableName() string { return "organizations" }

func (r orgRow) toOrganization() Organization {
	return Organization{
		ID: r.ID, ParentID: r.ParentID, Path: r.Path, Kind: OrgKind(r.Kind), Code: r.Code, Name: r.Name,
		RegionCode: database.EmptyIfNull(r.RegionCode), Active: r.Active, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func toOrgRow(o Organization) orgRow {
	return orgRow{
		ID: o.ID, ParentID: o.ParentID, Path: o.Path, Kind: string(o.Kind), Code: o.Code, Name: o.Name,
		RegionCode: database.NullIfEmpty(o.RegionCode), Active: o.Active, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

type userRow struct {
	ID              uuid.UUID
	NIP             *string `gorm:"column:nip"`
	NationalID      *string
	Name            string
	Email           string
	EmailVerifiedAt *time.Time
	Phone           *string
	PositionTitle   *string
	PositionType    *string
	FunctionalPost  *string
	Grade           *string
	OrgID           uuid.UUID
	WorkUnitID      *uuid.UUID
	SupervisorID    *uuid.UUID
	Status          string
	PasswordHash    *string
	FailedLogins    int
	LockedUntil     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	OrgPath         string `gorm:"->;column:org_path"` // read from the join with organizations
}

func (userRow) TableName() string { return "users" }

func (r userRow) toUser() User {
	return User{
		ID: r.ID, NIP: database.EmptyIfNull(r.NIP), NationalID: database.EmptyIfNull(r.NationalID), Name: r.Name, Email: r.Email,
		EmailVerifiedAt: r.EmailVerifiedAt, Phone: database.EmptyIfNull(r.Phone), PositionTitle: database.EmptyIfNull(r.PositionTitle),
		PositionType: PositionType(database.EmptyIfNull(r.PositionType)), FunctionalPost: database.EmptyIfNull(r.FunctionalPost), Grade: database.EmptyIfNull(r.Grade),
		OrgID: r.OrgID, OrgPath: r.OrgPath, WorkUnitID: r.WorkUnitID, SupervisorID: r.SupervisorID,
		Status: UserStatus(r.Status), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func toUserRow(u User) userRow {
	return userRow{
		ID: u.ID, NIP: database.NullIfEmpty(u.NIP), NationalID: database.NullIfEmpty(u.NationalID), Name: u.Name, Email: u.Email,
		EmailVerifiedAt: u.EmailVerifiedAt, Phone: database.NullIfEmpty(u.Phone), PositionTitle: database.NullIfEmpty(u.PositionTitle),
		PositionType: database.NullIfEmpty(string(u.PositionType)), FunctionalPost: database.NullIfEmpty(u.FunctionalPost), Grade: database.NullIfEmpty(u.Grade),
		OrgID: u.OrgID, WorkUnitID: u.WorkUnitID, SupervisorID: u.SupervisorID, Status: string(u.Status),
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

type grantRow struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Role      string
	OrgID     uuid.UUID
	GrantedBy *uuid.UUID
	CreatedAt time.Time
	OrgPath   string `gorm:"->;column:org_path"`
}

func (grantRow) TableName() string { return "role_grants" }

func (r grantRow) toGrant() RoleGrant {
	return RoleGrant{ID: r.ID, UserID: r.UserID, Role: authz.Role(r.Role), OrgID: r.OrgID, OrgPath: r.OrgPath, GrantedBy: r.GrantedBy, CreatedAt: r.CreatedAt}
}

type transferRow struct {
	ID             uuid.UUID
	UserID         uuid.UUID
	FromOrgID      uuid.UUID
	ToOrgID        uuid.UUID
	FromWorkUnitID *uuid.UUID
	ToWorkUnitID   *uuid.UUID
	Reason         string
	EffectiveAt    time.Time
	CreatedBy      *uuid.UUID
	CreatedAt      time.Time
}

func (transferRow) TableName() string { return "user_transfers" }

// conflicts turns the unique violations of identity's tables into domain errors.
var conflicts = database.Conflicts{
	"organizations_code_key": ErrOrgCodeTaken,
	"users_email_key":        ErrEmailTaken,
	"users_nip_key":          ErrNIPTaken,
	"role_grants_unique":     ErrGrantExists,
}

// translate turns a driver error into the domain error it means, if any.
func translate(err error) error { return conflicts.Translate(err) }

// --- organisations ---

func (s store) org(ctx context.Context, id uuid.UUID) (Organization, error) {
	var r orgRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrOrgNotFound, "get organisation %s", id); err != nil {
		return Organization{}, err
	}
	return r.toOrganization(), nil
}

func (s store) orgByCode(ctx context.Context, code string) (Organization, error) {
	var r orgRow
	if err := database.Take(s.db.Conn(ctx).Where("code = ?", code), &r, ErrOrgNotFound, "get organisation %s", code); err != nil {
		return Organization{}, err
	}
	return r.toOrganization(), nil
}

func (s store) orgsByCode(ctx context.Context, codes []string) (map[string]Organization, error) {
	var rows []orgRow
	if err := s.db.Conn(ctx).Where("code IN ?", codes).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("get organisations by code: %w", err)
	}
	out := make(map[string]Organization, len(rows))
	for _, r := range rows {
		out[r.Code] = r.toOrganization()
	}
	return out, nil
}

func (s store) createOrg(ctx context.Context, o Organization) error {
	if err := s.db.Conn(ctx).Create(ptr(toOrgRow(o))).Error; err != nil {
		return fmt.Errorf("create organisation: %w", translate(err))
	}
	return nil
}

func (s store) updateOrg(ctx context.Context, o Organization) error {
	r := toOrgRow(o)
	err := s.db.Conn(ctx).Model(&orgRow{}).Where("id = ?", o.ID).Updates(map[string]any{
		"kind": r.Kind, "code": r.Code, "name": r.Name, "region_code": r.RegionCode, "active": r.Active, "updated_at": o.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update organisation: %w", translate(err))
	}
	return nil
}

// orgPage returns a page of the organisations under any of roots (every
// one when all), the children of parent only when it is set, ordered by
// path so parents come before their children (paths are unique: the id
// after the path in the keyset never decides).
func (s store) orgPage(ctx context.Context, roots []string, all bool, parent *uuid.UUID, req page.Request) ([]Organization, error) {
	q := s.db.Conn(ctx).Model(&orgRow{})
	if !all {
		q = q.Where(database.UnderAnyPath(s.db.Conn(ctx), "path", roots))
	}
	if parent != nil {
		q = q.Where("parent_id = ?", *parent)
	}
	q, err := database.Keyset(q, "path", database.KeyText, "id", page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []orgRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	out := make([]Organization, len(rows))
	for i, r := range rows {
		out[i] = r.toOrganization()
	}
	return out, nil
}

// moveSubtree rewrites the path of every organisation under oldPath; people
// and records point at ids, so none of them move or are lost.
func (s store) moveSubtree(ctx context.Context, id uuid.UUID, newParent uuid.UUID, oldPath, newPath string) error {
	tx := s.db.Conn(ctx)
	if err := tx.Model(&orgRow{}).Where("id = ?", id).Update("parent_id", newParent).Error; err != nil {
		return fmt.Errorf("move organisation: %w", err)
	}
	err := tx.Exec(`UPDATE organizations SET path = ? || substr(path, ?), updated_at = now() WHERE path LIKE ?`,
		newPath, len(oldPath)+1, database.EscapeLike(oldPath)+"%").Error
	if err != nil {
		return fmt.Errorf("rewrite subtree paths: %w", err)
	}
	s.actors.everyoneChanged(ctx) // the paths of homes and grants moved
	return nil
}

// orgInUse reports whether an organisation still has children or people.
func (s store) orgInUse(ctx context.Context, id uuid.UUID) (bool, error) {
	var inUse bool
	err := s.db.Conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM organizations WHERE parent_id = ?)
		OR EXISTS (SELECT 1 FROM users WHERE org_id = ? OR work_unit_id = ?)`, id, id, id).Scan(&inUse).Error
	return inUse, err
}

func (s store) deleteOrg(ctx context.Context, id uuid.UUID) error {
	if err := s.db.Conn(ctx).Delete(&orgRow{}, "id = ?", id).Error; err != nil {
		if _, ok := database.ForeignKeyViolation(err); ok {
			return ErrOrgHasChildren
		}
		return fmt.Errorf("delete organisation: %w", err)
	}
	return nil
}

// --- users ---

func (s store) usersWithPath(ctx context.Context) *gorm.DB {
	return s.db.Conn(ctx).Table("users").
		Select("users.*, organizations.path AS org_path").
		Joins("JOIN organizations ON organizations.id = users.org_id")
}

func (s store) user(ctx context.Context, id uuid.UUID) (userRow, error) {
	var r userRow
	if err := database.Take(s.usersWithPath(ctx).Where("users.id = ?", id), &r, ErrUserNotFound, "get user %s", id); err != nil {
		return userRow{}, err
	}
	return r, nil
}

// sessionUser returns the user of a session (refresh-token family) still
// signed in, in one statement; ErrUserNotFound when the session was signed
// out or revoked.
func (s store) sessionUser(ctx context.Context, id, familyID uuid.UUID) (userRow, error) {
	var r userRow
	q := s.usersWithPath(ctx).Where(`users.id = ? AND EXISTS (SELECT 1 FROM refresh_tokens
		WHERE family_id = ? AND user_id = users.id AND revoked_at IS NULL)`, id, familyID)
	if err := database.Take(q, &r, ErrUserNotFound, "get user %s of session %s", id, familyID); err != nil {
		return userRow{}, err
	}
	return r, nil
}

// userByLogin finds a user by e-mail or NIP, for sign-in.
func (s store) userByLogin(ctx context.Context, login string) (userRow, error) {
	var r userRow
	if err := database.Take(s.usersWithPath(ctx).Where("lower(users.email) = lower(?) OR users.nip = ?", login, login), &r, ErrUserNotFound, "get user by login"); err != nil {
		return userRow{}, err
	}
	return r, nil
}

func (s store) createUser(ctx context.Context, r userRow) error {
	if err := s.db.Conn(ctx).Omit("OrgPath").Create(&r).Error; err != nil {
		return fmt.Errorf("create user: %w", translate(err))
	}
	return nil
}

func (s store) updateUser(ctx context.Context, id uuid.UUID, fields map[string]any) error {
	fields["updated_at"] = time.Now().UTC()
	if err := s.db.Conn(ctx).Model(&userRow{}).Where("id = ?", id).Updates(fields).Error; err != nil {
		return fmt.Errorf("update user: %w", translate(err))
	}
	s.actors.userChanged(ctx, id)
	return nil
}

// searchUsers lists users under any of roots matching f, by name then id
// (both descending when req sorts by -name).
func (s store) searchUsers(ctx context.Context, roots []string, all bool, scope string, f UserFilter, req page.Request) ([]userRow, error) {
	q := s.usersWithPath(ctx)
	if !all {
		q = q.Where(database.UnderAnyPath(s.db.Conn(ctx), "organizations.path", roots))
	}
	if scope != "" {
		q = q.Where("organizations.path LIKE ?", database.EscapeLike(scope)+"%")
	}
	if f.Status != "" {
		q = q.Where("users.status = ?", f.Status)
	}
	if query := strings.TrimSpace(f.Query); query != "" {
		q = q.Where(searchCondition(query))
	}
	// The order and the seek are on the expression users_directory indexes
	// (migration 00015), so a page, the first or any later one, is a walk of
	// that index from the cursor: no sort of the whole table.
	q, err := database.Keyset(q, `lower(users.name) COLLATE "C"`, database.KeyText, "users.id", req)
	if err != nil {
		return nil, err
	}
	var rows []userRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return rows, nil
}

// analyzeUsers refreshes the planner's statistics of the users table (and
// the organisations its queries join), after a bulk change.
func (s store) analyzeUsers(ctx context.Context) error {
	return s.db.Conn(ctx).Exec("ANALYZE users, organizations").Error
}

// searchCondition is the directory's search for q, by its shape: 18 digits
// is a NIP, something with an "@" an e-mail address, anything else the start
// of a name. One condition per shape, rather than the three OR-ed together,
// lets each use its own index: an OR of them cannot be a range on the name
// index, and a common name ("siti") then walked the whole directory.
func searchCondition(q string) clause.Expr {
	switch {
	case nipShaped(q):
		return gorm.Expr("users.nip = ?", q)
	case strings.Contains(q, "@"):
		return gorm.Expr("lower(users.email) = lower(?)", q)
	default:
		return gorm.Expr("lower(users.name) COLLATE \"C\" LIKE ?", database.EscapeLike(strings.ToLower(q))+"%")
	}
}

func nipShaped(q string) bool {
	if len(q) != 18 {
		return false
	}
	for _, c := range q {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (s store) createTransfer(ctx context.Context, t Transfer) error {
	r := transferRow(t)
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("record transfer: %w", err)
	}
	return nil
}

func (s store) transfers(ctx context.Context, userID uuid.UUID) ([]Transfer, error) {
	var rows []transferRow
	if err := s.db.Conn(ctx).Where("user_id = ?", userID).Order("effective_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list transfers: %w", err)
	}
	out := make([]Transfer, len(rows))
	for i, r := range rows {
		out[i] = Transfer(r)
	}
	return out, nil
}

// --- role grants ---

// grantsWithPath selects the grants in force (not ended) with their paths.
func (s store) grantsWithPath(ctx context.Context) *gorm.DB {
	return s.db.Conn(ctx).Table("role_grants").
		Select("role_grants.id, role_grants.user_id, role_grants.role, role_grants.org_id, role_grants.granted_by, role_grants.created_at, organizations.path AS org_path").
		Joins("JOIN organizations ON organizations.id = role_grants.org_id").
		Where("role_grants.ended_at IS NULL")
}

func (s store) grantsOf(ctx context.Context, userID uuid.UUID) ([]RoleGrant, error) {
	var rows []grantRow
	if err := s.grantsWithPath(ctx).Where("role_grants.user_id = ?", userID).Order("role_grants.id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	out := make([]RoleGrant, len(rows))
	for i, r := range rows {
		out[i] = r.toGrant()
	}
	return out, nil
}

func (s store) grant(ctx context.Context, id uuid.UUID) (RoleGrant, error) {
	var r grantRow
	if err := database.Take(s.grantsWithPath(ctx).Where("role_grants.id = ?", id), &r, ErrGrantNotFound, "get grant"); err != nil {
		return RoleGrant{}, err
	}
	return r.toGrant(), nil
}

func (s store) createGrant(ctx context.Context, g RoleGrant) error {
	r := grantRow{ID: g.ID, UserID: g.UserID, Role: string(g.Role), OrgID: g.OrgID, GrantedBy: g.GrantedBy, CreatedAt: g.CreatedAt}
	if err := s.db.Conn(ctx).Omit("OrgPath").Create(&r).Error; err != nil {
		return fmt.Errorf("create grant: %w", translate(err))
	}
	s.actors.userChanged(ctx, g.UserID)
	return nil
}

// ensureGrant creates the grant unless the user already holds it (imports, seeds).
func (s store) ensureGrant(ctx context.Context, g RoleGrant) error {
	r := grantRow{ID: g.ID, UserID: g.UserID, Role: string(g.Role), OrgID: g.OrgID, GrantedBy: g.GrantedBy, CreatedAt: g.CreatedAt}
	err := s.db.Conn(ctx).Omit("OrgPath").Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("ensure grant: %w", err)
	}
	s.actors.userChanged(ctx, g.UserID)
	return nil
}

// endGrant ends a grant in force, keeping the row as history: when, by
// whom, why ("revoked", "transfer").
func (s store) endGrant(ctx context.Context, id, by uuid.UUID, reason string, at time.Time) error {
	var userIDs []uuid.UUID
	err := s.db.Conn(ctx).Raw("UPDATE role_grants SET ended_at = ?, ended_by = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL RETURNING user_id",
		at, by, reason, id).Scan(&userIDs).Error
	if err != nil {
		return fmt.Errorf("end grant: %w", err)
	}
	for _, userID := range userIDs {
		s.actors.userChanged(ctx, userID)
	}
	return nil
}

// clearSupervisorOutside clears a user's supervisor when the supervisor's
// organisation is not in the line of the organisation at path (it or one
// above it), and reports whether it did.
func (s store) clearSupervisorOutside(ctx context.Context, userID uuid.UUID, path string) (bool, error) {
	res := s.db.Conn(ctx).Exec(`UPDATE users u SET supervisor_id = NULL, updated_at = now()
		FROM users sup JOIN organizations so ON so.id = sup.org_id
		WHERE u.id = ? AND sup.id = u.supervisor_id AND NOT starts_with(?, so.path)`, userID, path)
	if res.Error != nil {
		return false, fmt.Errorf("clear supervisor: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// --- helpers ---

func ptr[T any](v T) *T { return &v }

// revokeAllSessions ends every refresh-token family and API token of a user.
func (s store) revokeAllSessions(ctx context.Context, userID uuid.UUID, at time.Time) error {
	tx := s.db.Conn(ctx)
	if err := tx.Exec("UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", at, userID).Error; err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	if err := tx.Exec("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", at, userID).Error; err != nil {
		return fmt.Errorf("revoke api tokens: %w", err)
	}
	s.actors.userChanged(ctx, userID)
	return nil
}
