package quiz

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

type attemptRow struct {
	ID               uuid.UUID
	QuizID           uuid.UUID
	ClassID          uuid.UUID
	UserID           uuid.UUID
	Number           int
	State            string
	StartedAt        time.Time
	Deadline         *time.Time
	FinishedAt       *time.Time
	Score            *float64
	MaxScore         float64
	Passed           *bool
	GradedAt         *time.Time
	GradeRequestedAt *time.Time
}

func (attemptRow) TableName() string { return "quiz_attempts" }

func (r attemptRow) toAttempt() Attempt {
	return Attempt{ID: r.ID, QuizID: r.QuizID, ClassID: r.ClassID, UserID: r.UserID, Number: r.Number, State: r.State,
		StartedAt: r.StartedAt, Deadline: r.Deadline, FinishedAt: r.FinishedAt, Score: r.Score, MaxScore: r.MaxScore,
		Passed: r.Passed, GradedAt: r.GradedAt}
}

type slotRow struct {
	AttemptID         uuid.UUID
	Slot              int
	QuestionVersionID uuid.UUID
	Type              string
	Points            float64
	OptionOrder       database.TextArray
	Response          []byte `gorm:"type:jsonb"`
	Seq               int64
	SavedAt           *time.Time
	Score             *float64
	GradedBy          *uuid.UUID
	GradedAt          *time.Time
	Comment           string
	KeyRevision       int `gorm:"->"` // read with a join of the slot's version, never written
}

func (slotRow) TableName() string { return "quiz_attempt_slots" }

func (r slotRow) toSlot() Slot {
	return Slot{Slot: r.Slot, QuestionVersionID: r.QuestionVersionID, Type: Type(r.Type), Points: r.Points,
		OptionOrder: nonNil(r.OptionOrder), Response: json.RawMessage(r.Response), Seq: r.Seq, SavedAt: r.SavedAt,
		Score: r.Score, Comment: r.Comment}
}

func (s store) attempt(ctx context.Context, id uuid.UUID, forUpdate bool) (Attempt, error) {
	var r attemptRow
	q := s.db.Conn(ctx).Where("id = ?", id)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrAttemptNotFound, "get attempt %s", id); err != nil {
		return Attempt{}, err
	}
	return r.toAttempt(), nil
}

