package database

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

func TestArrayRoundTripsThroughPostgres(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	mustExec(t, db, ctx, "CREATE TABLE arr (id int PRIMARY KEY, tags text[], nums bigint[], opt text[])")
	s := func(v string) *string { return &v }
	tests := []struct {
		name string
		tags TextArray
		nums Array[int64]
		opt  Array[*string]
	}{
		{"nil is NULL", nil, nil, nil},
		{"empty is empty", TextArray{}, Array[int64]{}, Array[*string]{}},
		{"values that need quoting", TextArray{"a", "b c", `d"e`, `f\g`, "NULL", "", "{x,y}", "ünï"}, Array[int64]{1, -2, 1 << 40}, Array[*string]{s("x"), nil, s("")}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := db.Conn(ctx).Exec("INSERT INTO arr VALUES (?, ?, ?, ?)", i, tt.tags, tt.nums, tt.opt).Error; err != nil {
				t.Fatalf("insert: %v", err)
			}
			var nulls []bool
			if err := db.Conn(ctx).Raw("SELECT tags IS NULL FROM arr WHERE id = ?", i).Scan(&nulls).Error; err != nil {
				t.Fatal(err)
			}
			if nulls[0] != (tt.tags == nil) {
				t.Errorf("tags IS NULL = %v, want %v", nulls[0], tt.tags == nil)
			}
			var got struct {
				Tags TextArray
				Nums Array[int64]
				Opt  Array[*string]
			}
			if err := db.Conn(ctx).Raw("SELECT tags, nums, opt FROM arr WHERE id = ?", i).Scan(&got).Error; err != nil {
				t.Fatalf("select: %v", err)
			}
			if (got.Tags == nil) != (tt.tags == nil) || !slices.Equal(got.Tags, tt.tags) {
				t.Errorf("tags = %#v, want %#v", got.Tags, tt.tags)
			}
			if (got.Nums == nil) != (tt.nums == nil) || !slices.Equal(got.Nums, tt.nums) {
				t.Errorf("nums = %#v, want %#v", got.Nums, tt.nums)
			}
			if len(got.Opt) != len(tt.opt) || (got.Opt == nil) != (tt.opt == nil) {
				t.Fatalf("opt = %#v, want %#v", got.Opt, tt.opt)
			}
			for j := range tt.opt {
				if (got.Opt[j] == nil) != (tt.opt[j] == nil) || (got.Opt[j] != nil && *got.Opt[j] != *tt.opt[j]) {
					t.Errorf("opt[%d] = %v, want %v", j, got.Opt[j], tt.opt[j])
				}
			}
		})
	}
}

func TestArrayCastsToUUIDs(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ids := TextArray{"0190a0b0-0000-7000-8000-000000000001", "0190a0b0-0000-7000-8000-000000000002"}
	var n int
	if err := db.Conn(context.Background()).Raw("SELECT count(*) FROM unnest(?::uuid[])", ids).Scan(&n).Error; err != nil {
		t.Fatalf("unnest(?::uuid[]) = %v", err)
	}
	if n != 2 {
		t.Errorf("count = %d, want 2", n)
	}
}

func TestUUIDArrayRoundTripsThroughPostgres(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	a, b := uuid.MustParse("0190a0b0-0000-7000-8000-000000000001"), uuid.MustParse("0190a0b0-0000-7000-8000-000000000002")
	tests := []struct {
		name string
		ids  UUIDArray
	}{
		{"nil is NULL", nil},
		{"empty is empty", UUIDArray{}},
		{"ids keep their order", UUIDArray{b, a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct {
				IDs    UUIDArray
				IsNull bool
				N      int
			}
			err := db.Conn(ctx).Raw("SELECT ?::uuid[] AS ids, ?::uuid[] IS NULL AS is_null, (SELECT count(*) FROM unnest(?::uuid[])) AS n",
				tt.ids, tt.ids, tt.ids).Scan(&got).Error
			if err != nil {
				t.Fatalf("select: %v", err)
			}
			if got.IsNull != (tt.ids == nil) || got.N != len(tt.ids) {
				t.Errorf("IS NULL = %v, count = %d; want %v, %d", got.IsNull, got.N, tt.ids == nil, len(tt.ids))
			}
			if (got.IDs == nil) != (tt.ids == nil) || !slices.Equal(got.IDs, tt.ids) {
				t.Errorf("ids = %v, want %v", got.IDs, tt.ids)
			}
		})
	}
}

// Array parameters of a known type go to PostgreSQL in binary (pgx's
// ArrayGetter); these are the element types Corpu sends, each to the column
// type it is cast to, with NULL elements where the type allows them.
func TestArrayParametersOfEachElementTypeArriveIntact(t *testing.T) {
	t.Parallel()
	db := NewTestDB(t)
	ctx := context.Background()
	id := uuid.MustParse("0190a0b0-0000-7000-8000-000000000001")
	s := func(v string) *string { return &v }
	tests := []struct {
		name  string
		query string
		arg   any
		want  string
	}{
		{"text", "SELECT array_to_string(?::text[], '|', '∅')", TextArray{"a", "b,c", `"q"`, ""}, `a|b,c|"q"|`},
		{"text with NULL", "SELECT array_to_string(?::text[], '|', '∅')", Array[*string]{s("x"), nil}, "x|∅"},
		{"bigint", "SELECT array_to_string(?::bigint[], '|')", Array[int64]{199001012020011001, -1}, "199001012020011001|-1"},
		{"int", "SELECT array_to_string(?::int[], '|')", Array[int]{1, 2, 3}, "1|2|3"},
		{"numeric from float64", "SELECT array_to_string(?::numeric[], '|')", Array[float64]{0.5, 2.25, 10}, "0.5|2.25|10"},
		{"boolean", "SELECT array_to_string(?::boolean[], '|')", Array[bool]{true, false}, "t|f"},
		{"uuid", "SELECT array_to_string(?::uuid[], '|')", UUIDArray{id}, id.String()},
		{"uuid with NULL", "SELECT array_to_string(?::uuid[], '|', '∅')", Array[pgtype.UUID]{{Bytes: id, Valid: true}, {}}, id.String() + "|∅"},
		{"uuid sent as text", "SELECT array_to_string(?::uuid[], '|')", TextArray{id.String()}, id.String()},
		{"empty", "SELECT coalesce(array_to_string(?::text[], '|'), 'NULL')", TextArray{}, ""},
		{"nil", "SELECT coalesce(array_to_string(?::text[], '|'), 'NULL')", TextArray(nil), "NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := db.Conn(ctx).Raw(tt.query, tt.arg).Scan(&got).Error; err != nil {
				t.Fatalf("%s: %v", tt.query, err)
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}
