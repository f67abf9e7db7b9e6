package identity

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves organisations, users, role grants and /me under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the identity HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/me", h.me)

	api.GET("/organizations", h.listOrgs)
	api.POST("/organizations", h.createOrg)
	api.GET("/organizations/:org_id", h.getOrg)
	api.PATCH("/organizations/:org_id", h.updateOrg)
	api.DELETE("/organizations/:org_id", h.deleteOrg)
	api.POST("/organizations/:org_id/move", h.moveOrg)

	api.GET("/users", h.searchUsers)
	api.POST("/users", h.createUser)
	api.GET("/users/:user_id", h.getUser)
	api.PATCH("/users/:user_id", h.updateUser)
	api.POST("/users/:user_id/transfer", h.transferUser)
	api.GET("/users/:user_id/transfers", h.listTransfers)
	api.POST("/users/:user_id/status", h.setStatus)

	api.GET("/users/:user_id/grants", h.listGrants)
	api.POST("/users/:user_id/grants", h.createGrant)
	api.DELETE("/grants/:grant_id", h.revokeGrant)
}

// --- requests and responses ---

type orgRequest struct {
	ParentID   *uuid.UUID `json:"parent_id"`
	Kind       OrgKind    `json:"kind"`
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	RegionCode string     `json:"region_code"`
	Active     *bool      `json:"active"`
}

func (r orgRequest) toInput() OrgInput {
	return OrgInput{ParentID: r.ParentID, Kind: r.Kind, Code: r.Code, Name: r.Name, RegionCode: r.RegionCode, Active: r.Active}
}

type orgResponse struct {
	ID         uuid.UUID  `json:"id"`
	ParentID   *uuid.UUID `json:"parent_id"`
	Kind       OrgKind    `json:"kind"`
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	RegionCode string     `json:"region_code,omitempty"`
	Active     bool       `json:"active"`
	Depth      int        `json:"depth"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

func toOrgResponse(o Organization) orgResponse {
	return orgResponse{ID: o.ID, ParentID: o.ParentID, Kind: o.Kind, Code: o.Code, Name: o.Name, RegionCode: o.RegionCode,
		Active: o.Active, Depth: strings.Count(o.Path, "/") - 2, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

type userRequest struct {
	NIP            string       `json:"nip"`
	NationalID     string       `json:"national_id"`
	Name           string       `json:"name"`
	Email          string       `json:"email"`
	Phone          string       `json:"phone"`
	PositionTitle  string       `json:"position_title"`
	PositionType   PositionType `json:"position_type"`
	FunctionalPost string       `json:"functional_post"`
	Grade          string       `json:"grade"`
	OrgID          uuid.UUID    `json:"org_id"`
	WorkUnitID     *uuid.UUID   `json:"work_unit_id"`
	SupervisorID   *uuid.UUID   `json:"supervisor_id"`
	Password       string       `json:"password"`
}

func (r userRequest) toInput() UserInput {
	return UserInput{NIP: r.NIP, NationalID: r.NationalID, Name: r.Name, Email: r.Email, Phone: r.Phone,
		PositionTitle: r.PositionTitle, PositionType: r.PositionType, FunctionalPost: r.FunctionalPost, Grade: r.Grade,
		OrgID: r.OrgID, WorkUnitID: r.WorkUnitID, SupervisorID: r.SupervisorID, Password: r.Password}
}

type userResponse struct {
	ID             uuid.UUID    `json:"id"`
	NIP            string       `json:"nip,omitempty"`
	Name           string       `json:"name"`
	Email          string       `json:"email"`
	EmailVerified  bool         `json:"email_verified"`
	Phone          string       `json:"phone,omitempty"`
	PositionTitle  string       `json:"position_title,omitempty"`
	PositionType   PositionType `json:"position_type,omitempty"`
	FunctionalPost string       `json:"functional_post,omitempty"`
	Grade          string       `json:"grade,omitempty"`
	OrgID          uuid.UUID    `json:"org_id"`
	WorkUnitID     *uuid.UUID   `json:"work_unit_id"`
	SupervisorID   *uuid.UUID   `json:"supervisor_id"`
	Status         UserStatus   `json:"status"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
}

