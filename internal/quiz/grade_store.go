package quiz

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

// The statements of grading in batches (gradeBatch). They scan with
// database/sql's rows.Scan into plain variables: GORM's scanning into structs
// by reflection was 40% of a grade's Go time.

// lockForGrading reads the attempts ids (without their slots), locking each
// row until the transaction ends. A row another transaction holds (another
// grader) is skipped, not waited for, so one busy attempt does not hold up
// its batch; an id that is missing or skipped is not in the result.
//
// The same statement sets, for the rest of the transaction (SET LOCAL):
//   - commits that do not wait for the WAL to reach the disk: a grade lost
//     in a crash is made again, since the attempt stays submitted and its
//     job undone;
//   - no hash or merge joins. Every statement of grading finds its rows by
//     key, and a batch of a hundred attempts writes two thousand slots:
//     the planner then hashed the whole of quiz_attempt_slots, full of the
//     dead rows an exam's saves leave, and writing a batch's scores took
//     50–500 ms where looking each slot up by its key takes a few.
func (s store) lockForGrading(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Attempt, error) {
	rows, err := s.db.Conn(ctx).Raw(`SELECT a.id, a.quiz_id, a.class_id, a.user_id, a.number, a.state, a.max_score
		FROM quiz_attempts a CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true),
			set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)) AS settings
		WHERE a.id = ANY(?::uuid[]) ORDER BY a.id FOR UPDATE OF a SKIP LOCKED`, database.UUIDArray(ids)).Rows()
	if err != nil {
		return nil, fmt.Errorf("lock attempts for grading: %w", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID]Attempt, len(ids))
	for rows.Next() {
		var a Attempt
		if err := rows.Scan(&a.ID, &a.QuizID, &a.ClassID, &a.UserID, &a.Number, &a.State, &a.MaxScore); err != nil {
			return nil, fmt.Errorf("read attempt for grading: %w", err)
		}
		out[a.ID] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock attempts for grading: %w", err)
	}
	return out, nil
}

