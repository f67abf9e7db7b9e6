package quiz

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
)

type quizRow struct {
	ItemID           uuid.UUID `gorm:"primaryKey"`
	VersionID        uuid.UUID
	Sections         []byte `gorm:"type:jsonb"`
	ShuffleQuestions bool
	ShuffleOptions   bool
	TimeLimitSeconds *int
	AttemptsAllowed  int
	GradingMethod    string
	PassMark         float64
	Review           []byte `gorm:"type:jsonb"`
	TestKind         string
	CreatedBy        uuid.UUID
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (quizRow) TableName() string { return "quizzes" }

func (r quizRow) toQuiz() (Quiz, error) {
	q := Quiz{ItemID: r.ItemID, VersionID: r.VersionID, ShuffleQuestions: r.ShuffleQuestions, ShuffleOptions: r.ShuffleOptions,
		TimeLimitSeconds: r.TimeLimitSeconds, AttemptsAllowed: r.AttemptsAllowed, GradingMethod: r.GradingMethod,
		PassMark: r.PassMark, TestKind: r.TestKind, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal(r.Sections, &q.Sections); err != nil {
		return Quiz{}, fmt.Errorf("decode quiz sections: %w", err)
	}
	if err := json.Unmarshal(r.Review, &q.Review); err != nil {
		return Quiz{}, fmt.Errorf("decode quiz review: %w", err)
	}
	return q, nil
}

func (s store) quiz(ctx context.Context, itemID uuid.UUID, forUpdate bool) (Quiz, error) {
	var r quizRow
	q := s.db.Conn(ctx).Where("item_id = ?", itemID)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrQuizNotFound, "get quiz %s", itemID); err != nil {
		return Quiz{}, err
	}
	return r.toQuiz()
}

func (s store) saveQuiz(ctx context.Context, q Quiz, exists bool) error {
	sections, err := json.Marshal(q.Sections)
	if err != nil {
		return err
	}
	review, err := json.Marshal(q.Review)
	if err != nil {
		return err
	}
	r := quizRow{ItemID: q.ItemID, VersionID: q.VersionID, Sections: sections, ShuffleQuestions: q.ShuffleQuestions,
		ShuffleOptions: q.ShuffleOptions, TimeLimitSeconds: q.TimeLimitSeconds, AttemptsAllowed: q.AttemptsAllowed,
		GradingMethod: q.GradingMethod, PassMark: q.PassMark, Review: review, TestKind: q.TestKind,
		CreatedBy: q.CreatedBy, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
	if exists {
		err = s.db.Conn(ctx).Model(&quizRow{}).Where("item_id = ?", q.ItemID).Select("*").Omit("ItemID", "CreatedBy", "CreatedAt").Updates(&r).Error
	} else {
		err = s.db.Conn(ctx).Create(&r).Error
	}
	if err != nil {
		return fmt.Errorf("save quiz: %w", err)
	}
	return nil
}

type classSettingsRow struct {
	ClassID          uuid.UUID `gorm:"primaryKey"`
	QuizID           uuid.UUID `gorm:"primaryKey"`
	OpensAt          *time.Time
	ClosesAt         *time.Time
	TimeLimitSeconds *int
	UpdatedBy        uuid.UUID
	UpdatedAt        time.Time
}

func (classSettingsRow) TableName() string { return "quiz_class_settings" }

func (s store) saveClassSettings(ctx context.Context, cs ClassSettings, by uuid.UUID, at time.Time) error {
	r := classSettingsRow{ClassID: cs.ClassID, QuizID: cs.QuizID, OpensAt: cs.OpensAt, ClosesAt: cs.ClosesAt,
		TimeLimitSeconds: cs.TimeLimitSeconds, UpdatedBy: by, UpdatedAt: at}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "class_id"}, {Name: "quiz_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"opens_at", "closes_at", "time_limit_seconds", "updated_by", "updated_at"}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("save class quiz settings: %w", err)
	}
	return nil
}

// classSettings returns a class's settings of a quiz, zero when it has none.
func (s store) classSettings(ctx context.Context, classID, quizID uuid.UUID) (ClassSettings, error) {
	var rows []classSettingsRow
	if err := s.db.Conn(ctx).Where("class_id = ? AND quiz_id = ?", classID, quizID).Limit(1).Find(&rows).Error; err != nil {
		return ClassSettings{}, fmt.Errorf("read class quiz settings: %w", err)
	}
	cs := ClassSettings{ClassID: classID, QuizID: quizID}
	if len(rows) == 1 {
		cs.OpensAt, cs.ClosesAt, cs.TimeLimitSeconds = rows[0].OpensAt, rows[0].ClosesAt, rows[0].TimeLimitSeconds
	}
	return cs, nil
}

// startFacts reads what a start checks of a learner in one statement: the
// class's settings of the quiz (zero when none), the extra attempts granted
// and the id of an attempt in progress, if any.
func (s store) startFacts(ctx context.Context, classID, quizID, userID uuid.UUID) (ClassSettings, int, *uuid.UUID, error) {
	var rows []struct {
		OpensAt          *time.Time
		ClosesAt         *time.Time
		TimeLimitSeconds *int
		Extra            int
		OpenID           *uuid.UUID
	}
	err := s.db.Conn(ctx).Raw(`SELECT cs.opens_at, cs.closes_at, cs.time_limit_seconds,
			COALESCE((SELECT extra FROM quiz_extra_attempts WHERE class_id = @class AND quiz_id = @quiz AND user_id = @user), 0) AS extra,
			(SELECT id FROM quiz_attempts WHERE quiz_id = @quiz AND class_id = @class AND user_id = @user AND state = 'in_progress'
				ORDER BY number DESC LIMIT 1) AS open_id
		FROM (SELECT 1) AS one LEFT JOIN quiz_class_settings cs ON cs.class_id = @class AND cs.quiz_id = @quiz`,
		sql.Named("class", classID), sql.Named("quiz", quizID), sql.Named("user", userID)).Scan(&rows).Error
	if err != nil {
		return ClassSettings{}, 0, nil, fmt.Errorf("read start facts: %w", err)
	}
	cs := ClassSettings{ClassID: classID, QuizID: quizID}
	if len(rows) != 1 {
		return cs, 0, nil, nil
	}
	r := rows[0]
	cs.OpensAt, cs.ClosesAt, cs.TimeLimitSeconds = r.OpensAt, r.ClosesAt, r.TimeLimitSeconds
	return cs, r.Extra, r.OpenID, nil
}

func (s store) setExtraAttempts(ctx context.Context, classID, quizID, userID uuid.UUID, extra int, by uuid.UUID, at time.Time) error {
	conn := s.db.Conn(ctx)
	if extra == 0 {
		return conn.Exec("DELETE FROM quiz_extra_attempts WHERE class_id = ? AND quiz_id = ? AND user_id = ?", classID, quizID, userID).Error
	}
	return conn.Exec(`INSERT INTO quiz_extra_attempts (class_id, quiz_id, user_id, extra, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (class_id, quiz_id, user_id) DO UPDATE SET extra = excluded.extra, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		classID, quizID, userID, extra, by, at).Error
}

func (s store) copyQuizzes(ctx context.Context, versionID uuid.UUID, newIDs map[uuid.UUID]uuid.UUID, at time.Time) error {
	if len(newIDs) == 0 {
		return nil
	}
	olds, news := make(database.TextArray, 0, len(newIDs)), make(database.TextArray, 0, len(newIDs))
	for o, n := range newIDs {
		olds, news = append(olds, o.String()), append(news, n.String())
	}
	err := s.db.Conn(ctx).Exec(`INSERT INTO quizzes (item_id, version_id, sections, shuffle_questions, shuffle_options,
			time_limit_seconds, attempts_allowed, grading_method, pass_mark, review, test_kind, created_by, created_at, updated_at)
		SELECT m.new_id, ?, q.sections, q.shuffle_questions, q.shuffle_options, q.time_limit_seconds, q.attempts_allowed,
			q.grading_method, q.pass_mark, q.review, q.test_kind, q.created_by, ?, ?
		FROM quizzes q JOIN unnest(?::uuid[], ?::uuid[]) AS m(old_id, new_id) ON q.item_id = m.old_id`,
		versionID, at, at, olds, news).Error
	if err != nil {
		return fmt.Errorf("copy quizzes: %w", err)
	}
	return nil
}
