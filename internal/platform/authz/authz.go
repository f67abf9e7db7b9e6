// Package authz is the one table of who may do what, and the caller's
// identity carried in the context. Every domain service authorizes through
// it: a permission is granted by a role, and a role is granted on an
// organisation subtree, so a caller may act on a thing only when the thing's
// organisation lies inside a subtree where one of their roles carries the
// permission.
//
// Organisations are addressed by their materialized path, "/<root id>/…/<id>/":
// a thing in organisation P is inside the subtree of grant G exactly when P
// starts with G's path. The identity package keeps the paths and fills the
// Actor for each request.
package authz

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Role is what a grant makes its holder within an organisation subtree.
type Role string

// The roles.
const (
	RolePlatformAdmin Role = "platform_admin" // runs the whole installation
	RoleOrgAdmin      Role = "org_admin"      // manages an organisation subtree: units, people, grants
	RoleInstructor    Role = "instructor"     // builds courses, runs classes, grades
	RoleReviewer      Role = "reviewer"       // quality assurance: reviews and publishes courses
	RoleMentor        Role = "mentor"         // coaches learners in classes and talent pools
	RoleSupervisor    Role = "supervisor"     // assigns and approves training for their team
	RoleRegistrar     Role = "registrar"      // issues and revokes certificates
	RoleLearner       Role = "learner"        // takes courses
)

// Roles lists every role, for validation.
var Roles = []Role{RolePlatformAdmin, RoleOrgAdmin, RoleInstructor, RoleReviewer, RoleMentor, RoleSupervisor, RoleRegistrar, RoleLearner}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Permission is one kind of action on one kind of thing.
type Permission string

// The permissions, grouped by the domain that checks them.
const (
	OrgRead    Permission = "org.read"
	OrgManage  Permission = "org.manage"
	UserRead   Permission = "user.read"
	UserManage Permission = "user.manage"
	GrantRead  Permission = "grant.read"
	GrantAdmin Permission = "grant.manage"
	AuditRead  Permission = "audit.read"
	UserImport Permission = "user.import"

	CourseRead   Permission = "course.read"   // drafts and reviews, beyond the public catalogue
	CourseAuthor Permission = "course.author" // create and edit drafts
	CourseReview Permission = "course.review" // approve, request changes, publish, archive
	PathManage   Permission = "path.manage"   // learning paths

	ClassRead        Permission = "class.read"
	ClassManage      Permission = "class.manage"      // open classes, schedule sessions, staff them
	ClassTeach       Permission = "class.teach"       // roll call, rotating check-in codes
	EnrolmentAssign  Permission = "enrolment.assign"  // assign learners, approve requests
	EnrolmentOversee Permission = "enrolment.oversee" // see a team's enrolments and progress
	MediaUpload      Permission = "media.upload"

	CertificateIssue Permission = "certificate.issue"
)

// SelfLearn is the self-service permission: a person's own learning —
// enrolling and withdrawing, recording progress, checking in, uploading their
// own work, reading their enrolments and training hours. Every signed-in
// person holds it for themselves, whatever their roles; it exists so that a
// personal API token narrowed to other scopes cannot act as its owner.
const SelfLearn Permission = "learning.self"

// SelfPermissions lists the permissions a person holds on their own behalf
// rather than through a role, for validating token scopes.
var SelfPermissions = []Permission{SelfLearn}

// rolePermissions is the table. Read it as: a holder of the role may, within
// the granted subtree, do each listed thing. Platform admins may do anything
// anywhere and are not listed.
var rolePermissions = map[Role][]Permission{
	RoleOrgAdmin: {
		OrgRead, OrgManage, UserRead, UserManage, GrantRead, GrantAdmin, AuditRead, UserImport,
		CourseRead, PathManage, ClassRead, ClassManage, EnrolmentAssign, EnrolmentOversee,
	},
	RoleInstructor: {OrgRead, UserRead, CourseRead, CourseAuthor, PathManage, ClassRead, ClassManage, ClassTeach, MediaUpload, EnrolmentOversee},
	RoleReviewer:   {OrgRead, CourseRead, CourseReview, ClassRead},
	RoleMentor:     {OrgRead, UserRead, ClassRead, ClassTeach, EnrolmentOversee},
	RoleSupervisor: {OrgRead, UserRead, EnrolmentAssign, EnrolmentOversee, ClassRead},
	RoleRegistrar:  {OrgRead, UserRead, ClassRead, CertificateIssue},
	RoleLearner:    {OrgRead},
}

// RoleGrants reports whether role carries permission.
func RoleGrants(role Role, p Permission) bool {
	return role == RolePlatformAdmin || slices.Contains(rolePermissions[role], p)
}

