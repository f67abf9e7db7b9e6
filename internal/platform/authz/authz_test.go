package authz

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
)

const (
	ministry = "/m/"
	province = "/m/p1/"
	district = "/m/p1/d1/"
	other    = "/m/p2/"
)

func TestCanFollowsTheRoleTableWithinTheGrantedSubtree(t *testing.T) {
	t.Parallel()
	admin := &Actor{Grants: []Grant{{Role: RoleOrgAdmin, OrgPath: province}}}
	instructor := &Actor{Grants: []Grant{{Role: RoleInstructor, OrgPath: district}}}
	platform := &Actor{Grants: []Grant{{Role: RolePlatformAdmin, OrgPath: ministry}}}
	token := &Actor{Grants: admin.Grants, Scopes: []Permission{UserRead}}
	tests := []struct {
		name  string
		actor *Actor
		perm  Permission
		path  string
		want  bool
	}{
		{"org admin manages users in a descendant", admin, UserManage, district, true},
		{"org admin manages users at the granted org", admin, UserManage, province, true},
		{"org admin cannot reach a sibling province", admin, UserManage, other, false},
		{"org admin cannot reach the parent", admin, UserManage, ministry, false},
		{"instructor authors in their district", instructor, CourseAuthor, district, true},
		{"instructor cannot review", instructor, CourseReview, district, false},
		{"platform admin does anything anywhere", platform, CertificateIssue, other, true},
		{"api token limited to its scopes", token, UserManage, district, false},
		{"api token allowed within its scopes", token, UserRead, district, true},
		{"nobody", nil, OrgRead, district, false},
		{"a sibling whose id extends the granted id is outside", admin, UserRead, "/m/p10/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.actor.Can(tt.perm, tt.path); got != tt.want {
				t.Errorf("Can(%s, %s) = %v, want %v", tt.perm, tt.path, got, tt.want)
			}
		})
	}
}

func TestRootsListsTheSubtreesForFiltering(t *testing.T) {
	t.Parallel()
	a := &Actor{Grants: []Grant{{Role: RoleSupervisor, OrgPath: district}, {Role: RoleLearner, OrgPath: other}}}
	paths, all := a.Roots(EnrolmentOversee)
	if all || len(paths) != 1 || paths[0] != district {
		t.Errorf("Roots(EnrolmentOversee) = %v, %v; want [%s], false", paths, all, district)
	}
	p := &Actor{Grants: []Grant{{Role: RolePlatformAdmin, OrgPath: ministry}}}
	if _, all := p.Roots(UserRead); !all {
		t.Error("Roots for a platform admin: all = false, want true")
	}
}

func TestActorTravelsInTheContext(t *testing.T) {
	t.Parallel()
	if _, err := ActorFrom(context.Background()); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("ActorFrom(empty) = %v, want ErrUnauthenticated", err)
	}
	want := &Actor{UserID: uuid.New()}
	got, err := ActorFrom(WithActor(context.Background(), want))
	if err != nil || got != want {
		t.Errorf("ActorFrom = %v, %v; want the actor put in", got, err)
	}
}

func TestMaySelfHoldsInASessionAndOnlyWithATokenThatNamesIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		actor *Actor
		perm  Permission
		want  bool
	}{
		{"a session learns for itself", &Actor{}, SelfLearn, true},
		{"a token naming the scope learns", &Actor{Scopes: []Permission{SelfLearn}}, SelfLearn, true},
		{"a token narrowed to org.read does not", &Actor{Scopes: []Permission{OrgRead}}, SelfLearn, false},
		{"a role permission is not a self permission", &Actor{}, OrgRead, false},
		{"nobody", nil, SelfLearn, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.actor.MaySelf(tt.perm); got != tt.want {
				t.Errorf("MaySelf(%s) = %v, want %v", tt.perm, got, tt.want)
			}
		})
	}
}
