package quiz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/platform/web"
	"github.com/corpu/corpu/internal/quiz/moodleformat"
	"github.com/corpu/corpu/internal/upload"
)

// ImportFiles gives an import its uploaded file; the upload service provides it.
type ImportFiles interface {
	File(ctx context.Context, id uuid.UUID) (upload.File, error)
}

// ImportObjects reads an uploaded file's bytes; the object store provides it.
type ImportObjects interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// SetImportFiles plugs in the uploads and the object store that question
// imports read. Call it before serving.
func (s *Service) SetImportFiles(files ImportFiles, objects ImportObjects) {
	s.files, s.objects = files, objects
}

// JobKindQuestionImport is the kind of a question import job.
const JobKindQuestionImport = "question_import"

// TypeImportQuestions is the outbox job that runs a question import.
const TypeImportQuestions = "quiz:import-questions"

// The formats of a question import.
const (
	FormatMoodleXML = "moodle_xml"
	FormatGIFT      = "gift"
)

// ImportInput starts an import of questions into a bank.
type ImportInput struct {
	FileID uuid.UUID // a completed upload of purpose question_import, by the caller
	Format string    // FormatMoodleXML or FormatGIFT
	DryRun bool      // report what would be imported, write nothing
	Lang   string    // "id" or "en": the language of the reasons
}

// ImportPayload is the payload of TypeImportQuestions.
type ImportPayload struct {
	JobID uuid.UUID `json:"job_id"`
}

type importParams struct {
	BankID uuid.UUID `json:"bank_id"`
	FileID uuid.UUID `json:"file_id"`
	Format string    `json:"format"`
	DryRun bool      `json:"dry_run"`
	Lang   string    `json:"lang"`
}

// ImportResult is what an import job holds when it is over.
type ImportResult struct {
	Imported   int              `json:"imported"`
	Skipped    int              `json:"skipped"`
	Categories int              `json:"categories"` // categories created (would be, in a dry run)
	DryRun     bool             `json:"dry_run"`
	Questions  []ImportQuestion `json:"questions"`
}

// ImportQuestion is the fate of one question of the file, in file order.
type ImportQuestion struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Type is Corpu's type of an imported question, the file's (Moodle's)
	// type of a skipped one.
	Type       string     `json:"type"`
	Status     string     `json:"status"` // "imported" or "skipped"
	Reason     string     `json:"reason,omitempty"`
	QuestionID *uuid.UUID `json:"question_id,omitempty"`
}

// The statuses of an imported question.
const (
	ImportStatusImported = "imported"
	ImportStatusSkipped  = "skipped"
)

var errImportFileNotFound = apperr.Invalid("file_id", "berkas unggahan tidak ditemukan", "uploaded file not found")

// StartImport checks that the caller authors the bank and that the file is
// their completed upload for a question import, then records the job and the
// task that runs it in one transaction. The caller polls the job.
func (s *Service) StartImport(ctx context.Context, bankID uuid.UUID, in ImportInput) (job.Job, error) {
	sc, err := s.editBank(ctx, bankID)
	if err != nil {
		return job.Job{}, err
	}
	var v apperr.Validation
	v.Check(in.FileID != uuid.Nil, "file_id", "wajib diisi", "is required")
	v.Check(in.Format == FormatMoodleXML || in.Format == FormatGIFT, "format", "harus moodle_xml atau gift", "must be moodle_xml or gift")
	if err := v.Err(); err != nil {
		return job.Job{}, err
	}
	if s.files == nil || s.jobs == nil {
		return job.Job{}, errors.New("quiz: question import is not configured")
	}
	file, err := s.files.File(ctx, in.FileID)
	if apperr.KindOf(err) == apperr.KindNotFound || (err == nil && file.OwnerID != sc.actor.UserID) {
		return job.Job{}, errImportFileNotFound
	}
	if err != nil {
		return job.Job{}, err
	}
	if file.Purpose != upload.PurposeQuestionImport {
		return job.Job{}, apperr.Invalid("file_id", "berkas tidak diunggah untuk impor soal (purpose question_import)",
			"the file was not uploaded for a question import (purpose question_import)")
	}
	if in.Lang != "en" {
		in.Lang = "id"
	}
	var j job.Job
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		j, err = s.jobs.Create(ctx, JobKindQuestionImport, authz.CourseAuthor, sc.bank.OrgID,
			importParams{BankID: bankID, FileID: file.ID, Format: in.Format, DryRun: in.DryRun, Lang: in.Lang})
		if err != nil {
			return err
		}
		_, err = s.outbox.Add(ctx, queue.Job{Type: TypeImportQuestions, Queue: queue.Default, Payload: ImportPayload{JobID: j.ID}})
		return err
	})
	return j, err
}

