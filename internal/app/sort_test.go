package app

import (
	"net/http"
	"slices"
	"testing"
)

// TestAMinusBeforeTheSortFieldReversesTheList checks every list that takes a
// sort: "-field" answers the items of "field" in reverse, and a list that
// sorts by nothing refuses a sort with 422.
func TestAMinusBeforeTheSortFieldReversesTheList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	author := f.clients["national instructor"]
	for _, code := range []string{"ZZ-SORT", "AA-SORT", "MM-SORT"} {
		if s := author.do("POST", "/api/v1/courses", map[string]any{"org_id": f.org["BPSDM-KEMENDAGRI"], "code": code,
			"sharing": "national", "title": "Kursus " + code}, nil); s != http.StatusCreated {
			t.Fatalf("create course %s = %d", code, s)
		}
	}
	var catalogue struct {
		Items []struct {
			CourseID string `json:"course_id"`
		} `json:"items"`
	}
	if s := author.do("GET", "/api/v1/catalogue", nil, &catalogue); s != http.StatusOK || len(catalogue.Items) == 0 {
		t.Fatalf("catalogue = %d with %d courses", s, len(catalogue.Items))
	}
	for _, title := range []string{"Jalur Zamrud", "Jalur Akik", "Jalur Mutiara"} {
		if s := author.do("POST", "/api/v1/learning-paths", map[string]any{"org_id": f.org["BPSDM-KEMENDAGRI"], "code": "JALUR-" + title[6:],
			"title": title, "sharing": "national", "steps": []map[string]any{{"course_id": catalogue.Items[0].CourseID}}}, nil); s != http.StatusCreated {
			t.Fatalf("create path %s = %d", title, s)
		}
	}

	tests := []struct {
		name, caller, path, field string
	}{
		{"users by name", "platform admin", "/api/v1/users", "name"},
		{"courses by code", "national instructor", "/api/v1/courses", "code"},
		{"learning paths by title", "national instructor", "/api/v1/learning-paths", "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := func(sort string) []string {
				var page struct {
					Items []struct {
						ID string `json:"id"`
					} `json:"items"`
					NextCursor *string `json:"next_cursor"`
				}
				if s := f.clients[tt.caller].do("GET", tt.path+"?limit=200&sort="+sort, nil, &page); s != http.StatusOK || page.NextCursor != nil {
					t.Fatalf("GET %s?sort=%s = %d, next cursor %v; want 200 on one page", tt.path, sort, s, page.NextCursor)
				}
				out := make([]string, len(page.Items))
				for i, it := range page.Items {
					out[i] = it.ID
				}
				return out
			}
			up, down := ids(tt.field), ids("-"+tt.field)
			if len(up) < 3 {
				t.Fatalf("%d items; the check needs three", len(up))
			}
			slices.Reverse(down)
			if !slices.Equal(up, down) {
				t.Errorf("sort=-%s is not sort=%s reversed:\n%v\n%v", tt.field, tt.field, up, down)
			}
		})
	}
	for _, path := range []string{"/api/v1/organizations?sort=-name", "/api/v1/courses?sort=-title"} {
		if s := f.clients["platform admin"].do("GET", path, nil, nil); s != http.StatusUnprocessableEntity {
			t.Errorf("GET %s = %d, want 422 (the list cannot sort by it)", path, s)
		}
	}
}
