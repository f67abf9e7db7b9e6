package assignment

import (
	"errors"
	"testing"
	"time"
)

func TestALateSubmitIsJudgedByTheClassPolicyAndTheLearnersExtension(t *testing.T) {
	due := time.Date(2026, 6, 1, 17, 0, 0, 0, time.UTC)
	cutoff := due.Add(72 * time.Hour)
	extended := due.Add(96 * time.Hour)
	settings := func(policy string) ClassSettings {
		return ClassSettings{DueAt: &due, CutoffAt: &cutoff, LatePolicy: policy, PenaltyPerDay: 10}
	}
	tests := []struct {
		name     string
		policy   string
		at       time.Time
		extended *time.Time
		want     Lateness
		err      error
	}{
		{"on time is not late", LatePenalty, due, nil, Lateness{}, nil},
		{"an hour late is a day late and loses a day's penalty", LatePenalty, due.Add(time.Hour), nil, Lateness{DaysLate: 1, PenaltyPercent: 10}, nil},
		{"two and a half days late loses three days", LatePenalty, due.Add(60 * time.Hour), nil, Lateness{DaysLate: 3, PenaltyPercent: 30}, nil},
		{"a flagged late submit loses nothing", LateFlag, due.Add(25 * time.Hour), nil, Lateness{DaysLate: 2}, nil},
		{"a refusing class refuses a late submit", LateRefuse, due.Add(time.Minute), nil, Lateness{}, ErrLateRefused},
		{"nothing is accepted after the cut-off", LateFlag, cutoff.Add(time.Second), nil, Lateness{}, ErrPastCutoff},
		{"an extension past the cut-off moves the cut-off", LateRefuse, cutoff.Add(time.Hour), &extended, Lateness{}, nil},
		{"late after an extension counts from the extension", LatePenalty, extended.Add(time.Hour), &extended, Lateness{}, ErrPastCutoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings(tt.policy).Judge(tt.at, tt.extended)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Judge error = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Judge = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestThePenaltyNeverTakesMoreThanTheWholeGrade(t *testing.T) {
	due := time.Date(2026, 6, 1, 17, 0, 0, 0, time.UTC)
	cs := ClassSettings{DueAt: &due, LatePolicy: LatePenalty, PenaltyPerDay: 40}
	got, err := cs.Judge(due.Add(80*time.Hour), nil)
	if err != nil || got.PenaltyPercent != 100 {
		t.Errorf("Judge four days late at 40%% a day = %+v, %v; want a 100%% penalty", got, err)
	}
}

func TestAClassWithoutADueDateTakesWorkAtAnyTime(t *testing.T) {
	got, err := ClassSettings{LatePolicy: LateRefuse}.Judge(time.Now(), nil)
	if err != nil || got != (Lateness{}) {
		t.Errorf("Judge without dates = %+v, %v", got, err)
	}
}
