package quiz

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/coalesce"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/memo"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/platform/shed"
)

// OrgPaths resolves an organisation's path; the identity service provides it.
type OrgPaths interface {
	OrgPath(ctx context.Context, orgID uuid.UUID) (string, error)
}

// Auditor records changes; the audit service provides it.
type Auditor interface {
	Record(ctx context.Context, perm authz.Permission, c audit.Change) error
}

// CourseItem is where a content item lives; the course service provides it.
type CourseItem struct {
	ItemID, VersionID, CourseID, OrgID uuid.UUID
	IsQuiz                             bool // the item is of kind quiz
	Editable                           bool // its version is a draft that may change
}

// Courses finds course items; the course service provides it, without
// authorizing (the quiz service decides from the course's organisation).
type Courses interface {
	CourseItem(ctx context.Context, itemID uuid.UUID) (CourseItem, error)
}

// ClassAccess is a class as the caller meets it; the delivery service
// provides it.
type ClassAccess struct {
	ClassID, VersionID, OrgID uuid.UUID
	// Staff: the caller teaches or manages the class (sees every attempt,
	// grades by hand, sets the quiz window and extra attempts).
	Staff bool
	// Learner: the caller is enrolled (active or completed) and may take
	// the class's quizzes.
	Learner bool
}

// Classes answers for the caller in the context: a class they may not see is
// a NotFound error.
type Classes interface {
	ClassAccess(ctx context.Context, classID uuid.UUID) (ClassAccess, error)
}

// Deps are what the quiz service needs from the rest of Corpu.
type Deps struct {
	DB      *database.DB
	Outbox  *queue.Outbox
	Auditor Auditor
	Orgs    OrgPaths
	Courses Courses
	Classes Classes
	// Now is the server clock deadlines are read from; nil for the system clock.
	Now func() time.Time
	// SaveGrace is how long after its deadline an attempt still takes saves
	// (answers in flight when the time ran out); 0 for DefaultSaveGrace.
	SaveGrace time.Duration
	// MaxConcurrentStarts bounds the starts this process builds at once, so
	// that a burst of learners pressing "start" together queues briefly and
	// then gets 503 with Retry-After instead of waiting on the database
	// until their requests time out; 0 for DefaultMaxConcurrentStarts.
	MaxConcurrentStarts int
	// MaxConcurrentSubmits bounds the submits this process ends at once, so
	// that an exam's end, every learner submitting within a minute, cannot
	// take every place the server has and leave the saves of those still
	// writing waiting behind it; 0 for DefaultMaxConcurrentSubmits.
	MaxConcurrentSubmits int
}

// DefaultMaxConcurrentStarts is the bound on starts built at once per process.
const DefaultMaxConcurrentStarts = 16

// DefaultMaxConcurrentSubmits is the bound on submits ended at once per process.
const DefaultMaxConcurrentSubmits = 8

// startQueueWait is how long a start waits for its turn before it is turned
// away; submitQueueWait the same for a submit, shorter, as a submit waiting
// holds one of the server's places (http.max_in_flight) a save could use.
const (
	startQueueWait  = 2 * time.Second
	submitQueueWait = 50 * time.Millisecond
)

// DefaultSaveGrace is the grace after a deadline unless configured.
const DefaultSaveGrace = 15 * time.Second

// Service runs the use cases of question banks, quizzes, attempts and
// grading. Every method but the task handlers authorizes the caller from the
// context; a thing the caller may not see is reported as not found.
type Service struct {
	db      *database.DB
	store   store
	outbox  *queue.Outbox
	audit   Auditor
	orgs    OrgPaths
	courses Courses
	classes Classes
	now     func() time.Time
	grace   time.Duration
	starts  *shed.Gate // a place per start being built
	submits *shed.Gate // a place per submit being ended
	// saves writes the answers saved while one batch is being written as
	// the next batch, in one statement (see saveAnswers)
	saves   *coalesce.Batcher[answerSave, bool]
	jobs    Jobs
	files   ImportFiles   // uploads of question imports
	objects ImportObjects // their bytes
	// question media: the uploads they are and their download URLs
	mediaFiles ImportFiles
	mediaURLs  MediaURLs
	// What attempts read again and again and never changes once cached:
	// the quizzes of published versions, the question versions attempts
	// used, and the layouts of the attempts this process started or saved to.
	quizzes  *memo.Memo[uuid.UUID, Quiz]
	versions *memo.Memo[uuid.UUID, Content]
	layouts  *memo.Memo[uuid.UUID, layout]
	// the questions starts draw, for a second (startQuestions)
	fresh *memo.Fresh[uuid.UUID, Question]
	// failAfterSlots, in tests, makes grading fail after writing scores (so
	// many slots' of an attempt graded alone, all of a batch's), as a worker
	// killed mid-way.
	failAfterSlots int
}

