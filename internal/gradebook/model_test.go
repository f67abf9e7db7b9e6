package gradebook

import (
	"testing"
)

func TestTheFinalGradeIsTheWeightedMeanOfCategoriesAfterDroppingTheLowest(t *testing.T) {
	items := []Item{{Key: "q1", Kind: KindQuiz}, {Key: "q2", Kind: KindQuiz}, {Key: "q3", Kind: KindQuiz},
		{Key: "a1", Kind: KindAssignment}, {Key: AttendanceItem, Kind: KindAttendance}}
	configured := Settings{Configured: true, PassMark: 70, Categories: []Category{
		{Key: "kuis", Weight: 40, DropLowest: 1, Items: []string{"q1", "q2", "q3"}},
		{Key: "proyek", Weight: 50, Items: []string{"a1"}},
		{Key: "hadir", Weight: 10, Items: []string{AttendanceItem}},
	}}
	grade := func(p float64, passed bool) Grade { return Grade{Percent: p, Passed: passed} }
	tests := []struct {
		name       string
		st         Settings
		grades     map[string]Grade
		overrides  map[string]Override
		wantFinal  *float64
		wantPassed bool
		wantDrop   string // the item dropped, if any
	}{
		{"the lowest quiz is dropped and the rest weighted",
			configured, map[string]Grade{"q1": grade(50, false), "q2": grade(80, true), "q3": grade(100, true), "a1": grade(70, true), AttendanceItem: grade(100, true)},
			nil, pct(0.4*90 + 0.5*70 + 0.1*100), true, "q1"},
		{"a missing grade counts 0 and is the one dropped",
			configured, map[string]Grade{"q2": grade(80, true), "q3": grade(100, true), "a1": grade(60, true), AttendanceItem: grade(50, true)},
			nil, pct(0.4*90 + 0.5*60 + 0.1*50), true, "q1"},
		{"below the pass mark fails",
			configured, map[string]Grade{"q1": grade(40, false), "q2": grade(40, false), "q3": grade(40, false), "a1": grade(40, true)},
			nil, pct(0.4*40 + 0.5*40), false, "q1"},
		{"an item override replaces its grade",
			configured, map[string]Grade{"q1": grade(80, true), "q2": grade(80, true), "q3": grade(80, true), "a1": grade(40, true)},
			map[string]Override{"a1": {Item: "a1", Percent: 100}}, pct(0.4*80 + 0.5*100), true, "q1"},
		{"a final override replaces the final grade and is judged by the pass mark",
			configured, map[string]Grade{"q1": grade(100, true)},
			map[string]Override{FinalItem: {Item: FinalItem, Percent: 69}}, pct(69), false, "q2"},
		{"without settings every quiz passed and assignment graded passes, attendance aside",
			Settings{}, map[string]Grade{"q1": grade(70, true), "q2": grade(80, true), "q3": grade(90, true), "a1": grade(20, true)},
			nil, pct(65), true, ""},
		{"without settings one quiz failed fails",
			Settings{}, map[string]Grade{"q1": grade(50, false), "q2": grade(80, true), "q3": grade(90, true), "a1": grade(100, true)},
			nil, pct(80), false, ""},
		{"without settings an ungraded item fails",
			Settings{}, map[string]Grade{"q1": grade(100, true), "q2": grade(100, true), "q3": grade(100, true)},
			nil, pct(75), false, ""},
		{"without settings an overridden item passes from the default mark",
			Settings{}, map[string]Grade{"q1": grade(50, false), "q2": grade(80, true), "q3": grade(90, true), "a1": grade(100, true)},
			map[string]Override{"q1": {Item: "q1", Percent: 60}}, pct(82.5), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compute(items, tt.st, tt.grades, tt.overrides)
			if fmtPercent(r.FinalPercent) != fmtPercent(tt.wantFinal) || r.Passed != tt.wantPassed {
				t.Errorf("compute = final %s passed %v, want %s %v", fmtPercent(r.FinalPercent), r.Passed, fmtPercent(tt.wantFinal), tt.wantPassed)
			}
			for _, it := range r.Items {
				if it.Dropped != (it.Item == tt.wantDrop) {
					t.Errorf("item %s dropped = %v, want %v", it.Item, it.Dropped, it.Item == tt.wantDrop)
				}
			}
		})
	}
}

func TestAClassWithoutGradedItemsPassesEveryone(t *testing.T) {
	r := compute([]Item{{Key: AttendanceItem, Kind: KindAttendance}}, Settings{}, nil, nil)
	if !r.Passed || r.FinalPercent != nil {
		t.Errorf("compute(no graded items) = passed %v final %s, want passed with no final grade", r.Passed, fmtPercent(r.FinalPercent))
	}
}
