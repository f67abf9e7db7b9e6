package quiz

import (
	"context"
	"encoding/json"
	"testing"
)

// An exam fills quiz_attempt_slots by hundreds of thousands of rows within
// minutes, faster than autovacuum analyzes it, so the statistics the planner
// has are those of a nearly empty table. A read of one attempt's slots must
// stay a lookup by its key whatever they say: in a 20,000-learner exam the
// slot read joined to question_versions was planned as a bitmap AND per
// question version over the version index, 0.5–0.8 s per read, and the
// exam's grading checks and result pages stalled the whole database.
func TestReadingOneAttemptsSlotsStaysALookupWhateverTheStatisticsSay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setQuizOfEveryType()
	// The statistics of the quiz with no attempts yet, as an exam's first
	// minutes see them.
	f.exec(`ANALYZE`)
	learner := f.newLearner()
	a, err := f.svc.Start(learner, f.quizID, f.classID)
	if err != nil {
		t.Fatal(err)
	}
	// Then the exam's rows: 10,000 more attempts with the same questions.
	f.exec(`INSERT INTO quiz_attempts (id, quiz_id, class_id, user_id, number, started_at)
		SELECT gen_random_uuid(), quiz_id, class_id, gen_random_uuid(), 1, started_at
		FROM quiz_attempts, generate_series(1, 10000) WHERE id = ?`, a.ID)
	// The attempts' own statistics are brought up to date, or checking the
	// slots' foreign key would scan them for every row inserted.
	f.exec(`ANALYZE quiz_attempts`)
	f.exec(`INSERT INTO quiz_attempt_slots (attempt_id, slot, question_version_id, type, points)
		SELECT n.id, s.slot, s.question_version_id, s.type, s.points
		FROM quiz_attempts n JOIN quiz_attempt_slots s ON s.attempt_id = ? WHERE n.id <> ?`, a.ID, a.ID)

	for _, tc := range []struct {
		name string
		sql  string
	}{
		{"the attempt's slots", attemptSlotsSQL},
		{"the attempt and its slots for grading", attemptForGradingSQL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if blocks := blocksRead(t, f, tc.sql, a.ID); blocks > 50 {
				t.Errorf("reading one attempt's slots touched %d blocks; want a lookup by its key (≤ 50)", blocks)
			}
		})
	}
}

// blocksRead runs a statement of one parameter under EXPLAIN ANALYZE, in a
// transaction rolled back, and returns the shared blocks its plan touched.
func blocksRead(t *testing.T, f *fixture, sql string, arg any) int {
	t.Helper()
	tx := f.db.Conn(context.Background()).Begin()
	defer tx.Rollback()
	var plan string
	if err := tx.Raw(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+sql, arg).Row().Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var out []struct {
		Plan struct {
			Hit  int `json:"Shared Hit Blocks"`
			Read int `json:"Shared Read Blocks"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &out); err != nil || len(out) != 1 {
		t.Fatalf("EXPLAIN output %q: %v", plan, err)
	}
	return out[0].Plan.Hit + out[0].Plan.Read
}