// NewService returns the quiz service.
func NewService(d Deps) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	grace := d.SaveGrace
	if grace <= 0 {
		grace = DefaultSaveGrace
	}
	starts := d.MaxConcurrentStarts
	if starts <= 0 {
		starts = DefaultMaxConcurrentStarts
	}
	submits := d.MaxConcurrentSubmits
	if submits <= 0 {
		submits = DefaultMaxConcurrentSubmits
	}
	s := &Service{db: d.DB, store: store{db: d.DB}, outbox: d.Outbox, audit: d.Auditor, orgs: d.Orgs,
		courses: d.Courses, classes: d.Classes, now: func() time.Time { return now().UTC() }, grace: grace,
		starts: shed.New(starts, startQueueWait), submits: shed.New(submits, submitQueueWait), quizzes: memo.New[uuid.UUID, Quiz](10_000),
		versions: memo.New[uuid.UUID, Content](20_000), layouts: memo.New[uuid.UUID, layout](100_000),
		fresh: memo.NewFresh[uuid.UUID, Question](10_000, questionFreshness)}
	s.saves = coalesce.New(func(saves []answerSave) ([]bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), saveBatchTimeout)
		defer cancel()
		return s.store.saveAnswers(ctx, saves, grace)
	})
	return s
}

// saveBatchTimeout bounds one batch of saves: its callers, whose own
// deadlines it cannot follow, are answered by then.
const saveBatchTimeout = 10 * time.Second

// The errors of the quiz domain.
var (
	ErrBankNotFound = apperr.New(apperr.KindNotFound, "quiz.bank_not_found",
		"Bank soal tidak ditemukan.", "Question bank not found.")
	ErrCategoryNotFound = apperr.New(apperr.KindNotFound, "quiz.category_not_found",
		"Kategori tidak ditemukan.", "Category not found.")
	ErrQuestionNotFound = apperr.New(apperr.KindNotFound, "quiz.question_not_found",
		"Soal tidak ditemukan.", "Question not found.")
	ErrQuizNotFound = apperr.New(apperr.KindNotFound, "quiz.quiz_not_found",
		"Kuis tidak ditemukan.", "Quiz not found.")
	ErrAttemptNotFound = apperr.New(apperr.KindNotFound, "quiz.attempt_not_found",
		"Percobaan kuis tidak ditemukan.", "Attempt not found.")
	ErrSlotNotFound = apperr.New(apperr.KindNotFound, "quiz.slot_not_found",
		"Soal tidak ada dalam percobaan ini.", "The attempt has no such question.")
	ErrCategoryExists = apperr.New(apperr.KindConflict, "quiz.category_exists",
		"Kategori dengan nama ini sudah ada.", "A category with this name already exists.")
	ErrStaleSeq = apperr.New(apperr.KindConflict, "quiz.stale_seq",
		"Jawaban yang lebih baru sudah tersimpan.", "A newer answer is already saved.")
	ErrAttemptClosed = apperr.New(apperr.KindConflict, "quiz.attempt_closed",
		"Percobaan ini sudah selesai; jawaban tidak dapat diubah.", "The attempt is over; answers can no longer change.")
	ErrNoAttemptsLeft = apperr.New(apperr.KindConflict, "quiz.no_attempts_left",
		"Anda sudah menggunakan semua kesempatan untuk kuis ini.", "You have used every attempt this quiz allows.")
	ErrAttemptOpen = apperr.New(apperr.KindConflict, "quiz.attempt_in_progress",
		"Anda masih memiliki percobaan yang berjalan untuk kuis ini.", "You already have an attempt of this quiz in progress.")
	ErrQuizClosed = apperr.New(apperr.KindConflict, "quiz.window_closed",
		"Kuis ini tidak sedang dibuka untuk kelas Anda.", "The quiz is not open for your class now.")
	ErrQuizEmpty = apperr.New(apperr.KindInvalid, "quiz.empty",
		"Kuis belum memiliki soal.", "The quiz has no questions yet.")
	ErrVersionFrozen = apperr.New(apperr.KindConflict, "quiz.version_frozen",
		"Versi kursus ini sudah diajukan atau terbit; kuisnya tidak dapat diubah.",
		"The course version is submitted or published; its quiz cannot change.")
	ErrStartBusy = apperr.New(apperr.KindUnavailable, "quiz.start_busy",
		"Terlalu banyak peserta memulai kuis bersamaan; coba lagi sebentar lagi.",
		"Too many learners are starting at once; try again in a moment.").WithRetryAfter(2)
	ErrSubmitBusy = apperr.New(apperr.KindUnavailable, "quiz.submit_busy",
		"Terlalu banyak peserta mengumpulkan kuis bersamaan; jawaban Anda tersimpan, coba kumpulkan lagi sebentar lagi.",
		"Too many learners are submitting at once; your answers are saved, try submitting again in a moment.").WithRetryAfter(1)
	ErrNotGradable = apperr.New(apperr.KindConflict, "quiz.not_gradable",
		"Soal ini tidak menunggu penilaian manual.", "This question is not waiting for manual grading.")
)