// openAttempt returns the learner's attempt in progress, or nil.
func (s store) openAttempt(ctx context.Context, quizID, classID, userID uuid.UUID) (*Attempt, error) {
	var rows []attemptRow
	err := s.db.Conn(ctx).Where("quiz_id = ? AND class_id = ? AND user_id = ? AND state = 'in_progress'", quizID, classID, userID).
		Order("number DESC").Limit(1).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find open attempt: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	a := rows[0].toAttempt()
	slots, err := s.slots(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	vs := make([]uuid.UUID, len(slots))
	for i, sl := range slots {
		vs[i] = sl.QuestionVersionID
	}
	contents, err := s.versions(ctx, vs)
	if err != nil {
		return nil, err
	}
	for i := range slots {
		slots[i].Content = contents[slots[i].QuestionVersionID]
	}
	a.Slots = slots
	return &a, nil
}

// createAttempt writes an attempt in progress with its slots in one
// statement, numbered after the learner's attempts so far, unless allowed
// (when not 0) of them are used: then ErrNoAttemptsLeft and nothing is
// written. Two starts at once take the same number; the unique key refuses
// the second with ErrAttemptOpen.
func (s store) createAttempt(ctx context.Context, a Attempt, allowed int) (int, error) {
	n := len(a.Slots)
	nums, versions, types, points, orders := make([]int, n), make([]uuid.UUID, n), make([]string, n), make([]float64, n), make([]string, n)
	for i, sl := range a.Slots {
		order, err := json.Marshal(nonNil(sl.OptionOrder))
		if err != nil {
			return 0, err
		}
		nums[i], versions[i], types[i], points[i], orders[i] = sl.Slot, sl.QuestionVersionID, string(sl.Type), sl.Points, string(order)
	}
	var numbers []int
	err := s.db.Conn(ctx).Raw(`WITH used AS (
			SELECT count(*) AS n FROM quiz_attempts WHERE quiz_id = @quiz AND class_id = @class AND user_id = @user),
		attempt AS (
			INSERT INTO quiz_attempts (id, quiz_id, class_id, user_id, number, state, started_at, deadline, max_score)
			SELECT @id, @quiz, @class, @user, used.n + 1, @state, @started, @deadline, @max FROM used
			WHERE CAST(@allowed AS int) = 0 OR used.n < CAST(@allowed AS int)
			RETURNING number),
		slots AS (
			INSERT INTO quiz_attempt_slots (attempt_id, slot, question_version_id, type, points, option_order)
			SELECT @id, v.slot, v.version_id, v.type, v.points, ARRAY(SELECT jsonb_array_elements_text(v.option_order::jsonb))
			FROM attempt, unnest(CAST(@nums AS int[]), CAST(@versions AS uuid[]), CAST(@types AS text[]), CAST(@points AS numeric[]), CAST(@orders AS text[]))
				AS v(slot, version_id, type, points, option_order))
		SELECT number FROM attempt`,
		sql.Named("id", a.ID), sql.Named("quiz", a.QuizID), sql.Named("class", a.ClassID), sql.Named("user", a.UserID),
		sql.Named("state", a.State), sql.Named("started", a.StartedAt), sql.Named("deadline", a.Deadline),
		sql.Named("max", a.MaxScore), sql.Named("allowed", allowed), sql.Named("nums", database.Array[int](nums)),
		sql.Named("versions", database.Array[uuid.UUID](versions)), sql.Named("types", database.Array[string](types)),
		sql.Named("points", database.Array[float64](points)), sql.Named("orders", database.Array[string](orders))).
		Scan(&numbers).Error
	if err != nil {
		if _, ok := database.UniqueViolation(err); ok {
			return 0, ErrAttemptOpen
		}
		return 0, fmt.Errorf("create attempt: %w", err)
	}
	if len(numbers) == 0 {
		return 0, ErrNoAttemptsLeft
	}
	return numbers[0], nil
}

// attemptSlotsSQL reads an attempt's slots with the key revision of each
// one's question version, by slot.
//
// The slots are read in a subquery that OFFSET 0 keeps from being flattened
// into the join, so the plan looks them up by the attempt's key whatever the
// statistics say (see gradingSlots). Flattened, with the statistics of the
// exam's first minutes, it was planned as a bitmap AND for each question
// version over the index of all the slots that show it: 0.5–0.8 s a read in
// a 20,000-learner exam, enough to stall the database.
const attemptSlotsSQL = `SELECT s.*, v.key_revision
		FROM (SELECT * FROM quiz_attempt_slots WHERE attempt_id = ? OFFSET 0) s
		JOIN question_versions v ON v.id = s.question_version_id
		ORDER BY s.slot`

func (s store) slots(ctx context.Context, attemptID uuid.UUID) ([]Slot, error) {
	var rows []slotRow
	err := s.db.Conn(ctx).Raw(attemptSlotsSQL, attemptID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read attempt slots: %w", err)
	}
	out := make([]Slot, len(rows))
	for i, r := range rows {
		out[i] = r.toSlot()
		out[i].KeyRevision = r.KeyRevision
	}
	return out, nil
}

// versions reads question versions' contents by id.
func (s store) versions(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Content, error) {
	out := map[uuid.UUID]Content{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []versionRow
	if err := s.db.Conn(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read question versions: %w", err)
	}
	for _, r := range rows {
		c, err := r.toContent()
		if err != nil {
			return nil, err
		}
		out[r.ID] = c
	}
	return out, nil
}

// slotState is what a save checks before it writes.
type slotState struct {
	UserID    uuid.UUID
	ClassID   uuid.UUID
	State     string
	Deadline  *time.Time
	VersionID uuid.UUID
	Seq       int64
	Missing   bool // the attempt exists, the slot does not
}

func (s store) slotState(ctx context.Context, attemptID uuid.UUID, slot int) (slotState, error) {
	var rows []struct {
		UserID    uuid.UUID
		ClassID   uuid.UUID
		State     string
		Deadline  *time.Time
		VersionID *uuid.UUID
		Seq       *int64
	}
	err := s.db.Conn(ctx).Raw(`SELECT a.user_id, a.class_id, a.state, a.deadline, s.question_version_id AS version_id, s.seq
		FROM quiz_attempts a LEFT JOIN quiz_attempt_slots s ON s.attempt_id = a.id AND s.slot = ?
		WHERE a.id = ?`, slot, attemptID).Scan(&rows).Error
	if err != nil {
		return slotState{}, fmt.Errorf("read attempt slot: %w", err)
	}
	if len(rows) == 0 {
		return slotState{}, ErrAttemptNotFound
	}
	r := rows[0]
	st := slotState{UserID: r.UserID, ClassID: r.ClassID, State: r.State, Deadline: r.Deadline, Missing: r.VersionID == nil}
	if r.VersionID != nil {
		st.VersionID, st.Seq = *r.VersionID, *r.Seq
	}
	return st, nil
}

// slotVersions returns the question version of each slot of an attempt, by slot.
func (s store) slotVersions(ctx context.Context, attemptID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.db.Conn(ctx).Model(&slotRow{}).Where("attempt_id = ?", attemptID).Order("slot").Pluck("question_version_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("read attempt layout: %w", err)
	}
	return ids, nil
}

// answerSave is one save of an answer to a slot, as a batch carries it.
type answerSave struct {
	attemptID uuid.UUID
	slot      int
	seq       int64
	response  []byte
}

// saveAnswers writes each save whose seq is newer than the slot's stored one
// while its attempt is in progress and within its deadline and grace, in one
// statement, and reports which were written. Of several saves to one slot
// only the newest is tried: the others are reported unwritten, as they
// would have been one after the other.
func (s store) saveAnswers(ctx context.Context, saves []answerSave, grace time.Duration) ([]bool, error) {
	// In (attempt, slot) order, so that two batches lock the rows they share
	// in the same order; on a deadlock nonetheless the statement, which
	// changed nothing, runs again.
	order := make([]int, len(saves))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := saves[i], saves[j]
		if c := bytes.Compare(a.attemptID[:], b.attemptID[:]); c != 0 {
			return c
		}
		if a.slot != b.slot {
			return a.slot - b.slot
		}
		return cmp.Compare(b.seq, a.seq) // the newest first
	})
	var (
		attempts database.UUIDArray
		slots    database.Array[int32]
		seqs     database.Array[int64]
		answers  database.Array[string]
		tried    database.Array[int32] // index into saves
	)
	for k, i := range order {
		sv := saves[i]
		if k > 0 {
			if prev := saves[order[k-1]]; prev.attemptID == sv.attemptID && prev.slot == sv.slot {
				continue // an older (or the same) seq to a slot already tried
			}
		}
		attempts, slots, seqs = append(attempts, sv.attemptID), append(slots, int32(sv.slot)), append(seqs, sv.seq)
		answers, tried = append(answers, string(sv.response)), append(tried, int32(i))
	}
	var written []int32
	err := database.RetryDeadlocks(func() error {
		written = written[:0]
		return s.db.Conn(ctx).Raw(`UPDATE quiz_attempt_slots s SET response = v.response::jsonb, seq = v.seq, saved_at = now()
			FROM unnest(?::uuid[], ?::int[], ?::bigint[], ?::text[], ?::int[]) AS v(attempt_id, slot, seq, response, i)
			JOIN quiz_attempts a ON a.id = v.attempt_id
			WHERE s.attempt_id = v.attempt_id AND s.slot = v.slot AND s.seq < v.seq AND a.state = 'in_progress'
			  AND (a.deadline IS NULL OR now() <= a.deadline + ? * interval '1 millisecond')
			RETURNING v.i`, attempts, slots, seqs, answers, tried, grace.Milliseconds()).Scan(&written).Error
	})
	if err != nil {
		return nil, fmt.Errorf("save %d answers: %w", len(tried), err)
	}
	saved := make([]bool, len(saves))
	for _, i := range written {
		saved[i] = true
	}
	return saved, nil
}

