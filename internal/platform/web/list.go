package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/page"
)

// PageRequest reads limit, cursor and sort from the query string; sortable
// lists the fields the list may be sorted by, the first being the default.
func PageRequest(c echo.Context, sortable ...string) (page.Request, error) {
	limit := 0
	if raw := c.QueryParam("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return page.Request{}, apperr.Invalid("limit", "harus berupa bilangan bulat", "must be a whole number")
		}
		limit = n
	}
	return page.NewRequest(limit, c.QueryParam("cursor"), c.QueryParam("sort"), sortable...)
}

// ListResponse is the body of every list endpoint.
type ListResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// NewListResponse converts a page of domain values with convert.
func NewListResponse[S, T any](p page.Result[S], convert func(S) T) ListResponse[T] {
	return ListResponse[T]{Items: ConvertAll(p.Items, convert), NextCursor: p.NextCursor}
}

// ConvertAll converts domain values to their response form; never nil, so
// an empty list is [] in JSON.
func ConvertAll[S, T any](items []S, convert func(S) T) []T {
	out := make([]T, len(items))
	for i, s := range items {
		out[i] = convert(s)
	}
	return out
}
