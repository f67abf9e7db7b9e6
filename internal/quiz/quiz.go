package quiz

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// Grading methods: which of a learner's attempts counts.
const (
	GradeHighest = "highest"
	GradeLast    = "last"
	GradeAverage = "average"
)

// When a learner sees something of their attempt.
const (
	ReviewImmediately = "immediately" // once the attempt is graded
	ReviewAfterClose  = "after_close" // once the class's window has closed
	ReviewNever       = "never"
)

// Review says when learners see their score, the right answers and the feedback.
type Review struct {
	Score    string `json:"score"`
	Answers  string `json:"answers"`
	Feedback string `json:"feedback"`
}

// SectionQuestion is a fixed question of a section; Points overrides the
// question's own.
type SectionQuestion struct {
	QuestionID uuid.UUID `json:"question_id"`
	Points     *float64  `json:"points,omitempty"`
}

// Draw picks Count questions at random from a bank's category and/or tag,
// per attempt.
type Draw struct {
	BankID     uuid.UUID  `json:"bank_id"`
	CategoryID *uuid.UUID `json:"category_id,omitempty"`
	Tag        string     `json:"tag,omitempty"`
	Count      int        `json:"count"`
	Points     *float64   `json:"points,omitempty"`
}

// Section is a part of a quiz: fixed questions or a random draw.
type Section struct {
	Title     string            `json:"title,omitempty"`
	Questions []SectionQuestion `json:"questions,omitempty"`
	Draw      *Draw             `json:"draw,omitempty"`
}

// Test kinds of a quiz.
const (
	TestNone = "none"
	TestPre  = "pre_test"
	TestPost = "post_test"
)

