package web

import (
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// PathID reads an id from the path. A malformed id names nothing that could
// exist, so it is answered like a missing one: with notFound.
func PathID(c echo.Context, name string, notFound error) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, notFound
	}
	return id, nil
}

// QueryID reads an optional id from the query string, recording a problem in v.
func QueryID(c echo.Context, v *apperr.Validation, name string) uuid.UUID {
	raw := c.QueryParam(name)
	if raw == "" {
		return uuid.Nil
	}
	id, err := uuid.Parse(raw)
	v.Check(err == nil, name, "bukan id yang valid", "is not a valid id")
	return id
}

// QueryTime reads an optional RFC 3339 time from the query string, recording a problem in v.
func QueryTime(c echo.Context, v *apperr.Validation, name string) time.Time {
	raw := c.QueryParam(name)
	if raw == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, raw)
	v.Check(err == nil, name, "harus berformat RFC 3339", "must be an RFC 3339 timestamp")
	return t
}
