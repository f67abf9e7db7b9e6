package delivery

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/web"
)

func (h *Handler) createClass(c echo.Context) error {
	var req classRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	in, err := req.toInput()
	if err != nil {
		return err
	}
	cl, err := h.svc.CreateClass(c.Request().Context(), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/classes/"+cl.ID.String())
	return c.JSON(http.StatusCreated, toClassResponse(cl))
}

func (h *Handler) listClasses(c echo.Context) error {
	var v apperr.Validation
	f := ClassFilter{
		VersionID: web.QueryID(c, &v, "version_id"), CourseID: web.QueryID(c, &v, "course_id"), OrgID: web.QueryID(c, &v, "org_id"),
		RegionCode: c.QueryParam("region_code"), Status: ClassStatus(c.QueryParam("status")),
	}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "starts_on")
	if err != nil {
		return err
	}
	res, err := h.svc.Classes(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toClassResponse))
}

func (h *Handler) getClass(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	cl, err := h.svc.Class(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toClassResponse(cl))
}

func (h *Handler) updateClass(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	var req classPatchRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := req.toPatch()
	if err != nil {
		return err
	}
	cl, err := h.svc.UpdateClass(c.Request().Context(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toClassResponse(cl))
}

func (h *Handler) setStaff(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	force, err := queryForce(c)
	if err != nil {
		return err
	}
	var req struct {
		Staff []staffMember `json:"staff"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	staff := make([]Staff, len(req.Staff))
	for i, m := range req.Staff {
		staff[i] = Staff(m)
	}
	cl, err := h.svc.SetStaff(c.Request().Context(), id, staff, force)
	if err != nil {
		return withClashes(c, err)
	}
	return c.JSON(http.StatusOK, toClassResponse(cl))
}
