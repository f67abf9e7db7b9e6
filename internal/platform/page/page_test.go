package page

import (
	"testing"

	"github.com/corpu/corpu/internal/platform/apperr"
)

func TestNewRequestValidatesLimitSortAndCursor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		limit   int
		cursor  string
		sort    string
		wantErr bool
		want    Request
	}{
		{"defaults", 0, "", "", false, Request{Limit: DefaultLimit, Sort: "name"}},
		{"descending allowed field", 10, "", "-created_at", false, Request{Limit: 10, Sort: "-created_at"}},
		{"limit above the maximum", 201, "", "", true, Request{}},
		{"negative limit", -1, "", "", true, Request{}},
		{"unknown sort field", 10, "", "password", true, Request{}},
		{"garbage cursor", 10, "%%%", "", true, Request{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewRequest(tt.limit, tt.cursor, tt.sort, "name", "created_at")
			if tt.wantErr {
				if apperr.KindOf(err) != apperr.KindInvalid {
					t.Fatalf("NewRequest = %v, want an invalid error", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NewRequest = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestBuildSetsTheNextCursorOnlyWhenMoreRowsExist(t *testing.T) {
	t.Parallel()
	pos := func(n int) Position { return Position{Key: "k", ID: string(rune('a' + n))} }
	full := Build([]int{1, 2, 3}, 2, pos)
	if len(full.Items) != 2 || full.NextCursor == "" {
		t.Fatalf("Build(3 rows, limit 2) = %+v, want 2 items and a cursor", full)
	}
	next, err := DecodeCursor(full.NextCursor)
	if err != nil || next != pos(2) {
		t.Errorf("cursor decodes to %+v, %v; want the last kept row %+v", next, err, pos(2))
	}
	last := Build([]int{1, 2}, 2, pos)
	if last.NextCursor != "" {
		t.Errorf("Build(2 rows, limit 2) cursor = %q, want none on the last page", last.NextCursor)
	}
	if r := (Request{Cursor: full.NextCursor}); r.After() == nil || *r.After() != pos(2) {
		t.Errorf("Request.After() = %v, want %+v", r.After(), pos(2))
	}
}
