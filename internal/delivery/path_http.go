package delivery

import (
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

func (h *Handler) enrolInPath(c echo.Context) error {
	id, err := web.PathID(c, "path_id", ErrPathNotFound)
	if err != nil {
		return err
	}
	pe, created, err := h.svc.EnrolInPath(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(createdOrOK(created), toPathEnrolmentResponse(pe))
}
