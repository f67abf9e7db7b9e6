// Package page carries list pagination from the HTTP layer to the stores:
// a limit, an opaque cursor and a sort, and a page of results with the cursor
// of the next one. Cursors encode the last row's sort key and id (keyset
// pagination), so they stay stable while rows are inserted.
package page

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Request asks for one page.
type Request struct {
	Limit  int
	Cursor string // opaque; empty for the first page
	Sort   string // a field name, "-" prefixed for descending
}

// Result is one page of items.
type Result[T any] struct {
	Items      []T
	NextCursor string // empty on the last page
}

// Position is what a cursor remembers: the last row's sort key and id.
type Position struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

// NewRequest validates limit and sort (against the fields a list allows,
// the first being the default) and returns the request.
func NewRequest(limit int, cursor, sort string, sortable ...string) (Request, error) {
	var v apperr.Validation
	if limit == 0 {
		limit = DefaultLimit
	}
	v.Check(limit > 0 && limit <= MaxLimit, "limit", "harus antara 1 dan 200", "must be between 1 and 200")
	if sort == "" && len(sortable) > 0 {
		sort = sortable[0]
	}
	v.Check(sort == "" || slices.Contains(sortable, strings.TrimPrefix(sort, "-")), "sort",
		"tidak dapat diurutkan menurut kolom ini: "+sort, "cannot sort by this field: "+sort)
	if cursor != "" {
		_, err := DecodeCursor(cursor)
		v.Check(err == nil, "cursor", "kursor tidak valid", "invalid cursor")
	}
	if err := v.Err(); err != nil {
		return Request{}, err
	}
	return Request{Limit: limit, Cursor: cursor, Sort: sort}, nil
}

// SortField returns the field to sort by and whether it is descending.
func (r Request) SortField() (field string, desc bool) {
	return strings.TrimPrefix(r.Sort, "-"), strings.HasPrefix(r.Sort, "-")
}

// After returns the position the cursor points after, or nil on the first page.
func (r Request) After() *Position {
	if r.Cursor == "" {
		return nil
	}
	p, err := DecodeCursor(r.Cursor)
	if err != nil {
		return nil
	}
	return &p
}

// EncodeCursor makes an opaque cursor from a position.
func EncodeCursor(p Position) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (Position, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Position{}, err
	}
	var p Position
	err = json.Unmarshal(b, &p)
	return p, err
}

// Build cuts rows fetched with Limit+1 down to one page, setting the next
// cursor from the last item kept when there was more.
func Build[T any](rows []T, limit int, position func(T) Position) Result[T] {
	if len(rows) <= limit {
		return Result[T]{Items: rows}
	}
	rows = rows[:limit]
	return Result[T]{Items: rows, NextCursor: EncodeCursor(position(rows[len(rows)-1]))}
}
