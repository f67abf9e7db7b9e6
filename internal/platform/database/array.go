package database

import (
	"database/sql/driver"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// Array is a one-dimensional PostgreSQL array column or parameter of T,
// read and written by pgx's pgtype, the one codec every slice uses: text[]
// is Array[string], an array that may hold NULL elements is Array[*string].
// NULL and nil are the same (a nil Array writes NULL and NULL reads as nil);
// an empty array reads as an empty, non-nil slice.
//
// T must be a type pgtype knows an array of (strings, numbers, booleans,
// times, and pointers to them) or uuid.UUID (UUIDArray).
type Array[T any] []T

// TextArray is a text[] column.
type TextArray = Array[string]

// UUIDArray is a uuid[] column, or a list of ids bound as one parameter
// (?::uuid[]) where GORM would otherwise expand a slice into one parameter
// per element.
type UUIDArray = Array[uuid.UUID]

// pgTypes knows how pgx encodes and decodes each type. A Map is not safe for
// concurrent use, so each call makes its own; building one costs little next
// to a round trip.
func pgTypes() *pgtype.Map {
	m := pgtype.NewMap()
	m.RegisterDefaultPgType(&[]uuid.UUID{}, "_uuid") // Value and Scan look up *[]T
	return m
}

// Dimensions, Index and IndexType make an Array a pgtype.ArrayGetter: pgx
// then encodes a parameter whose type it knows (?::text[] in a prepared
// statement) element by element in the binary format. Through Value alone it
// wrote the text form, parsed it back and encoded that: a third of an HR
// import's CPU went there. When pgx has no binary plan for the elements (a
// text[] of ids sent to ?::uuid[]), it falls back to Value.
func (a Array[T]) Dimensions() []pgtype.ArrayDimension {
	if a == nil {
		return nil
	}
	return []pgtype.ArrayDimension{{Length: int32(len(a)), LowerBound: 1}}
}

// Index returns element i as pgx encodes it.
func (a Array[T]) Index(i int) any { return element(a[i]) }

// IndexType returns a zero element as pgx encodes it.
func (a Array[T]) IndexType() any {
	var zero T
	return element(zero)
}

// element gives pgx a value it encodes in binary: a uuid.UUID is a
// driver.Valuer of text to pgx, a pgtype.UUID is sixteen bytes.
func element(v any) any {
	if id, ok := v.(uuid.UUID); ok {
		return pgtype.UUID{Bytes: id, Valid: true}
	}
	return v
}

// GormDataType tells GORM the column type when it needs one.
func (Array[T]) GormDataType() string { return "array" }

// Value implements driver.Valuer: the array in PostgreSQL's text form, or
// NULL for a nil Array.
func (a Array[T]) Value() (driver.Value, error) {
	if a == nil {
		return nil, nil
	}
	m := pgTypes()
	v := []T(a)
	t, ok := m.TypeForValue(&v)
	if !ok {
		return nil, fmt.Errorf("database.Array: no PostgreSQL array type for %T", v)
	}
	buf, err := m.Encode(t.OID, pgtype.TextFormatCode, v, nil)
	if err != nil {
		return nil, fmt.Errorf("database.Array: encode %T: %w", v, err)
	}
	return string(buf), nil
}

// Scan implements sql.Scanner: NULL reads as nil, {} as an empty slice.
func (a *Array[T]) Scan(src any) error {
	if src == nil {
		*a = nil
		return nil
	}
	v := []T{}
	if err := pgTypes().SQLScanner(&v).Scan(src); err != nil {
		return fmt.Errorf("database.Array: scan %T: %w", src, err)
	}
	if v == nil {
		v = []T{}
	}
	*a = v
	return nil
}
