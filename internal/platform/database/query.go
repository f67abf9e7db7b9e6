package database

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// EscapeLike escapes the wildcards of a LIKE pattern, so user input and
// organisation paths match only themselves.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UnderAnyPath is the condition "<column> LIKE root1% OR <column> LIKE root2% …"
// that keeps the rows inside any of the organisation subtrees rooted at
// roots; with no roots it matches nothing.
func UnderAnyPath(db *gorm.DB, column string, roots []string) *gorm.DB {
	cond := db.Where("false")
	for _, r := range roots {
		cond = cond.Or(column+" LIKE ?", EscapeLike(r)+"%")
	}
	return cond
}

// NullIfEmpty maps an empty string to NULL for an optional text column.
func NullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// EmptyIfNull reads an optional text column, NULL as "".
func EmptyIfNull(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Take reads one row of q into dest. No row is notFound, the domain's own
// error; any other failure is wrapped with the context format gives.
func Take(q *gorm.DB, dest any, notFound error, format string, args ...any) error {
	err := q.Take(dest).Error
	if IsNotFound(err) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf(format+": %w", append(args, err)...)
	}
	return nil
}

// quoteIdent quotes an identifier (a table, a database) for SQL.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
