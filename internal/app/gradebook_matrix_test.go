package app

import "testing"

// gradebookMatrix is the tenancy matrix's rows for the class gradebook, on
// the class of the quiz world (quiz_matrix_test.go) where Budi learns: its
// staff (the platform admin, the Jawa Barat org admin, the BPSDM Jawa Barat
// instructor) read, configure, override and export it; Budi sees only his
// own row and is refused the rest; the other province sees nothing; the
// org.read token may see the class but is no staff of it, nor a learner.
func (w *world) gradebookMatrix() map[string]matrixCase {
	staff := is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden, mToken, forbidden)
	onClass := func(method, suffix string, body func(q *quizWorld) any) func(*testing.T, string) call {
		return func(t *testing.T, _ string) call {
			q := w.quizzes(t)
			c := call{method: method, path: "/api/v1/classes/" + q.class + "/gradebook" + suffix}
			if body != nil {
				c.body = body(q)
			}
			return c
		}
	}
	return map[string]matrixCase{
		"getMyGrades": {build: func(t *testing.T, _ string) call {
			return call{method: "GET", path: "/api/v1/me/classes/" + w.quizzes(t).class + "/grades"}
		}, want: want(hidden, is(mLearner, ok, mToken, forbidden))},
		"listGradebook":        {build: onClass("GET", "", nil), want: want(hidden, staff)},
		"getGradebookSettings": {build: onClass("GET", "/settings", nil), want: want(hidden, staff)},
		"setGradebookSettings": {build: onClass("PUT", "/settings", func(q *quizWorld) any {
			return map[string]any{"pass_mark": 70, "categories": []map[string]any{
				{"key": "ujian", "name": "Ujian", "weight": 100, "items": []string{q.item}}}}
		}), want: want(hidden, staff)},
		// Budi's final grade; nobody overrides their own (gradebook_test.go
		// proves the staff member enrolled in their class is refused).
		"setGradebookOverride": {build: onClass("POST", "/overrides", func(q *quizWorld) any {
			return map[string]any{"user_id": w.budi, "item": "final", "percent": 80, "reason": "Nilai praktik lapangan."}
		}), want: want(hidden, staff)},
		"startGradebookExport": {build: onClass("POST", "/exports", func(*quizWorld) any { return map[string]any{"format": "csv"} }),
			want: want(hidden, staff)},
	}
}