func toUserResponse(u User) userResponse {
	return userResponse{ID: u.ID, NIP: u.NIP, Name: u.Name, Email: u.Email, EmailVerified: u.EmailVerifiedAt != nil,
		Phone: u.Phone, PositionTitle: u.PositionTitle, PositionType: u.PositionType, FunctionalPost: u.FunctionalPost,
		Grade: u.Grade, OrgID: u.OrgID, WorkUnitID: u.WorkUnitID, SupervisorID: u.SupervisorID, Status: u.Status,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

type grantResponse struct {
	ID        uuid.UUID  `json:"id"`
	UserID    uuid.UUID  `json:"user_id"`
	Role      authz.Role `json:"role"`
	OrgID     uuid.UUID  `json:"org_id"`
	GrantedBy *uuid.UUID `json:"granted_by"`
	CreatedAt time.Time  `json:"created_at"`
}

func toGrantResponse(g RoleGrant) grantResponse {
	return grantResponse{ID: g.ID, UserID: g.UserID, Role: g.Role, OrgID: g.OrgID, GrantedBy: g.GrantedBy, CreatedAt: g.CreatedAt}
}

type transferResponse struct {
	ID             uuid.UUID  `json:"id"`
	FromOrgID      uuid.UUID  `json:"from_org_id"`
	ToOrgID        uuid.UUID  `json:"to_org_id"`
	FromWorkUnitID *uuid.UUID `json:"from_work_unit_id"`
	ToWorkUnitID   *uuid.UUID `json:"to_work_unit_id"`
	Reason         string     `json:"reason"`
	EffectiveAt    time.Time  `json:"effective_at"`
	CreatedBy      *uuid.UUID `json:"created_by"`
}

func toTransferResponse(t Transfer) transferResponse {
	return transferResponse{ID: t.ID, FromOrgID: t.FromOrgID, ToOrgID: t.ToOrgID, FromWorkUnitID: t.FromWorkUnitID,
		ToWorkUnitID: t.ToWorkUnitID, Reason: t.Reason, EffectiveAt: t.EffectiveAt, CreatedBy: t.CreatedBy}
}

// --- handlers ---

func (h *Handler) me(c echo.Context) error {
	ctx := c.Request().Context()
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	if p := principalFrom(ctx, actor.UserID); p != nil {
		// Authentication loaded them a moment ago (or the actor cache holds
		// them, current to the last change).
		return c.JSON(http.StatusOK, map[string]any{"user": toUserResponse(p.user.toUser()), "grants": web.ConvertAll(p.grants, toGrantResponse)})
	}
	u, err := h.svc.User(ctx, actor.UserID)
	if err != nil {
		return err
	}
	grants, err := h.svc.Grants(ctx, actor.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUserResponse(u), "grants": web.ConvertAll(grants, toGrantResponse)})
}

func (h *Handler) listOrgs(c echo.Context) error {
	var v apperr.Validation
	f := OrgFilter{RootID: web.QueryID(c, &v, "root_id"), ParentID: web.QueryID(c, &v, "parent_id")}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c)
	if err != nil {
		return err
	}
	res, err := h.svc.Orgs(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toOrgResponse))
}

func (h *Handler) createOrg(c echo.Context) error {
	var req orgRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	o, err := h.svc.CreateOrg(c.Request().Context(), req.toInput())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/organizations/"+o.ID.String())
	return c.JSON(http.StatusCreated, toOrgResponse(o))
}

func (h *Handler) getOrg(c echo.Context) error {
	id, err := web.PathID(c, "org_id", ErrOrgNotFound)
	if err != nil {
		return err
	}
	o, err := h.svc.Org(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toOrgResponse(o))
}