// HandleImportQuestions is the task handler of TypeImportQuestions.
func (s *Service) HandleImportQuestions(ctx context.Context, t *asynq.Task) error {
	var p ImportPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	return s.RunImport(ctx, p.JobID)
}

// importFailure is a reason an import cannot go on that no retry fixes.
type importFailure struct{ msg apperr.Text }

func (e *importFailure) Error() string { return e.msg.EN }

// RunImport runs an import job: it reads and parses the file, maps each
// question onto Corpu's model and creates the categories and questions in
// one transaction, together with the job's success. A job already over does
// nothing; a file that cannot be read fails the job.
func (s *Service) RunImport(ctx context.Context, jobID uuid.UUID) error {
	j, ok, err := job.BeginTask(ctx, s.jobs, TypeImportQuestions, jobID)
	if !ok {
		return err
	}
	var p importParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return s.jobs.Fail(ctx, j.ID, "invalid job parameters")
	}
	err = s.runImport(ctx, j, p)
	var fail *importFailure
	if errors.As(err, &fail) {
		return s.jobs.Fail(ctx, j.ID, fail.msg.In(p.Lang))
	}
	return err
}

func (s *Service) runImport(ctx context.Context, j job.Job, p importParams) error {
	bank, err := s.store.bank(ctx, p.BankID)
	if errors.Is(err, ErrBankNotFound) {
		return &importFailure{apperr.Text{ID: "Bank soal tidak ditemukan.", EN: "The question bank no longer exists."}}
	}
	if err != nil {
		return err
	}
	file, err := s.files.File(ctx, p.FileID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return &importFailure{apperr.Text{ID: "Berkas unggahan tidak ditemukan.", EN: "The uploaded file no longer exists."}}
	}
	if err != nil {
		return err
	}
	rc, err := s.objects.Open(ctx, file.ObjectKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	var res moodleformat.Result
	if p.Format == FormatGIFT {
		res, err = moodleformat.ParseGIFT(rc)
	} else {
		res, err = moodleformat.ParseXML(rc)
	}
	if err != nil {
		name := "Moodle XML"
		if p.Format == FormatGIFT {
			name = "GIFT"
		}
		return &importFailure{apperr.Text{
			ID: fmt.Sprintf("Berkas tidak dapat dibaca sebagai %s: %v", name, err),
			EN: fmt.Sprintf("The file cannot be read as %s: %v", name, err)}}
	}

	out := ImportResult{DryRun: p.DryRun, Questions: make([]ImportQuestion, 0, len(res.Questions))}
	var qs []Question
	var paths [][]string // category path of each question in qs
	now := s.now()
	for i, mq := range res.Questions {
		row := ImportQuestion{Index: i, Name: mq.Name, Type: string(mq.Type)}
		q, reason := mapQuestion(mq, res.ProblemAt(i), p.Lang)
		if reason != "" {
			row.Status, row.Reason = ImportStatusSkipped, reason
			out.Skipped++
			out.Questions = append(out.Questions, row)
			continue
		}
		q.ID, q.BankID, q.Version, q.VersionID = newID(), bank.ID, 1, newID()
		q.CreatedBy, q.CreatedAt, q.UpdatedAt = j.OwnerID, now, now
		row.Name, row.Type, row.Status = q.Name, string(q.Content.Type), ImportStatusImported
		if !p.DryRun {
			id := q.ID
			row.QuestionID = &id
		}
		out.Imported++
		out.Questions = append(out.Questions, row)
		qs = append(qs, q)
		paths = append(paths, categoryPath(mq.Category))
	}

	return s.db.WithTx(ctx, func(ctx context.Context) error {
		cats, err := s.importCategories(ctx, bank.ID, paths, p.DryRun)
		if err != nil {
			return err
		}
		out.Categories = cats.created
		if !p.DryRun {
			for k := range qs {
				qs[k].CategoryID = cats.ids[strings.Join(paths[k], "\x00")]
				if err := s.store.createQuestion(ctx, qs[k]); err != nil {
					return err
				}
				if err := s.store.createVersion(ctx, qs[k]); err != nil {
					return err
				}
			}
			path, err := s.orgs.OrgPath(ctx, bank.OrgID)
			if err != nil {
				return err
			}
			if err := s.audit.Record(ctx, authz.CourseAuthor, audit.Change{Action: "question_bank.import", EntityType: "question_bank",
				EntityID: bank.ID.String(), OrgID: bank.OrgID, OrgPath: path,
				After: map[string]any{"job_id": j.ID, "file_id": p.FileID, "format": p.Format,
					"imported": out.Imported, "skipped": out.Skipped, "categories": out.Categories}}); err != nil {
				return err
			}
		}
		return s.jobs.Succeed(ctx, j.ID, out, "", "")
	})
}

// categoryPath is a question's category path, each name trimmed to the
// length a category name may have.
func categoryPath(path string) []string {
	names := moodleformat.SplitCategory(path)
	for i, n := range names {
		names[i] = cut(n, 200)
	}
	return names
}

type importedCategories struct {
	ids     map[string]*uuid.UUID // by path joined with NUL; nil for the bank's top
	created int
}

// importCategories finds or creates the categories of the paths, nested as
// in the file under the bank's top. A category of the same name under the
// same parent is reused.
func (s *Service) importCategories(ctx context.Context, bankID uuid.UUID, paths [][]string, dryRun bool) (importedCategories, error) {
	out := importedCategories{ids: map[string]*uuid.UUID{"": nil}}
	existing, err := s.store.categories(ctx, bankID)
	if err != nil {
		return out, err
	}
	type key struct {
		parent uuid.UUID
		name   string
	}
	byName := map[key]uuid.UUID{}
	for _, c := range existing {
		var parent uuid.UUID
		if c.ParentID != nil {
			parent = *c.ParentID
		}
		byName[key{parent, c.Name}] = c.ID
	}
	for _, path := range paths {
		var parent *uuid.UUID
		for depth := range path {
			joined := strings.Join(path[:depth+1], "\x00")
			if id, ok := out.ids[joined]; ok {
				parent = id
				continue
			}
			var pk uuid.UUID
			if parent != nil {
				pk = *parent
			}
			id, ok := byName[key{pk, path[depth]}]
			if !ok {
				id = newID()
				byName[key{pk, path[depth]}] = id
				out.created++
				if !dryRun {
					if err := s.store.createCategory(ctx, Category{ID: id, BankID: bankID, ParentID: parent, Name: path[depth]}); err != nil {
						return out, err
					}
				}
			}
			idc := id
			out.ids[joined] = &idc
			parent = &idc
		}
	}
	return out, nil
}

// mapQuestion maps a question of a file onto Corpu's model, or says in lang
// why it is skipped.
func mapQuestion(mq moodleformat.Question, problem *moodleformat.Problem, lang string) (Question, string) {
	if problem != nil {
		return Question{}, apperr.Text{ID: problem.ReasonID, EN: problem.Reason}.In(lang)
	}
	c := Content{Stem: text(mq.Text, mq.TextFormat), Points: mq.DefaultGrade, Feedback: text(mq.GeneralFeedback, mq.TextFormat)}
	b := &c.Body
	answer := func(s string) string { return text(s, mq.TextFormat) }
	switch mq.Type {
	case moodleformat.TypeMultichoice:
		c.Type = TypeMultipleChoice
		if mq.Single {
			c.Type = TypeSingleChoice
		}
		for _, a := range mq.Answers {
			w := a.Fraction
			if mq.Single && w < 0 {
				w = 0 // a single choice never takes marks away
			}
			b.Options = append(b.Options, Option{Text: answer(a.Text), Weight: w, Feedback: answer(a.Feedback)})
		}
	case moodleformat.TypeTrueFalse:
		c.Type = TypeTrueFalse
		if len(mq.Answers) == 2 {
			v := mq.Answers[0].Fraction >= 1
			b.Correct = &v
		}
	case moodleformat.TypeShortAnswer:
		c.Type, b.Match = TypeShortAnswer, MatchNormalized
		if mq.UseCase {
			b.Match = MatchExact
		}
		for _, a := range mq.Answers {
			b.TextAnswers = append(b.TextAnswers, TextAnswer{Text: html.UnescapeString(a.Text), Credit: a.Fraction, Feedback: answer(a.Feedback)})
		}
	case moodleformat.TypeNumerical:
		c.Type = TypeNumeric
		for k, a := range mq.Answers {
			if strings.TrimSpace(a.Text) == "*" {
				continue // Moodle's "any other answer" only carries feedback
			}
			v, ok := number(a.Text)
			if !ok {
				return Question{}, apperr.Text{ID: fmt.Sprintf("jawaban %d (%q) bukan angka", k+1, a.Text),
					EN: fmt.Sprintf("answer %d (%q) is not a number", k+1, a.Text)}.In(lang)
			}
			b.Numeric = append(b.Numeric, NumericAnswer{Value: v, Tolerance: a.Tolerance, Credit: a.Fraction, Feedback: answer(a.Feedback)})
		}
		for _, u := range mq.Units {
			b.Units = append(b.Units, Unit{Name: u.Name, Multiplier: u.Multiplier})
		}
	case moodleformat.TypeMatching:
		c.Type = TypeMatching
		ids := map[string]string{} // answer text → option id: equal answers are one option
		for _, sq := range mq.Subquestions {
			t := answer(sq.Answer)
			id, ok := ids[t]
			if !ok {
				id = NewOptionID()
				ids[t] = id
				b.Options = append(b.Options, Option{ID: id, Text: t})
			}
			if strings.TrimSpace(sq.Text) != "" {
				b.Prompts = append(b.Prompts, Prompt{ID: NewOptionID(), Text: answer(sq.Text), Answer: id})
			}
		}
	case moodleformat.TypeOrdering:
		c.Type = TypeOrdering
		for _, a := range mq.Answers {
			b.Options = append(b.Options, Option{Text: answer(a.Text)})
		}
	case moodleformat.TypeEssay:
		c.Type = TypeEssay
	case moodleformat.TypeDescription:
		c.Type = TypeDescription
	default:
		return Question{}, apperr.Text{ID: fmt.Sprintf("jenis soal %q tidak didukung", mq.Type),
			EN: fmt.Sprintf("question type %q is not supported", mq.Type)}.In(lang)
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		return Question{}, validationReason(err, lang)
	}
	q := Question{Name: cut(strings.TrimSpace(mq.Name), 200), Content: c, CompetencyTags: importTags(mq.Tags)}
	if q.Name == "" {
		q.Name = summarize(c.Stem)
	}
	if q.Name == "" {
		q.Name = string(c.Type)
	}
	return q, ""
}

// text turns a text of a file into the HTML a stem or option holds: plain
// text is escaped, with its line breaks kept.
func text(s string, f moodleformat.TextFormat) string {
	if f == moodleformat.FormatPlain {
		return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>")
	}
	return s
}

// number reads a number as Moodle writes it (a comma as decimal point too).
func number(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		f, err = strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	}
	return f, err == nil && finite(f)
}

// importTags keeps the tags a question may carry: lower case, at most 60
// characters, 20 of them, no duplicates.
func importTags(tags []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || utf8.RuneCountInString(t) > 60 || seen[t] || len(out) == 20 {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// validationReason renders a validation error as one sentence in lang.
func validationReason(err error, lang string) string {
	e := apperr.As(err)
	if e == nil {
		return err.Error()
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Message.In(lang))
	}
	if len(parts) == 0 {
		return e.Message.In(lang)
	}
	return strings.Join(parts, "; ")
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

type importRequest struct {
	FileID uuid.UUID `json:"file_id"`
	Format string    `json:"format"`
	DryRun bool      `json:"dry_run"`
}

// startImport starts an import of questions and answers 202 with the job to poll.
func (h *Handler) startImport(c echo.Context) error {
	id, err := web.PathID(c, "bank_id", ErrBankNotFound)
	if err != nil {
		return err
	}
	var req importRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	j, err := h.svc.StartImport(c.Request().Context(), id, ImportInput{FileID: req.FileID, Format: req.Format,
		DryRun: req.DryRun, Lang: web.Language(c.Request())})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, job.Location(j.ID))
	return c.JSON(http.StatusAccepted, job.NewResponse(j))
}
