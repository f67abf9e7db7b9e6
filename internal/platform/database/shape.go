package database

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// What a logged statement may show. A team view of a province once sent
// 210,000 ids in one IN list and its slow-query log line was 7.8 MB, written
// again on every request; the log keeps the statement's shape instead.
const (
	// listHead is how many items of a long list the log keeps, and
	// longListFrom how many items make a list long (a row of a dozen
	// columns stays whole).
	listHead     = 3
	longListFrom = 13
	// maxLoggedStatement caps the bytes of a logged statement.
	maxLoggedStatement = 2048
)

// A list item as a statement carries it: a placeholder or a literal.
const listItem = `(?:\$\d+|'(?:[^']|'')*'|-?\d+(?:\.\d+)?|NULL|TRUE|FALSE|true|false)`

var (
	// longList matches a parenthesised list of at least longListFrom items
	// (IN lists, ANY(ARRAY[...]) and each tuple of a VALUES).
	longList = regexp.MustCompile(`[(\[]\s*` + listItem + `(?:\s*,\s*` + listItem + `){` + strconv.Itoa(longListFrom-1) + `,}\s*[)\]]`)
	// manyTuples matches the tuples of a multi-row VALUES.
	manyTuples = regexp.MustCompile(`\([^()]*\)(?:\s*,\s*\([^()]*\)){2,}`)
	oneItem    = regexp.MustCompile(listItem)
	tupleSep   = regexp.MustCompile(`\)\s*,\s*\(`)
)

// statementShape returns what the log shows of sql: a long list keeps its
// first items and says how many there were, a multi-row VALUES keeps its
// first row and says how many rows, and the whole is capped at
// maxLoggedStatement bytes with the statement's full length.
func statementShape(sql string) string {
	shape := longList.ReplaceAllStringFunc(sql, collapseList)
	shape = manyTuples.ReplaceAllStringFunc(shape, collapseTuples)
	if len(shape) <= maxLoggedStatement {
		return shape
	}
	cut := maxLoggedStatement
	for cut > 0 && !utf8.RuneStart(shape[cut]) {
		cut--
	}
	return shape[:cut] + " … (" + strconv.Itoa(len(sql)) + " bytes)"
}

// collapseList turns "($1, $2, …, $9000)" into "($1, $2, $3, … 9000 items)".
func collapseList(list string) string {
	open, end := list[:1], list[len(list)-1:]
	items := oneItem.FindAllString(list[1:len(list)-1], -1)
	return open + strings.Join(items[:listHead], ", ") + ", … " + strconv.Itoa(len(items)) + " items" + end
}

// collapseTuples turns "($1,$2),($3,$4),…" into "($1,$2), … 500 rows".
func collapseTuples(tuples string) string {
	rows := tupleSep.Split(tuples, -1)
	return rows[0] + "), … " + strconv.Itoa(len(rows)) + " rows"
}
