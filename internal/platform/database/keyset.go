package database

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/page"
)

// KeyType is the type of a keyset list's sort key: it decides how the key a
// cursor carries is checked and bound.
type KeyType string

// The sort key types of keyset lists.
const (
	KeyNone KeyType = ""            // ordered by id alone; the cursor's key is ignored
	KeyText KeyType = "text"        // any text PostgreSQL can store
	KeyDate KeyType = "date"        // YYYY-MM-DD
	KeyTime KeyType = "timestamptz" // RFC 3339 with nanoseconds
)

// ErrBadCursor is a cursor no list made: cursors are opaque to clients but
// not signed, so a forged one is bad input, never a failed query.
var ErrBadCursor = apperr.Invalid("cursor", "kursor tidak valid", "invalid cursor")

// KeyLayout is the time layout cursors of a date or time key are written in.
func (k KeyType) KeyLayout() string {
	switch k {
	case KeyDate:
		return time.DateOnly
	case KeyTime:
		return time.RFC3339Nano
	}
	return ""
}

// After reads the position req continues after as values to bind: the key
// (a time.Time for date and time keys, text otherwise; nil for KeyNone) and
// the id. ok is false on a first page; a forged cursor is ErrBadCursor.
func After(req page.Request, keyType KeyType) (key any, id uuid.UUID, ok bool, err error) {
	p := req.After()
	if p == nil {
		if req.Cursor != "" {
			return nil, uuid.Nil, false, ErrBadCursor
		}
		return nil, uuid.Nil, false, nil
	}
	if id, err = uuid.Parse(p.ID); err != nil {
		return nil, uuid.Nil, false, ErrBadCursor
	}
	switch keyType {
	case KeyNone:
		if p.Key != "" { // cursors of lists ordered by id carry no key
			return nil, uuid.Nil, false, ErrBadCursor
		}
		return nil, id, true, nil
	case KeyDate, KeyTime:
		t, err := time.Parse(keyType.KeyLayout(), p.Key)
		if err != nil {
			return nil, uuid.Nil, false, ErrBadCursor
		}
		return t, id, true, nil
	default:
		if !utf8.ValidString(p.Key) || strings.ContainsRune(p.Key, 0) {
			return nil, uuid.Nil, false, ErrBadCursor
		}
		return p.Key, id, true, nil
	}
}

// CheckCursor refuses a cursor whose position a list keyed by keyType
// could not read, before any query runs.
func CheckCursor(req page.Request, keyType KeyType) error {
	_, _, _, err := After(req, keyType)
	return err
}

// Keyset orders q by keyExpr then idCol in req's sort direction, continues
// after req's cursor with the condition "(key, id) > (?, ?)" ("<" when
// descending) and fetches one row more than a page, for page.Build. With
// KeyNone the list is ordered by idCol alone and keyExpr is unused. A forged
// cursor is ErrBadCursor.
func Keyset(q *gorm.DB, keyExpr string, keyType KeyType, idCol string, req page.Request) (*gorm.DB, error) {
	key, id, ok, err := After(req, keyType)
	if err != nil {
		return nil, err
	}
	_, desc := req.SortField()
	op, dir := ">", " ASC"
	if desc {
		op, dir = "<", " DESC"
	}
	if keyType == KeyNone {
		if ok {
			q = q.Where(idCol+" "+op+" ?", id)
		}
		return q.Order(idCol + dir).Limit(req.Limit + 1), nil
	}
	if ok {
		q = q.Where("("+keyExpr+", "+idCol+") "+op+" (?::"+string(keyType)+", ?::uuid)", key, id)
	}
	return q.Order(keyExpr + dir + ", " + idCol + dir).Limit(req.Limit + 1), nil
}