// Quiz is the settings of a course item of kind quiz.
type Quiz struct {
	ItemID           uuid.UUID // the quiz's id
	VersionID        uuid.UUID
	Sections         []Section
	ShuffleQuestions bool
	ShuffleOptions   bool
	TimeLimitSeconds *int
	AttemptsAllowed  int // 0: unlimited
	GradingMethod    string
	PassMark         float64 // percent of the maximum
	Review           Review
	TestKind         string
	CreatedBy        uuid.UUID
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// QuizInput sets a quiz's settings; nil fields take their defaults on
// create and stay as they are on change.
type QuizInput struct {
	Sections         *[]Section
	ShuffleQuestions *bool
	ShuffleOptions   *bool
	TimeLimitSeconds **int
	AttemptsAllowed  *int
	GradingMethod    *string
	PassMark         *float64
	Review           *Review
	TestKind         *string
}

func (in QuizInput) apply(q *Quiz) error {
	if in.Sections != nil {
		q.Sections = *in.Sections
	}
	if in.ShuffleQuestions != nil {
		q.ShuffleQuestions = *in.ShuffleQuestions
	}
	if in.ShuffleOptions != nil {
		q.ShuffleOptions = *in.ShuffleOptions
	}
	if in.TimeLimitSeconds != nil {
		q.TimeLimitSeconds = *in.TimeLimitSeconds
	}
	if in.AttemptsAllowed != nil {
		q.AttemptsAllowed = *in.AttemptsAllowed
	}
	if in.GradingMethod != nil {
		q.GradingMethod = *in.GradingMethod
	}
	if in.PassMark != nil {
		q.PassMark = *in.PassMark
	}
	if in.Review != nil {
		q.Review = *in.Review
	}
	if in.TestKind != nil {
		q.TestKind = *in.TestKind
	}
	var v apperr.Validation
	v.Check(len(q.Sections) <= 50, "sections", "paling banyak 50 bagian", "at most 50 sections")
	total := 0
	for i, s := range q.Sections {
		f := fmt.Sprintf("sections[%d]", i)
		v.Check(len(s.Title) <= 200, f+".title", "terlalu panjang", "is too long")
		v.Check((len(s.Questions) > 0) != (s.Draw != nil), f, "berisi soal tetap atau pengambilan acak, tidak keduanya", "holds fixed questions or a random draw, not both")
		total += len(s.Questions)
		for j, sq := range s.Questions {
			v.Check(sq.QuestionID != uuid.Nil, fmt.Sprintf("%s.questions[%d].question_id", f, j), "wajib diisi", "is required")
			checkPoints(&v, fmt.Sprintf("%s.questions[%d].points", f, j), sq.Points)
		}
		if d := s.Draw; d != nil {
			v.Check(d.BankID != uuid.Nil, f+".draw.bank_id", "wajib diisi", "is required")
			v.Check(d.Count >= 1 && d.Count <= 200, f+".draw.count", "harus 1 sampai 200", "must be 1 to 200")
			v.Check(d.CategoryID != nil || d.Tag != "", f+".draw", "perlu category_id atau tag", "needs a category_id or a tag")
			checkPoints(&v, f+".draw.points", d.Points)
			total += d.Count
		}
	}
	v.Check(total <= 500, "sections", "paling banyak 500 soal", "at most 500 questions")
	v.Check(q.TimeLimitSeconds == nil || *q.TimeLimitSeconds >= 60 && *q.TimeLimitSeconds <= 7*24*3600,
		"time_limit_seconds", "harus 60 detik sampai 7 hari", "must be 60 seconds to 7 days")
	v.Check(q.AttemptsAllowed >= 0 && q.AttemptsAllowed <= 100, "attempts_allowed", "harus 0 (tanpa batas) sampai 100", "must be 0 (unlimited) to 100")
	v.Check(q.GradingMethod == GradeHighest || q.GradingMethod == GradeLast || q.GradingMethod == GradeAverage,
		"grading_method", "harus highest, last atau average", "must be highest, last or average")
	v.Check(finite(q.PassMark) && q.PassMark >= 0 && q.PassMark <= 100, "pass_mark", "harus 0 sampai 100", "must be 0 to 100")
	for field, r := range map[string]string{"review.score": q.Review.Score, "review.answers": q.Review.Answers, "review.feedback": q.Review.Feedback} {
		v.Check(r == ReviewImmediately || r == ReviewAfterClose || r == ReviewNever, field,
			"harus immediately, after_close atau never", "must be immediately, after_close or never")
	}
	v.Check(q.TestKind == TestNone || q.TestKind == TestPre || q.TestKind == TestPost, "test_kind",
		"harus none, pre_test atau post_test", "must be none, pre_test or post_test")
	return v.Err()
}

func checkPoints(v *apperr.Validation, field string, p *float64) {
	v.Check(p == nil || finite(*p) && *p >= 0 && *p <= 1000, field, "harus 0 sampai 1000", "must be 0 to 1000")
}

// quizScope is a quiz's course item as the caller meets it.
type quizScope struct {
	actor *authz.Actor
	item  CourseItem
	path  string
}

func (s *Service) quizScope(ctx context.Context, itemID uuid.UUID) (quizScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return quizScope{}, err
	}
	it, err := s.courses.CourseItem(ctx, itemID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return quizScope{}, ErrQuizNotFound
	}
	if err != nil {
		return quizScope{}, err
	}
	path, err := s.orgs.OrgPath(ctx, it.OrgID)
	if err != nil {
		return quizScope{}, fmt.Errorf("resolve course organisation: %w", err)
	}
	return quizScope{actor: actor, item: it, path: path}, nil
}

func (sc quizScope) change(action string, before, after any) audit.Change {
	return audit.Change{Action: action, EntityType: "quiz", EntityID: sc.item.ItemID.String(),
		OrgID: sc.item.OrgID, OrgPath: sc.path, Before: before, After: after}
}

