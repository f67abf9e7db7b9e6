package web

import (
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// StorableText reports whether PostgreSQL can store and compare s as text:
// valid UTF-8 without NUL characters. Other input is bad input (422), never
// a failed query.
func StorableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// QueryText reads an optional text filter from the query string, recording
// a problem in v when the database could not compare it.
func QueryText(c echo.Context, v *apperr.Validation, name string) string {
	raw := c.QueryParam(name)
	v.Check(StorableText(raw), name, "memuat karakter yang tidak valid", "contains invalid characters")
	return raw
}
