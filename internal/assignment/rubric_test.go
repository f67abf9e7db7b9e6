package assignment

import (
	"testing"

	"github.com/corpu/corpu/internal/platform/apperr"
)

var planRubric = Rubric{Name: "Rencana", Criteria: []Criterion{
	{ID: "analisis", Title: "Analisis", Levels: []Level{{ID: "kurang", Title: "Kurang", Points: 1}, {ID: "baik", Title: "Baik", Points: 5}}},
	{ID: "solusi", Title: "Solusi", Levels: []Level{{ID: "kurang", Title: "Kurang", Points: 0}, {ID: "baik", Title: "Baik", Points: 5}}},
}}

func TestARubricGradeAddsThePointsOfTheChosenLevels(t *testing.T) {
	got, err := planRubric.Score(map[string]string{"analisis": "baik", "solusi": "kurang"})
	if err != nil || got != 5 {
		t.Errorf("Score = %v, %v; want 5", got, err)
	}
	if planRubric.MaxPoints() != 10 {
		t.Errorf("MaxPoints = %v, want 10", planRubric.MaxPoints())
	}
}

func TestARubricGradeNamingALevelOrCriterionThatDoesNotExistIsInvalid(t *testing.T) {
	for name, levels := range map[string]map[string]string{
		"an unknown level":     {"analisis": "sempurna", "solusi": "baik"},
		"an unknown criterion": {"analisis": "baik", "solusi": "baik", "gaya": "baik"},
		"a criterion left out": {"analisis": "baik"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := planRubric.Score(levels); apperr.KindOf(err) != apperr.KindInvalid {
				t.Errorf("Score(%v) error = %v, want invalid", levels, err)
			}
		})
	}
}

func TestARubricNeedsUniqueCriteriaAndLevelsWorthSomething(t *testing.T) {
	for name, rb := range map[string]Rubric{
		"no criteria":         {Name: "Kosong"},
		"a repeated criteria": {Name: "Ganda", Criteria: []Criterion{planRubric.Criteria[0], planRubric.Criteria[0]}},
		"worth nothing":       {Name: "Nol", Criteria: []Criterion{{ID: "a", Title: "A", Levels: []Level{{ID: "x", Title: "X", Points: 0}}}}},
		"a nameless rubric":   {Criteria: planRubric.Criteria},
	} {
		t.Run(name, func(t *testing.T) {
			if err := rb.validate(); apperr.KindOf(err) != apperr.KindInvalid {
				t.Errorf("validate = %v, want invalid", err)
			}
		})
	}
}
