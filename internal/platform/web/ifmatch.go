package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// IfMatch reads the revision a client expects from If-Match, for documents
// whose ETag is their revision number in quotes: 0 when the header is absent
// or "*", -1 (which matches nothing) when it names no revision of ours, such
// as a weak tag.
func IfMatch(c echo.Context) int {
	raw := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if raw == "" || raw == "*" {
		return 0
	}
	n, err := strconv.Atoi(strings.Trim(raw, `"`))
	if err != nil || !strings.HasPrefix(raw, `"`) || !strings.HasSuffix(raw, `"`) || n <= 0 {
		return -1
	}
	return n
}
