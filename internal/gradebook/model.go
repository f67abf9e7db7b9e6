// Package gradebook keeps each class's gradebook: the grades of its learners
// for the quizzes, assignments and attendance of the course version, the
// categories and weights the instructor set, the overrides, and each
// learner's final grade and pass/fail. Grades arrive as events; a learner's
// row is computed when one of their grades changes and the class's rows when
// its settings change, so reads never compute. The pass/fail is the one
// authority for completion: delivery reads it (gradebook:result-changed).
package gradebook

import (
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
)

// The kinds of gradebook item.
const (
	KindQuiz       = "quiz"
	KindAssignment = "assignment"
	KindAttendance = "attendance"
)

// AttendanceItem is the key of a class's attendance as a gradebook item;
// every other item is keyed by its course item's id.
const AttendanceItem = "attendance"

// FinalItem is the key an override of the final grade is kept under.
const FinalItem = "final"

// DefaultPassMark is the mark an override is judged by while a class has no
// settings (its items pass by their own rules then).
const DefaultPassMark = 60.0

// Item is one graded thing of a class: a quiz or assignment of its course
// version, or its attendance.
type Item struct {
	Key  string
	Kind string
}

// Category groups items: its weight is its share of the final grade (the
// weights of a class add up to 100) and its lowest DropLowest grades do not
// count.
type Category struct {
	Key        string
	Name       string
	Weight     float64
	DropLowest int
	Items      []string
}

// Settings are how a class's final grade is computed. A class never
// configured (Configured false) passes a learner when every quiz and
// assignment of its version is passed by its own rule (a quiz by its pass
// mark, an assignment once graded) and shows the plain mean as final grade.
type Settings struct {
	Configured bool
	PassMark   float64
	Categories []Category
	Revision   int
	UpdatedAt  time.Time
}

// Grade is a learner's latest grade for an item, as its source released it.
type Grade struct {
	Item       string
	Kind       string
	Percent    float64
	Passed     bool // by the source's own rule
	ReleasedAt time.Time
}

// Override is an instructor's grade for a learner's item or final grade.
type Override struct {
	Item    string
	Percent float64
	Reason  string
	SetBy   uuid.UUID
	SetAt   time.Time
}

// ItemResult is one item of a learner's row.
type ItemResult struct {
	Item       string
	Kind       string
	Category   string   // empty when the item counts in no category
	Percent    *float64 // nil: no grade yet (counts as 0)
	Overridden bool
	Dropped    bool // among the lowest its category drops
}

// Row is a learner's computed result in a class.
type Row struct {
	ClassID         uuid.UUID
	UserID          uuid.UUID
	FinalPercent    *float64
	FinalOverridden bool
	Passed          bool
	Items           []ItemResult
	Revision        int   // the settings revision it was computed with
	Seq             int64 // how many times the row was computed
	ComputedAt      time.Time
}

// sameResult reports whether two rows give the learner the same result.
func sameResult(a, b Row) bool {
	if a.Passed != b.Passed || (a.FinalPercent == nil) != (b.FinalPercent == nil) {
		return false
	}
	return a.FinalPercent == nil || *a.FinalPercent == *b.FinalPercent
}

// compute is a learner's row from the class's items and settings, their
// grades and the overrides, by item key. It reads nothing else, so a
// class's rows are computed in one pass over its grades.
func compute(items []Item, st Settings, grades map[string]Grade, overrides map[string]Override) Row {
	results := make([]ItemResult, len(items))
	index := make(map[string]int, len(items))
	for i, it := range items {
		r := ItemResult{Item: it.Key, Kind: it.Kind}
		if o, ok := overrides[it.Key]; ok {
			p := o.Percent
			r.Percent, r.Overridden = &p, true
		} else if g, ok := grades[it.Key]; ok {
			p := g.Percent
			r.Percent = &p
		}
		results[i], index[it.Key] = r, i
	}
	var row Row
	if st.Configured {
		row = weighted(results, index, st)
	} else {
		row = everyItemPassed(results, grades, overrides)
	}
	row.Items, row.Revision = results, st.Revision
	if o, ok := overrides[FinalItem]; ok {
		p := o.Percent
		row.FinalPercent, row.FinalOverridden = &p, true
		mark := DefaultPassMark
		if st.Configured {
			mark = st.PassMark
		}
		row.Passed = p >= mark-1e-9
	}
	return row
}

// weighted computes the final grade as the weighted mean of the categories'
// means, each after dropping its lowest grades; a missing grade counts as 0.
func weighted(results []ItemResult, index map[string]int, st Settings) Row {
	total, weights := 0.0, 0.0
	for _, c := range st.Categories {
		type graded struct {
			at      int
			percent float64
		}
		var in []graded
		for _, key := range c.Items {
			i, ok := index[key]
			if !ok {
				continue // an item the version no longer has
			}
			results[i].Category = c.Key
			p := 0.0
			if results[i].Percent != nil {
				p = *results[i].Percent
			}
			in = append(in, graded{at: i, percent: p})
		}
		if len(in) == 0 {
			continue
		}
		slices.SortStableFunc(in, func(a, b graded) int {
			switch {
			case a.percent < b.percent:
				return -1
			case a.percent > b.percent:
				return 1
			}
			return 0
		})
		drop := min(c.DropLowest, len(in)-1)
		sum := 0.0
		for k, g := range in {
			if k < drop {
				results[g.at].Dropped = true
				continue
			}
			sum += g.percent
		}
		total += c.Weight * sum / float64(len(in)-drop)
		weights += c.Weight
	}
	final := 0.0
	if weights > 0 {
		final = round3(total / weights)
	}
	return Row{FinalPercent: &final, Passed: final >= st.PassMark-1e-9}
}

// everyItemPassed is the rule of a class without settings: the plain mean
// as final grade, passed when every quiz and assignment is passed by its own
// rule (an overridden item by DefaultPassMark). Attendance counts in neither:
// delivery's attendance threshold decides it.
func everyItemPassed(results []ItemResult, grades map[string]Grade, overrides map[string]Override) Row {
	passed, n, sum := true, 0, 0.0
	for _, r := range results {
		if r.Kind == KindAttendance {
			continue
		}
		n++
		if r.Percent != nil {
			sum += *r.Percent
		}
		if o, ok := overrides[r.Item]; ok {
			passed = passed && o.Percent >= DefaultPassMark-1e-9
		} else {
			g, ok := grades[r.Item]
			passed = passed && ok && g.Passed
		}
	}
	if n == 0 {
		return Row{Passed: true}
	}
	final := round3(sum / float64(n))
	return Row{FinalPercent: &final, Passed: passed}
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