// scope is a bank as one caller meets it.
type bankScope struct {
	actor *authz.Actor
	bank  Bank
	path  string
}

// staff: the caller reads the bank as staff of its organisation's subtree.
func (sc bankScope) staff() bool { return sc.actor.Can(authz.CourseRead, sc.path) }

// author: the caller edits the bank.
func (sc bankScope) author() bool { return sc.actor.Can(authz.CourseAuthor, sc.path) }

// uses: the caller may draw questions from the bank for a quiz: an author
// of the owner's subtree, or an author anywhere whom the bank's sharing reaches.
func (sc bankScope) uses() bool {
	if sc.author() {
		return true
	}
	roots, all := sc.actor.Roots(authz.CourseAuthor)
	return (all || len(roots) > 0) && authz.SharedTo(sc.actor.HomeOrgPath, string(sc.bank.Sharing), sc.path, sc.bank.SharedOrgIDs)
}

// sees: staff, or a user of a shared bank. Learners never read banks.
func (sc bankScope) sees() bool { return sc.staff() || sc.uses() }

func (s *Service) bankScope(ctx context.Context, bankID uuid.UUID) (bankScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return bankScope{}, err
	}
	b, err := s.store.bank(ctx, bankID)
	if err != nil {
		return bankScope{}, err
	}
	path, err := s.orgs.OrgPath(ctx, b.OrgID)
	if err != nil {
		return bankScope{}, fmt.Errorf("resolve bank organisation: %w", err)
	}
	return bankScope{actor: actor, bank: b, path: path}, nil
}

// seeBank loads a bank the caller sees.
func (s *Service) seeBank(ctx context.Context, bankID uuid.UUID) (bankScope, error) {
	sc, err := s.bankScope(ctx, bankID)
	if err != nil {
		return sc, err
	}
	return sc, authz.Decide(sc.sees(), sc.sees(), ErrBankNotFound)
}

// editBank loads a bank the caller edits.
func (s *Service) editBank(ctx context.Context, bankID uuid.UUID) (bankScope, error) {
	sc, err := s.bankScope(ctx, bankID)
	if err != nil {
		return sc, err
	}
	return sc, authz.Decide(sc.sees(), sc.author(), ErrBankNotFound)
}

func (sc bankScope) change(action, entityType string, id uuid.UUID, before, after any) audit.Change {
	return audit.Change{Action: action, EntityType: entityType, EntityID: id.String(),
		OrgID: sc.bank.OrgID, OrgPath: sc.path, Before: before, After: after}
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// shuffled returns a shuffled copy of ids.
func shuffled[T any](in []T) []T {
	out := append([]T(nil), in...)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