func (h *Handler) updateOrg(c echo.Context) error {
	id, err := web.PathID(c, "org_id", ErrOrgNotFound)
	if err != nil {
		return err
	}
	var req orgRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	o, err := h.svc.UpdateOrg(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toOrgResponse(o))
}

func (h *Handler) deleteOrg(c echo.Context) error {
	id, err := web.PathID(c, "org_id", ErrOrgNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteOrg(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) moveOrg(c echo.Context) error {
	id, err := web.PathID(c, "org_id", ErrOrgNotFound)
	if err != nil {
		return err
	}
	var req struct {
		ParentID uuid.UUID `json:"parent_id"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	o, err := h.svc.MoveOrg(c.Request().Context(), id, req.ParentID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toOrgResponse(o))
}

func (h *Handler) searchUsers(c echo.Context) error {
	var v apperr.Validation
	f := UserFilter{OrgID: web.QueryID(c, &v, "org_id"), Query: web.QueryText(c, &v, "q"), Status: UserStatus(web.QueryText(c, &v, "status"))}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "name")
	if err != nil {
		return err
	}
	res, err := h.svc.SearchUsers(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toUserResponse))
}

func (h *Handler) createUser(c echo.Context) error {
	var req userRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.svc.CreateUser(c.Request().Context(), req.toInput())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/users/"+u.ID.String())
	return c.JSON(http.StatusCreated, toUserResponse(u))
}

func (h *Handler) getUser(c echo.Context) error {
	id, err := web.PathID(c, "user_id", ErrUserNotFound)
	if err != nil {
		return err
	}
	u, err := h.svc.User(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserResponse(u))
}

func (h *Handler) updateUser(c echo.Context) error {
	id, err := web.PathID(c, "user_id", ErrUserNotFound)
	if err != nil {
		return err
	}
	var req userRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.svc.UpdateUser(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserResponse(u))
}

func (h *Handler) transferUser(c echo.Context) error {
	id, err := web.PathID(c, "user_id", ErrUserNotFound)
	if err != nil {
		return err
	}
	var req struct {
		ToOrgID      uuid.UUID  `json:"to_org_id"`
		ToWorkUnitID *uuid.UUID `json:"to_work_unit_id"`
		Reason       string     `json:"reason"`
		EffectiveAt  time.Time  `json:"effective_at"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.svc.TransferUser(c.Request().Context(), id, TransferInput{
		ToOrgID: req.ToOrgID, ToWorkUnitID: req.ToWorkUnitID, Reason: req.Reason, EffectiveAt: req.EffectiveAt,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserResponse(u))
}

func (h *Handler) listTransfers(c echo.Context) error {
	id, err := web.PathID(c, "user_id", ErrUserNotFound)
	if err != nil {
		return err
	}
	ts, err := h.svc.Transfers(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(ts, toTransferResponse)})
}

func (h *Handler) setStatus(c echo.Context) error {
	id, err := web.PathID(c, "user_id", ErrUserNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Status UserStatus `json:"status"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.svc.SetStatus(c.Request().Context(), id, req.Status)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserResponse(u))
}

func (h *Handler) listGrants(c echo.Context) error {
	id, err := web.PathID(c, "user_id", ErrUserNotFound)
	if err != nil {
		return err
	}
	gs, err := h.svc.Grants(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(gs, toGrantResponse)})
}

func (h *Handler) createGrant(c echo.Context) error {
	id, err := web.PathID(c, "user_id", ErrUserNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Role  authz.Role `json:"role"`
		OrgID uuid.UUID  `json:"org_id"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	g, err := h.svc.Grant(c.Request().Context(), id, req.Role, req.OrgID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toGrantResponse(g))
}

func (h *Handler) revokeGrant(c echo.Context) error {
	id, err := web.PathID(c, "grant_id", ErrGrantNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.Revoke(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