// Grant is one role held on one organisation subtree.
type Grant struct {
	ID      uuid.UUID
	Role    Role
	OrgID   uuid.UUID
	OrgPath string
}

// Actor is the signed-in caller.
type Actor struct {
	UserID      uuid.UUID
	HomeOrgID   uuid.UUID
	HomeOrgPath string
	Grants      []Grant
	// Scopes, when not nil, narrows the actor to these permissions: a
	// personal API token carries only what it was issued for.
	Scopes []Permission
}

// SharedTo is the sharing rule of courses, learning paths and question
// banks: the organisation at orgPath may use a thing owned at ownerPath when
// its sharing is "national", when the organisation lies in the owner's
// subtree, or when its sharing is "listed" and the list names the
// organisation or one above it.
func SharedTo(orgPath, sharing, ownerPath string, sharedWith []uuid.UUID) bool {
	switch {
	case sharing == "national", Inside(orgPath, ownerPath):
		return true
	case sharing == "listed":
		for _, id := range sharedWith {
			if strings.Contains(orgPath, "/"+id.String()+"/") {
				return true
			}
		}
	}
	return false
}

// Inside reports whether orgPath lies in the subtree rooted at rootPath.
func Inside(orgPath, rootPath string) bool {
	return rootPath != "" && strings.HasPrefix(orgPath, rootPath)
}

func (a *Actor) scoped(p Permission) bool {
	return a.Scopes == nil || slices.Contains(a.Scopes, p)
}

// MaySelf reports whether the actor may use the self-service permission p
// (SelfLearn): always in a session, and with an API token only when the
// token names it.
func (a *Actor) MaySelf(p Permission) bool {
	return a != nil && slices.Contains(SelfPermissions, p) && a.scoped(p)
}

// Can reports whether the actor may do p on a thing owned by the
// organisation at orgPath.
func (a *Actor) Can(p Permission, orgPath string) bool {
	return a.GrantFor(p, orgPath) != nil
}

// GrantFor returns the grant that allows p at orgPath, for the audit log's
// "on behalf of", or nil.
func (a *Actor) GrantFor(p Permission, orgPath string) *Grant {
	if a == nil || !a.scoped(p) {
		return nil
	}
	for i, g := range a.Grants {
		if RoleGrants(g.Role, p) && (g.Role == RolePlatformAdmin || Inside(orgPath, g.OrgPath)) {
			return &a.Grants[i]
		}
	}
	return nil
}

// Roots returns the subtree paths where the actor holds p, for filtering
// lists. all is true for a platform admin, whose lists are unfiltered.
func (a *Actor) Roots(p Permission) (paths []string, all bool) {
	if a == nil || !a.scoped(p) {
		return nil, false
	}
	for _, g := range a.Grants {
		if !RoleGrants(g.Role, p) {
			continue
		}
		if g.Role == RolePlatformAdmin {
			return nil, true
		}
		paths = append(paths, g.OrgPath)
	}
	return paths, false
}

// IsPlatformAdmin reports whether the actor runs the whole installation.
func (a *Actor) IsPlatformAdmin() bool {
	if a == nil || a.Scopes != nil {
		return false
	}
	for _, g := range a.Grants {
		if g.Role == RolePlatformAdmin {
			return true
		}
	}
	return false
}

type actorKey struct{}

// WithActor returns ctx carrying the signed-in caller.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ErrUnauthenticated is returned to a caller who is not signed in.
var ErrUnauthenticated = apperr.New(apperr.KindUnauthorized, "unauthenticated",
	"Anda harus masuk terlebih dahulu.", "You must sign in first.")

// ActorFrom returns the signed-in caller, or ErrUnauthenticated.
func ActorFrom(ctx context.Context) (*Actor, error) {
	a, ok := ctx.Value(actorKey{}).(*Actor)
	if !ok || a == nil {
		return nil, ErrUnauthenticated
	}
	return a, nil
}

// ErrForbidden is returned when the caller may see a thing but not do what
// they asked with it. A caller who may not see it gets the domain's NotFound.
var ErrForbidden = apperr.New(apperr.KindForbidden, "forbidden",
	"Anda tidak berwenang melakukan tindakan ini.", "You are not allowed to do this.")

// Decide is the one rule for answering a caller about a thing: nil when they
// may act on it (canAct); ErrForbidden when they may see it but not act; and
// notFound, the domain's own "no such thing", when they may not even see it,
// so that ids cannot be probed. Acting implies seeing.
func Decide(canSee, canAct bool, notFound error) error {
	switch {
	case canAct:
		return nil
	case canSee:
		return ErrForbidden
	default:
		return notFound
	}
}
