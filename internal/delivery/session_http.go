package delivery

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

func (h *Handler) createSession(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	in, force, err := readSession(c)
	if err != nil {
		return err
	}
	s, err := h.svc.CreateSession(c.Request().Context(), id, in, force)
	if err != nil {
		return withClashes(c, err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/sessions/"+s.ID.String())
	return c.JSON(http.StatusCreated, toSessionResponse(s))
}

// readSession reads a session to write, and whether to write it despite
// clashes (?force=true).
func readSession(c echo.Context) (SessionInput, bool, error) {
	force, err := queryForce(c)
	if err != nil {
		return SessionInput{}, false, err
	}
	var req sessionRequest
	if err := web.Bind(c, &req); err != nil {
		return SessionInput{}, false, err
	}
	return req.toInput(), force, nil
}

func (h *Handler) listSessions(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c, "starts_at")
	if err != nil {
		return err
	}
	res, err := h.svc.Sessions(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toSessionResponse))
}

func (h *Handler) getSession(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	s, err := h.svc.Session(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSessionResponse(s))
}

func (h *Handler) updateSession(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	in, force, err := readSession(c)
	if err != nil {
		return err
	}
	s, err := h.svc.UpdateSession(c.Request().Context(), id, in, force)
	if err != nil {
		return withClashes(c, err)
	}
	return c.JSON(http.StatusOK, toSessionResponse(s))
}

func (h *Handler) deleteSession(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteSession(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) checkInCode(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	code, err := h.svc.CheckInCode(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, toCheckInCodeResponse(code))
}

func (h *Handler) checkIn(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	a, created, err := h.svc.CheckIn(c.Request().Context(), id, strings.TrimSpace(req.Code))
	if err != nil {
		return err
	}
	return c.JSON(createdOrOK(created), toAttendanceResponse(a))
}

func (h *Handler) rollCall(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	var req rollCallRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	records, err := h.svc.RollCall(c.Request().Context(), id, req.toRecords())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(records, toAttendanceResponse)})
}

func (h *Handler) listAttendance(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c, "user_id")
	if err != nil {
		return err
	}
	res, err := h.svc.Attendance(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toAttendanceResponse))
}