// existingAttempts returns which of ids are attempts at all.
func (s store) existingAttempts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	var found []uuid.UUID
	err := s.db.Conn(ctx).Raw(`SELECT id FROM quiz_attempts WHERE id = ANY(?::uuid[])`, database.UUIDArray(ids)).Scan(&found).Error
	if err != nil {
		return nil, fmt.Errorf("find attempts: %w", err)
	}
	out := make(map[uuid.UUID]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// gradingSlots reads the slots of the attempts ids, in slot order, with the
// key revision of each slot's question version, by attempt.
//
// The slots are read attempt by attempt (a lateral subquery that OFFSET 0
// keeps from being flattened into a join), so the plan is an index lookup per
// attempt whatever the statistics say. An exam fills quiz_attempt_slots by
// millions of rows in minutes, faster than autovacuum analyzes it: with no
// statistics, "attempt_id = ANY(ten ids)" was estimated at 100,000 rows and
// planned as a parallel sequential scan with JIT compilation, 0.3–0.9 s per
// batch where the lookup takes 0.5 ms.
func (s store) gradingSlots(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]Slot, error) {
	rows, err := s.db.Conn(ctx).Raw(`SELECT s.attempt_id, s.slot, s.question_version_id, s.type, s.points, s.response, s.score, v.key_revision
		FROM unnest(?::uuid[]) AS a(id)
		CROSS JOIN LATERAL (SELECT * FROM quiz_attempt_slots WHERE attempt_id = a.id OFFSET 0) s
		JOIN question_versions v ON v.id = s.question_version_id
		ORDER BY s.attempt_id, s.slot`, database.UUIDArray(ids)).Rows()
	if err != nil {
		return nil, fmt.Errorf("read slots for grading: %w", err)
	}
	defer rows.Close()
	// One array for all the slots, each attempt's a run of it (the rows come
	// by attempt): a Slot is large, and growing a slice per attempt copied
	// them again and again.
	all := make([]Slot, 0, 20*len(ids))
	owners := make([]uuid.UUID, 0, 20*len(ids))
	for rows.Next() {
		var attemptID uuid.UUID
		var sl Slot
		var typ string
		// A slot never answered has no response: NULL scans into a []byte
		// (nil) but not into a json.RawMessage, and that one error sent
		// every batch of a real exam, where some slot is always left
		// blank, to be graded again attempt by attempt.
		var response []byte
		if err := rows.Scan(&attemptID, &sl.Slot, &sl.QuestionVersionID, &typ, &sl.Points, &response, &sl.Score, &sl.KeyRevision); err != nil {
			return nil, fmt.Errorf("read slot for grading: %w", err)
		}
		sl.Type, sl.Response = Type(typ), response
		all, owners = append(all, sl), append(owners, attemptID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read slots for grading: %w", err)
	}
	out := make(map[uuid.UUID][]Slot, len(ids))
	for from := 0; from < len(all); {
		to := from + 1
		for to < len(all) && owners[to] == owners[from] {
			to++
		}
		out[owners[from]] = all[from:to:to]
		from = to
	}
	return out, nil
}

// attemptGrade is what grading decided for one submitted attempt: its state
// (graded, or needs_grading while essays wait), score and pass, and the
// auto-graded slots' scores.
type attemptGrade struct {
	attempt Attempt
	state   string
	score   float64
	passed  *bool // nil while essays wait
	slots   []int
	scores  []float64
	quiz    Quiz // for the graded event
}

// setGrades writes the grades of a batch of submitted attempts and their
// slots' scores in one statement, and returns, by attempt that became
// graded, the percents of its learner's graded attempts of the quiz in the
// class in attempt order, this one included: what the quiz grade is made
// of. Two attempts of one learner in a batch both count for each of them:
// the grade is the one after the batch.
func (s store) setGrades(ctx context.Context, grades []attemptGrade, at time.Time) (map[uuid.UUID][]float64, error) {
	ids, states, scores, passed := make([]uuid.UUID, len(grades)), make([]string, len(grades)), make([]float64, len(grades)), make([]*bool, len(grades))
	var slotAttempts []uuid.UUID
	var slotNums []int
	var slotScores []float64
	for i, g := range grades {
		ids[i], states[i], scores[i], passed[i] = g.attempt.ID, g.state, g.score, g.passed
		for range g.slots {
			slotAttempts = append(slotAttempts, g.attempt.ID)
		}
		slotNums, slotScores = append(slotNums, g.slots...), append(slotScores, g.scores...)
	}
	// The batch's attempts were submitted when the statement began, so the
	// graded attempts it reads from the table are others; those of the batch
	// come through RETURNING, since a data-modifying CTE's change is not
	// visible to the rest of its statement.
	rows, err := s.db.Conn(ctx).Raw(`WITH slots AS (
			UPDATE quiz_attempt_slots s SET score = v.score, graded_at = now()
			FROM unnest(?::uuid[], ?::int[], ?::numeric[]) AS v(attempt_id, slot, score)
			WHERE s.attempt_id = v.attempt_id AND s.slot = v.slot),
		batch AS (
			UPDATE quiz_attempts a SET state = v.state, score = v.score, passed = v.passed,
				graded_at = CASE WHEN v.state = 'graded' THEN CAST(? AS timestamptz) ELSE a.graded_at END
			FROM unnest(?::uuid[], ?::text[], ?::numeric[], ?::bool[]) AS v(id, state, score, passed)
			WHERE a.id = v.id
			RETURNING a.id, a.quiz_id, a.class_id, a.user_id, a.number, a.state, a.score, a.max_score)
		SELECT t.id, CASE WHEN g.max_score > 0 THEN g.score / g.max_score * 100 ELSE 100 END
		FROM batch t CROSS JOIN LATERAL (
			SELECT o.number, o.score, o.max_score FROM quiz_attempts o
			WHERE o.quiz_id = t.quiz_id AND o.class_id = t.class_id AND o.user_id = t.user_id AND o.state = 'graded'
			UNION ALL
			SELECT b.number, b.score, b.max_score FROM batch b
			WHERE b.quiz_id = t.quiz_id AND b.class_id = t.class_id AND b.user_id = t.user_id AND b.state = 'graded') g
		WHERE t.state = 'graded' ORDER BY t.id, g.number`,
		database.UUIDArray(nonNil(slotAttempts)), database.Array[int](nonNil(slotNums)), database.Array[float64](nonNil(slotScores)),
		at, database.UUIDArray(ids), database.Array[string](states), database.Array[float64](scores), database.Array[*bool](passed)).Rows()
	if err != nil {
		return nil, fmt.Errorf("write grades: %w", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID][]float64, len(grades))
	for rows.Next() {
		var id uuid.UUID
		var percent float64
		if err := rows.Scan(&id, &percent); err != nil {
			return nil, fmt.Errorf("read quiz grades: %w", err)
		}
		out[id] = append(out[id], percent)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("write grades: %w", err)
	}
	return out, nil
}