// SetQuiz creates or changes the settings of a quiz item of a draft course
// version. Every question it names must come from a bank the caller uses.
func (s *Service) SetQuiz(ctx context.Context, itemID uuid.UUID, in QuizInput) (Quiz, bool, error) {
	sc, err := s.quizScope(ctx, itemID)
	if err != nil {
		return Quiz{}, false, err
	}
	if err := authz.Decide(sc.actor.Can(authz.CourseRead, sc.path), sc.actor.Can(authz.CourseAuthor, sc.path), ErrQuizNotFound); err != nil {
		return Quiz{}, false, err
	}
	if !sc.item.IsQuiz {
		return Quiz{}, false, apperr.New(apperr.KindConflict, "quiz.not_a_quiz_item",
			"Materi ini bukan kuis.", "This course item is not a quiz.")
	}
	if !sc.item.Editable {
		return Quiz{}, false, ErrVersionFrozen
	}
	var out Quiz
	created := false
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.store.quiz(ctx, itemID, true)
		exists := err == nil
		if err != nil && apperr.KindOf(err) != apperr.KindNotFound {
			return err
		}
		now := s.now()
		after := before
		if !exists {
			after = Quiz{ItemID: itemID, VersionID: sc.item.VersionID, ShuffleOptions: true, AttemptsAllowed: 1,
				GradingMethod: GradeHighest, Review: Review{Score: ReviewImmediately, Answers: ReviewAfterClose, Feedback: ReviewAfterClose},
				TestKind: TestNone, CreatedBy: sc.actor.UserID, CreatedAt: now, Sections: []Section{}}
		}
		after.UpdatedAt = now
		if err := in.apply(&after); err != nil {
			return err
		}
		if err := s.checkSections(ctx, after.Sections); err != nil {
			return err
		}
		if err := s.store.saveQuiz(ctx, after, exists); err != nil {
			return err
		}
		out, created = after, !exists
		var b any
		if exists {
			b = before
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("quiz.set", b, after))
	})
	return out, created, err
}