// finishAttempt moves an attempt in progress to submitted, finished at now
// or at its deadline when that came first (always, when overdue; then only
// if the deadline and grace have passed). It reports whether it did.
func (s store) finishAttempt(ctx context.Context, id uuid.UUID, now time.Time, overdue bool, grace time.Duration) (bool, error) {
	q := `UPDATE quiz_attempts SET state = 'submitted', grade_requested_at = ?,
		finished_at = CASE WHEN deadline IS NOT NULL AND (deadline < ? OR ?) THEN deadline ELSE ? END
		WHERE id = ? AND state = 'in_progress'`
	args := []any{now, now, overdue, now, id}
	if overdue {
		q += " AND deadline IS NOT NULL AND deadline + ? * interval '1 millisecond' < ?"
		args = append(args, grace.Milliseconds(), now)
	}
	res := s.db.Conn(ctx).Exec(q, args...)
	if res.Error != nil {
		return false, fmt.Errorf("finish attempt: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) overdueAttempts(ctx context.Context, before time.Time, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.db.Conn(ctx).Model(&attemptRow{}).Where("state = 'in_progress' AND deadline < ?", before).
		Order("deadline").Limit(limit).Pluck("id", &ids).Error
	return ids, err
}

func (s store) staleSubmitted(ctx context.Context, before time.Time, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.db.Conn(ctx).Model(&attemptRow{}).Where("state = 'submitted' AND grade_requested_at < ?", before).
		Order("grade_requested_at").Limit(limit).Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
		Pluck("id", &ids).Error
	return ids, err
}

func (s store) markGradeRequested(ctx context.Context, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	return s.db.Conn(ctx).Model(&attemptRow{}).Where("id IN ?", ids).Update("grade_requested_at", time.Now().UTC()).Error
}

// --- grading ---

// setSlotScores writes auto-graded scores of an attempt's slots in one statement.
func (s store) setSlotScores(ctx context.Context, attemptID uuid.UUID, slots []int, scores []float64) error {
	if len(slots) == 0 {
		return nil
	}
	err := s.db.Conn(ctx).Exec(`UPDATE quiz_attempt_slots s SET score = v.score, graded_at = now()
		FROM unnest(?::int[], ?::numeric[]) AS v(slot, score)
		WHERE s.attempt_id = ? AND s.slot = v.slot`, database.Array[int](slots), database.Array[float64](scores), attemptID).Error
	if err != nil {
		return fmt.Errorf("write slot scores: %w", err)
	}
	return nil
}

func (s store) setManualScore(ctx context.Context, attemptID uuid.UUID, slot int, score float64, comment string, by uuid.UUID) error {
	return s.db.Conn(ctx).Exec(`UPDATE quiz_attempt_slots SET score = ?, comment = ?, graded_by = ?, graded_at = now()
		WHERE attempt_id = ? AND slot = ?`, score, comment, by, attemptID, slot).Error
}

// setGrade writes an attempt's grade and, when given, the scores of its
// slots nums, in one statement. When the attempt becomes graded it returns,
// from that same statement, the percents of the learner's graded attempts of
// the quiz in the class in attempt order, this one included: what the quiz
// grade is made of, without another round trip.
func (s store) setGrade(ctx context.Context, a Attempt, state string, score float64, passed *bool, at time.Time, nums []int, scores []float64) ([]float64, error) {
	var gradedAt *time.Time
	if state == StateGraded {
		gradedAt = &at
	}
	// The outer SELECT sees the other attempts as the statement began and
	// this one through RETURNING, since a data-modifying CTE's change is not
	// visible to the rest of its statement.
	var percents []float64
	err := s.db.Conn(ctx).Raw(`WITH slots AS (
			UPDATE quiz_attempt_slots s SET score = v.score, graded_at = now()
			FROM unnest(?::int[], ?::numeric[]) AS v(slot, score)
			WHERE s.attempt_id = ? AND s.slot = v.slot),
		this AS (
			UPDATE quiz_attempts SET state = ?, score = ?, passed = ?, graded_at = COALESCE(?, graded_at) WHERE id = ?
			RETURNING number, state, score, max_score),
		graded AS (
			SELECT number, score, max_score FROM quiz_attempts
			WHERE quiz_id = ? AND class_id = ? AND user_id = ? AND state = 'graded' AND id <> ?
			UNION ALL SELECT number, score, max_score FROM this)
		SELECT CASE WHEN g.max_score > 0 THEN g.score / g.max_score * 100 ELSE 100 END
		FROM graded g, this t WHERE t.state = 'graded' ORDER BY g.number`,
		database.Array[int](nonNil(nums)), database.Array[float64](nonNil(scores)), a.ID, state, score, passed, gradedAt, a.ID,
		a.QuizID, a.ClassID, a.UserID, a.ID).
		Scan(&percents).Error
	if err != nil {
		return nil, fmt.Errorf("write grade: %w", err)
	}
	return percents, nil
}

// attemptForGradingSQL reads an attempt with its slots (looked up by the
// attempt's key, as in attemptSlotsSQL) and locks the attempt's row.
const attemptForGradingSQL = `SELECT a.id, a.quiz_id, a.class_id, a.user_id, a.number, a.state, a.max_score, s.slot, s.question_version_id, s.type, s.points, s.response, s.score AS slot_score, v.key_revision
		FROM quiz_attempts a CROSS JOIN LATERAL (SELECT * FROM quiz_attempt_slots WHERE attempt_id = a.id OFFSET 0) s
			JOIN question_versions v ON v.id = s.question_version_id
			CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
		WHERE a.id = ? ORDER BY s.slot FOR UPDATE OF a`

// attemptForGrading reads an attempt with its slots in one statement,
// locking the attempt's row until the transaction ends. The same statement
// lets the transaction commit without waiting for its WAL to reach the disk
// (set_config ... true is SET LOCAL): a grade lost in a crash is made again,
// and a statement of its own would be one more round trip per attempt.
func (s store) attemptForGrading(ctx context.Context, id uuid.UUID) (Attempt, []Slot, error) {
	var rows []struct {
		ID                uuid.UUID
		QuizID            uuid.UUID
		ClassID           uuid.UUID
		UserID            uuid.UUID
		Number            int
		State             string
		MaxScore          float64
		Slot              int
		QuestionVersionID uuid.UUID
		Type              string
		Points            float64
		Response          []byte
		SlotScore         *float64
		KeyRevision       int
	}
	err := s.db.Conn(ctx).Raw(attemptForGradingSQL, id).Scan(&rows).Error
	if err != nil {
		return Attempt{}, nil, fmt.Errorf("read attempt for grading: %w", err)
	}
	if len(rows) == 0 {
		return Attempt{}, nil, ErrAttemptNotFound
	}
	slots := make([]Slot, len(rows))
	for i, r := range rows {
		slots[i] = Slot{Slot: r.Slot, QuestionVersionID: r.QuestionVersionID, Type: Type(r.Type), Points: r.Points,
			Response: r.Response, Score: r.SlotScore, KeyRevision: r.KeyRevision}
	}
	r := rows[0]
	return Attempt{ID: r.ID, QuizID: r.QuizID, ClassID: r.ClassID, UserID: r.UserID, Number: r.Number, State: r.State,
		MaxScore: r.MaxScore}, slots, nil
}

func (s store) listAttempts(ctx context.Context, classID, quizID uuid.UUID, f AttemptFilter, req page.Request) ([]Attempt, error) {
	q := s.db.Conn(ctx).Model(&attemptRow{}).Where("class_id = ? AND quiz_id = ?", classID, quizID)
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.UserID != uuid.Nil {
		q = q.Where("user_id = ?", f.UserID)
	}
	q, err := database.Keyset(q, "", database.KeyNone, "id", page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []attemptRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	out := make([]Attempt, len(rows))
	for i, r := range rows {
		out[i] = r.toAttempt()
	}
	return out, nil
}

func (s store) pendingEssays(ctx context.Context, classID, quizID, questionID uuid.UUID, req page.Request) ([]PendingEssay, error) {
	q := s.db.Conn(ctx).Table("quiz_attempt_slots AS s").
		Select("s.attempt_id, a.user_id, s.slot, v.question_id, s.points, s.response").
		Joins("JOIN quiz_attempts a ON a.id = s.attempt_id").
		Joins("JOIN question_versions v ON v.id = s.question_version_id").
		Where("a.class_id = ? AND a.quiz_id = ? AND a.state = 'needs_grading' AND s.type = 'essay' AND s.score IS NULL", classID, quizID)
	if questionID != uuid.Nil {
		q = q.Where("v.question_id = ?", questionID)
	}
	q, err := database.Keyset(q, "lpad(s.slot::text, 6, '0')", database.KeyText, "s.attempt_id", page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []struct {
		AttemptID  uuid.UUID
		UserID     uuid.UUID
		Slot       int
		QuestionID uuid.UUID
		Points     float64
		Response   []byte
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list pending essays: %w", err)
	}
	out := make([]PendingEssay, len(rows))
	for i, r := range rows {
		out[i] = PendingEssay{AttemptID: r.AttemptID, UserID: r.UserID, Slot: r.Slot, QuestionID: r.QuestionID, Points: r.Points, Response: r.Response}
	}
	return out, nil
}

// regradeAttempts lists the finished attempts of a quiz (those that showed
// one of questionIDs, when given) by id.
func (s store) regradeAttempts(ctx context.Context, quizID uuid.UUID, questionIDs []uuid.UUID) ([]uuid.UUID, error) {
	q := `SELECT a.id FROM quiz_attempts a WHERE a.quiz_id = ? AND a.state IN ('graded', 'needs_grading')`
	args := []any{quizID}
	if len(questionIDs) > 0 {
		q += ` AND EXISTS (SELECT 1 FROM quiz_attempt_slots s JOIN question_versions v ON v.id = s.question_version_id
			WHERE s.attempt_id = a.id AND v.question_id = ANY(?::uuid[]))`
		args = append(args, database.Array[uuid.UUID](questionIDs))
	}
	var ids []uuid.UUID
	if err := s.db.Conn(ctx).Raw(q+` ORDER BY a.id`, args...).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("list attempts to regrade: %w", err)
	}
	return ids, nil
}
