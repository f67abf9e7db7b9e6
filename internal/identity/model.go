// Package identity holds who is who in Corpu: the tree of organisations of a
// whole government, the civil servants in it with their positions and
// transfers, the roles they are granted on organisation subtrees, and how they
// sign in. Every other domain authorizes through the Actor it builds.
package identity

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// OrgKind is what an organisation is in the government.
type OrgKind string

// The kinds of organisation.
const (
	KindMinistry          OrgKind = "ministry"
	KindAgency            OrgKind = "agency"
	KindProvince          OrgKind = "province"
	KindRegency           OrgKind = "regency" // a regency (kabupaten) or city (kota)
	KindWorkUnit          OrgKind = "work_unit"
	KindTrainingInstitute OrgKind = "training_institute"
	KindPartner           OrgKind = "partner"
)

var orgKinds = []OrgKind{KindMinistry, KindAgency, KindProvince, KindRegency, KindWorkUnit, KindTrainingInstitute, KindPartner}

// Organization is one node of the government tree.
type Organization struct {
	ID         uuid.UUID
	ParentID   *uuid.UUID
	Path       string // "/<root id>/…/<id>/"
	Kind       OrgKind
	Code       string
	Name       string
	RegionCode string // the national province/regency code (Kemendagri), e.g. "32" or "32.73"
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// PathOf returns the path of an organisation with id under parentPath ("" for a root).
func PathOf(parentPath string, id uuid.UUID) string {
	if parentPath == "" {
		parentPath = "/"
	}
	return parentPath + id.String() + "/"
}

// OrgInput is what a client sends to create or change an organisation.
type OrgInput struct {
	ParentID   *uuid.UUID
	Kind       OrgKind
	Code       string
	Name       string
	RegionCode string
	Active     *bool
}

var (
	orgCodePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	regionCodePattern = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$`)
)

// Validate checks the fields of an organisation.
func (in *OrgInput) Validate() error {
	in.Code, in.Name, in.RegionCode = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.RegionCode)
	var v apperr.Validation
	v.Check(slices.Contains(orgKinds, in.Kind), "kind",
		"harus salah satu dari: ministry, agency, province, regency, work_unit, training_institute, partner",
		"must be one of: ministry, agency, province, regency, work_unit, training_institute, partner")
	v.Check(orgCodePattern.MatchString(in.Code), "code",
		"wajib diisi: huruf, angka, titik, garis bawah atau tanda hubung, paling banyak 64",
		"is required: letters, digits, dot, underscore or hyphen, at most 64")
	v.Check(in.Name != "" && len(in.Name) <= 200, "name", "wajib diisi, paling banyak 200 karakter", "is required, at most 200 characters")
	v.Check(in.RegionCode == "" || regionCodePattern.MatchString(in.RegionCode), "region_code",
		"harus berformat kode wilayah, mis. 32 atau 32.73", "must be a region code such as 32 or 32.73")
	return v.Err()
}

// UserStatus says whether a user may sign in.
type UserStatus string

// The statuses of a user.
const (
	StatusActive    UserStatus = "active"
	StatusSuspended UserStatus = "suspended"
	StatusRetired   UserStatus = "retired"
)

// PositionType is the kind of civil-service position (jabatan).
type PositionType string

// The position types.
const (
	PositionStructural PositionType = "structural" // jabatan struktural / pimpinan
	PositionFunctional PositionType = "functional" // jabatan fungsional, e.g. pranata komputer
	PositionExecutor   PositionType = "executor"   // jabatan pelaksana
)

var positionTypes = []PositionType{PositionStructural, PositionFunctional, PositionExecutor}

// User is a person with an account: usually a civil servant with a NIP.
type User struct {
	ID              uuid.UUID
	NIP             string
	NationalID      string
	Name            string
	Email           string
	EmailVerifiedAt *time.Time
	Phone           string
	PositionTitle   string
	PositionType    PositionType
	FunctionalPost  string
	Grade           string
	OrgID           uuid.UUID
	OrgPath         string
	WorkUnitID      *uuid.UUID
	SupervisorID    *uuid.UUID
	Status          UserStatus
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// UserInput is what a client sends to create or change a user.
type UserInput struct {
	NIP            string
	NationalID     string
	Name           string
	Email          string
	Phone          string
	PositionTitle  string
	PositionType   PositionType
	FunctionalPost string
	Grade          string
	OrgID          uuid.UUID
	WorkUnitID     *uuid.UUID
	SupervisorID   *uuid.UUID
	Password       string // optional; without one the user sets it through a reset mail
}

var (
	nationalIDPattern = regexp.MustCompile(`^[0-9]{16}$`)
	phonePattern      = regexp.MustCompile(`^\+?[0-9]{8,15}$`)
)

// normalize trims the input and validates what needs no database; v collects problems.
func (in *UserInput) normalize(v *apperr.Validation) {
	in.Name, in.Email = strings.TrimSpace(in.Name), strings.ToLower(strings.TrimSpace(in.Email))
	in.NationalID, in.Phone = strings.TrimSpace(in.NationalID), strings.ReplaceAll(strings.TrimSpace(in.Phone), " ", "")
	v.Check(in.Name != "" && len(in.Name) <= 200, "name", "wajib diisi, paling banyak 200 karakter", "is required, at most 200 characters")
	addr, err := mail.ParseAddress(in.Email)
	v.Check(err == nil && addr.Address == in.Email && len(in.Email) <= 254, "email", "bukan alamat e-mail yang valid", "is not a valid e-mail address")
	v.Check(in.NationalID == "" || nationalIDPattern.MatchString(in.NationalID), "national_id", "NIK harus 16 digit", "the national ID (NIK) must be 16 digits")
	v.Check(in.Phone == "" || phonePattern.MatchString(in.Phone), "phone", "nomor telepon tidak valid", "is not a valid phone number")
	v.Check(in.PositionType == "" || slices.Contains(positionTypes, in.PositionType), "position_type",
		"harus structural, functional atau executor", "must be structural, functional or executor")
	v.Check(in.OrgID != uuid.Nil, "org_id", "wajib diisi", "is required")
}

// Transfer is a move of a user to another organisation, kept as history.
type Transfer struct {
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

// RoleGrant is a role held by a user on an organisation subtree.
type RoleGrant struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Role      authz.Role
	OrgID     uuid.UUID
	OrgPath   string
	GrantedBy *uuid.UUID
	CreatedAt time.Time
}

// UserFilter narrows a search of users.
type UserFilter struct {
	OrgID  uuid.UUID // within this organisation's subtree
	Query  string    // NIP, e-mail or the start of a name
	Status UserStatus
}

// Errors of this package.
var (
	ErrOrgNotFound = apperr.New(apperr.KindNotFound, "identity.org_not_found",
		"Organisasi tidak ditemukan.", "Organisation not found.")
	ErrUserNotFound = apperr.New(apperr.KindNotFound, "identity.user_not_found",
		"Pengguna tidak ditemukan.", "User not found.")
	ErrGrantNotFound = apperr.New(apperr.KindNotFound, "identity.grant_not_found",
		"Pemberian peran tidak ditemukan.", "Role grant not found.")
	ErrOrgCodeTaken = apperr.New(apperr.KindConflict, "identity.org_code_taken",
		"Kode organisasi sudah dipakai.", "The organisation code is already in use.")
	ErrEmailTaken = apperr.New(apperr.KindConflict, "identity.email_taken",
		"Alamat e-mail sudah terdaftar.", "The e-mail address is already registered.")
	ErrNIPTaken = apperr.New(apperr.KindConflict, "identity.nip_taken",
		"NIP sudah terdaftar.", "The NIP is already registered.")
	ErrGrantExists = apperr.New(apperr.KindConflict, "identity.grant_exists",
		"Pengguna sudah memegang peran ini pada organisasi ini.", "The user already holds this role on this organisation.")
	ErrMoveIntoOwnSubtree = apperr.New(apperr.KindInvalid, "identity.move_into_own_subtree",
		"Organisasi tidak dapat dipindahkan ke bawah dirinya sendiri atau turunannya.",
		"An organisation cannot be moved under itself or one of its descendants.")
	ErrSelfGrant = apperr.New(apperr.KindForbidden, "identity.self_grant",
		"Anda tidak dapat memberi peran kepada diri sendiri; mintalah admin lain.",
		"You cannot grant a role to yourself; ask another admin.")
	ErrOrgHasChildren = apperr.New(apperr.KindConflict, "identity.org_has_children",
		"Organisasi masih memiliki sub-organisasi atau pegawai.", "The organisation still has sub-organisations or people.")
)