// checkSections checks that the caller may use every bank a quiz draws from.
func (s *Service) checkSections(ctx context.Context, sections []Section) error {
	banks := map[uuid.UUID]string{}
	var ids []uuid.UUID
	for i, sec := range sections {
		for _, sq := range sec.Questions {
			ids = append(ids, sq.QuestionID)
		}
		if sec.Draw != nil {
			banks[sec.Draw.BankID] = fmt.Sprintf("sections[%d].draw.bank_id", i)
			if sec.Draw.CategoryID != nil {
				if _, err := s.store.category(ctx, sec.Draw.BankID, *sec.Draw.CategoryID); err != nil {
					return apperr.Invalid(fmt.Sprintf("sections[%d].draw.category_id", i), "kategori tidak ditemukan di bank ini", "no such category in this bank")
				}
			}
		}
	}
	qs, err := s.store.questionsByID(ctx, ids)
	if err != nil {
		return err
	}
	for i, sec := range sections {
		for j, sq := range sec.Questions {
			q, ok := qs[sq.QuestionID]
			if !ok {
				return apperr.Invalid(fmt.Sprintf("sections[%d].questions[%d].question_id", i, j), "soal tidak ditemukan", "question not found")
			}
			if _, seen := banks[q.BankID]; !seen {
				banks[q.BankID] = fmt.Sprintf("sections[%d].questions[%d].question_id", i, j)
			}
		}
	}
	for bankID, field := range banks {
		sc, err := s.bankScope(ctx, bankID)
		if apperr.KindOf(err) == apperr.KindNotFound || err == nil && !sc.uses() {
			return apperr.Invalid(field, "bank soal tidak ditemukan", "question bank not found")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GetQuiz returns a quiz's settings to the course's staff.
func (s *Service) GetQuiz(ctx context.Context, itemID uuid.UUID) (Quiz, error) {
	sc, err := s.quizScope(ctx, itemID)
	if err != nil {
		return Quiz{}, err
	}
	if !sc.actor.Can(authz.CourseRead, sc.path) {
		return Quiz{}, ErrQuizNotFound
	}
	return s.store.quiz(ctx, itemID, false)
}

// ClassSettings is what a class decides about one quiz.
type ClassSettings struct {
	ClassID          uuid.UUID
	QuizID           uuid.UUID
	OpensAt          *time.Time
	ClosesAt         *time.Time
	TimeLimitSeconds *int
}

// classForQuiz checks the class runs the quiz's version and returns the caller's access.
func (s *Service) classForQuiz(ctx context.Context, classID uuid.UUID, q Quiz) (ClassAccess, error) {
	ca, err := s.classes.ClassAccess(ctx, classID)
	if err != nil {
		return ClassAccess{}, err
	}
	if ca.VersionID != q.VersionID {
		return ClassAccess{}, ErrQuizNotFound
	}
	return ca, nil
}

// SetClassSettings sets a class's window and time limit for a quiz; the
// class's staff do.
func (s *Service) SetClassSettings(ctx context.Context, in ClassSettings) (ClassSettings, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return ClassSettings{}, err
	}
	var v apperr.Validation
	v.Check(in.OpensAt == nil || in.ClosesAt == nil || in.OpensAt.Before(*in.ClosesAt), "closes_at", "harus setelah opens_at", "must be after opens_at")
	v.Check(in.TimeLimitSeconds == nil || *in.TimeLimitSeconds >= 60 && *in.TimeLimitSeconds <= 7*24*3600,
		"time_limit_seconds", "harus 60 detik sampai 7 hari", "must be 60 seconds to 7 days")
	if err := v.Err(); err != nil {
		return ClassSettings{}, err
	}
	q, err := s.store.quiz(ctx, in.QuizID, false)
	if err != nil {
		return ClassSettings{}, err
	}
	ca, err := s.classForQuiz(ctx, in.ClassID, q)
	if err != nil {
		return ClassSettings{}, err
	}
	if err := authz.Decide(true, ca.Staff, ErrQuizNotFound); err != nil {
		return ClassSettings{}, err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.saveClassSettings(ctx, in, actor.UserID, s.now()); err != nil {
			return err
		}
		return s.recordClass(ctx, ca, "quiz.class_settings", in)
	})
	return in, err
}

// SetExtraAttempts grants a learner of a class extra attempts at a quiz
// (0 takes the grant back); the class's staff do.
func (s *Service) SetExtraAttempts(ctx context.Context, classID, quizID, userID uuid.UUID, extra int) error {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	if extra < 0 || extra > 100 {
		return apperr.Invalid("extra", "harus 0 sampai 100", "must be 0 to 100")
	}
	q, err := s.store.quiz(ctx, quizID, false)
	if err != nil {
		return err
	}
	ca, err := s.classForQuiz(ctx, classID, q)
	if err != nil {
		return err
	}
	if err := authz.Decide(true, ca.Staff, ErrQuizNotFound); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.setExtraAttempts(ctx, classID, quizID, userID, extra, actor.UserID, s.now()); err != nil {
			return err
		}
		return s.recordClass(ctx, ca, "quiz.extra_attempts", map[string]any{"quiz_id": quizID, "user_id": userID, "extra": extra})
	})
}

func (s *Service) recordClass(ctx context.Context, ca ClassAccess, action string, after any) error {
	path, err := s.orgs.OrgPath(ctx, ca.OrgID)
	if err != nil {
		return err
	}
	return s.audit.Record(ctx, authz.ClassTeach, audit.Change{Action: action, EntityType: "class", EntityID: ca.ClassID.String(),
		OrgID: ca.OrgID, OrgPath: path, After: after})
}

// CopyItems copies the quizzes of a published version's items to the new
// draft that copied its curriculum (newIDs: each item's new id by its old
// one). The course service calls it in the draft's transaction, having
// authorized the caller.
func (s *Service) CopyItems(ctx context.Context, versionID uuid.UUID, newIDs map[uuid.UUID]uuid.UUID) error {
	return s.store.copyQuizzes(ctx, versionID, newIDs, s.now())
}
