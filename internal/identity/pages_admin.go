package identity

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The organisation admin's pages for people: finding a user in their
// subtree, changing their basic fields, and granting or revoking a role on
// an organisation. The service
// keeps the rules (only inside the admin's subtree, never to oneself).

func (p *Pages) mountAdmin(r webpage.Router) {
	r.GET("/admin/users", p.users)
	r.GET("/admin/users/:user_id", p.user)
	r.POST("/admin/users/:user_id", p.editUser)
	r.POST("/admin/users/:user_id/grants", p.grant)
	r.POST("/admin/users/:user_id/grants/:grant_id/revoke", p.revoke)
}

type usersPage struct{ Users []User }

func (p *Pages) users(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	data := usersPage{}
	form := webpage.Form{Values: url.Values{"q": {q}}}
	if q != "" {
		res, err := p.auth.svc.SearchUsers(c.Request().Context(), UserFilter{Query: q}, page.Request{Limit: 50})
		if err != nil {
			return webpage.Refuse(c, err, form.Values, nil, func(c echo.Context, status int, f webpage.Form) error {
				return p.site.RenderForm(c, status, "identity/users", data, f)
			})
		}
		data.Users = res.Items
	}
	return p.site.RenderForm(c, http.StatusOK, "identity/users", data, form)
}

type userPage struct {
	Saved  bool
	User   User
	Grants []RoleGrant
	Orgs   []Organization
	Roles  []authz.Role
}

func (p *Pages) user(c echo.Context) error { return p.renderUser(c, http.StatusOK, webpage.Form{}) }

func (p *Pages) renderUser(c echo.Context, status int, form webpage.Form) error {
	id, err := uuid.Parse(c.Param("user_id"))
	if err != nil {
		return ErrUserNotFound
	}
	ctx := c.Request().Context()
	u, err := p.auth.svc.User(ctx, id)
	if err != nil {
		return err
	}
	grants, err := p.auth.svc.Grants(ctx, id)
	if err != nil {
		return err
	}
	orgs, err := p.auth.svc.Orgs(ctx, OrgFilter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	if form.Value("form") != "profile" {
		// The profile form starts from the record.
		if form.Values == nil {
			form.Values = url.Values{}
		}
		for k, v := range map[string]string{"name": u.Name, "email": u.Email, "phone": u.Phone, "position_title": u.PositionTitle, "grade": u.Grade} {
			form.Values.Set("profile_"+k, v)
		}
	} else {
		for _, k := range []string{"name", "email", "phone", "position_title", "grade"} {
			form.Values.Set("profile_"+k, form.Value(k))
			if msg, ok := form.Errors[k]; ok {
				form.Errors["profile_"+k] = msg
				delete(form.Errors, k)
			}
		}
	}
	return p.site.RenderForm(c, status, "identity/user", userPage{User: u, Grants: grants, Orgs: orgs.Items, Roles: authz.Roles,
		Saved: c.QueryParam("saved") == "1" && status == http.StatusOK}, form)
}

func (p *Pages) grant(c echo.Context) error {
	id, err := uuid.Parse(c.Param("user_id"))
	if err != nil {
		return ErrUserNotFound
	}
	form, _ := c.FormParams()
	orgID, perr := uuid.Parse(form.Get("org_id"))
	if perr != nil {
		err = apperr.Invalid("org_id", "pilih organisasi", "choose an organisation")
	} else {
		_, err = p.auth.svc.Grant(c.Request().Context(), id, authz.Role(form.Get("role")), orgID)
	}
	if err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderUser)
	}
	return webpage.Redirect(c, "/admin/users/"+id.String())
}

func (p *Pages) revoke(c echo.Context) error {
	grantID, err := uuid.Parse(c.Param("grant_id"))
	if err != nil {
		return ErrGrantNotFound
	}
	if err := p.auth.svc.Revoke(c.Request().Context(), grantID); err != nil {
		return webpage.Refuse(c, err, url.Values{}, nil, p.renderUser)
	}
	return webpage.Redirect(c, "/admin/users/"+c.Param("user_id"))
}

// editUser changes a user's basic fields (name, e-mail, phone, position,
// grade); the rest of the record stays as it is.
func (p *Pages) editUser(c echo.Context) error {
	id, err := uuid.Parse(c.Param("user_id"))
	if err != nil {
		return ErrUserNotFound
	}
	ctx := c.Request().Context()
	u, err := p.auth.svc.User(ctx, id)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	form.Set("form", "profile")
	in := UserInput{NIP: u.NIP, NationalID: u.NationalID, Name: strings.TrimSpace(form.Get("name")), Email: strings.TrimSpace(form.Get("email")),
		Phone: strings.TrimSpace(form.Get("phone")), PositionTitle: strings.TrimSpace(form.Get("position_title")), PositionType: u.PositionType,
		FunctionalPost: u.FunctionalPost, Grade: strings.TrimSpace(form.Get("grade")), OrgID: u.OrgID, WorkUnitID: u.WorkUnitID, SupervisorID: u.SupervisorID}
	if _, err := p.auth.svc.UpdateUser(ctx, id, in); err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderUser)
	}
	return webpage.Redirect(c, "/admin/users/"+id.String()+"?saved=1")
}
