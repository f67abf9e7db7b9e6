package quiz

import "testing"

// Every learner of an exam starts the same quiz with the same questions
// within a minute. A start that marked those shared rows (a foreign key's
// check locks the row it finds, and the lock is written into the row) would
// make every start of the burst write to the same 21 rows, each lock held
// by hundreds of transactions at once a new MultiXact. A start writes its
// own attempt and nothing the others share.
func TestStartingAnAttemptWritesNothingToTheQuizOrItsQuestions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := f.setQuizOfEveryType()
	// xmax is the transaction that last locked, updated or deleted a row.
	marks := func() map[string]string {
		var rows []struct{ Row, Xmax string }
		if err := f.db.Conn(t.Context()).Raw(`
			SELECT 'quiz ' || item_id AS row, xmax::text AS xmax FROM quizzes WHERE item_id = ?
			UNION ALL
			SELECT 'question version ' || v.id, v.xmax::text FROM question_versions v JOIN questions q ON q.id = v.question_id
			WHERE q.id IN ?`, f.quizID, ids).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range rows {
			out[r.Row] = r.Xmax
		}
		return out
	}
	before := marks()
	if len(before) != len(ids)+1 {
		t.Fatalf("found %d rows of the quiz and its questions, want %d", len(before), len(ids)+1)
	}
	for range 3 {
		if _, err := f.svc.Start(f.newLearner(), f.quizID, f.classID); err != nil {
			t.Fatal(err)
		}
	}
	for row, xmax := range marks() {
		if xmax != before[row] {
			t.Errorf("%s: xmax %s after three starts, was %s: a start locked or changed it", row, xmax, before[row])
		}
	}
}
