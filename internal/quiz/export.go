package quiz

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/web"
	"github.com/corpu/corpu/internal/quiz/moodleformat"
)

// BankExport is a bank's live questions in the shape of a Moodle file.
type BankExport struct {
	Bank      Bank
	Questions []moodleformat.Question // ordered by category path, then name
}

// ExportBank returns the live questions of a bank, each at its current
// version, mapped onto Moodle's model with its category path. Whoever may
// read the bank's questions may export them; others get 404.
func (s *Service) ExportBank(ctx context.Context, bankID uuid.UUID, format string) (BankExport, error) {
	sc, err := s.seeBank(ctx, bankID)
	if err != nil {
		return BankExport{}, err
	}
	if err := checkFormat(format); err != nil {
		return BankExport{}, err
	}
	cats, err := s.store.categories(ctx, bankID)
	if err != nil {
		return BankExport{}, err
	}
	qs, err := s.store.bankQuestions(ctx, bankID)
	if err != nil {
		return BankExport{}, err
	}
	paths := categoryPaths(cats)
	out := BankExport{Bank: sc.bank, Questions: make([]moodleformat.Question, 0, len(qs))}
	for _, q := range qs {
		mq := exportQuestion(q)
		if q.CategoryID != nil {
			mq.Category = paths[*q.CategoryID]
		}
		out.Questions = append(out.Questions, mq)
	}
	// A Moodle XML file writes a category element whenever the category
	// changes: questions of one category stay together.
	sort.SliceStable(out.Questions, func(i, j int) bool { return out.Questions[i].Category < out.Questions[j].Category })
	return out, nil
}

func checkFormat(format string) error {
	var v apperr.Validation
	v.Check(format == FormatMoodleXML || format == FormatGIFT, "format", "harus moodle_xml atau gift", "must be moodle_xml or gift")
	return v.Err()
}

// categoryPaths gives each category its Moodle path under the bank's top,
// "$course$/top/Parent/Child", the inverse of categoryPath.
func categoryPaths(cats []Category) map[uuid.UUID]string {
	byID := make(map[uuid.UUID]Category, len(cats))
	for _, c := range cats {
		byID[c.ID] = c
	}
	out := make(map[uuid.UUID]string, len(cats))
	for _, c := range cats {
		var names []string
		seen := map[uuid.UUID]bool{}
		for at, ok := c, true; ok && !seen[at.ID]; at, ok = parentOf(byID, at) {
			seen[at.ID] = true
			names = append([]string{at.Name}, names...)
		}
		out[c.ID] = moodleformat.JoinCategory(names)
	}
	return out
}

func parentOf(byID map[uuid.UUID]Category, c Category) (Category, bool) {
	if c.ParentID == nil {
		return Category{}, false
	}
	p, ok := byID[*c.ParentID]
	return p, ok
}

// exportQuestion maps a question's current version onto Moodle's model, the
// inverse of mapQuestion. Texts are HTML, as Corpu holds them.
func exportQuestion(q Question) moodleformat.Question {
	c := q.Content
	b := c.Body
	mq := moodleformat.Question{Name: q.Name, Text: c.Stem, TextFormat: moodleformat.FormatHTML, DefaultGrade: c.Points,
		GeneralFeedback: c.Feedback, Tags: q.CompetencyTags}
	if c.Type.AutoGraded() {
		mq.Penalty = moodleformat.DefaultPenalty
	}
	options := func() {
		for _, o := range b.Options {
			mq.Answers = append(mq.Answers, moodleformat.Answer{Text: o.Text, Fraction: o.Weight, Feedback: o.Feedback})
		}
	}
	switch c.Type {
	case TypeSingleChoice, TypeMultipleChoice:
		mq.Type, mq.Single, mq.ShuffleAnswers = moodleformat.TypeMultichoice, c.Type == TypeSingleChoice, true
		options()
	case TypeTrueFalse:
		mq.Type = moodleformat.TypeTrueFalse
		right := b.Correct != nil && *b.Correct
		mq.Answers = []moodleformat.Answer{{Text: "true", Fraction: credit(right)}, {Text: "false", Fraction: credit(!right)}}
	case TypeShortAnswer:
		mq.Type, mq.UseCase = moodleformat.TypeShortAnswer, b.Match == MatchExact
		for _, a := range b.TextAnswers {
			mq.Answers = append(mq.Answers, moodleformat.Answer{Text: a.Text, Fraction: a.Credit, Feedback: a.Feedback})
		}
	case TypeNumeric:
		mq.Type = moodleformat.TypeNumerical
		for _, a := range b.Numeric {
			mq.Answers = append(mq.Answers, moodleformat.Answer{Text: strconv.FormatFloat(a.Value, 'f', -1, 64),
				Tolerance: a.Tolerance, Fraction: a.Credit, Feedback: a.Feedback})
		}
		for _, u := range b.Units {
			mq.Units = append(mq.Units, moodleformat.Unit{Name: u.Name, Multiplier: u.Multiplier})
		}
	case TypeMatching:
		mq.Type, mq.ShuffleAnswers = moodleformat.TypeMatching, true
		texts := map[string]string{}
		used := map[string]bool{}
		for _, o := range b.Options {
			texts[o.ID] = o.Text
		}
		for _, p := range b.Prompts {
			used[p.Answer] = true
			mq.Subquestions = append(mq.Subquestions, moodleformat.Subquestion{Text: p.Text, Answer: texts[p.Answer]})
		}
		for _, o := range b.Options {
			if !used[o.ID] { // a distractor: an answer without a question
				mq.Subquestions = append(mq.Subquestions, moodleformat.Subquestion{Answer: o.Text})
			}
		}
	case TypeOrdering:
		mq.Type = moodleformat.TypeOrdering
		options()
	case TypeEssay:
		mq.Type = moodleformat.TypeEssay
	default:
		mq.Type = moodleformat.TypeDescription
	}
	return mq
}

func credit(right bool) float64 {
	if right {
		return 1
	}
	return 0
}

// Write writes the export in format: FormatMoodleXML or FormatGIFT.
func (e BankExport) Write(w *bytes.Buffer, format string) error {
	if format == FormatGIFT {
		return moodleformat.WriteGIFT(w, e.Questions)
	}
	return moodleformat.WriteXML(w, "", e.Questions)
}

// exportFilename is the file name of a bank's export: the bank's name with
// what a file name cannot hold replaced.
func exportFilename(name, format string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" {
		name = "question-bank"
	}
	if format == FormatGIFT {
		return name + ".gift.txt"
	}
	return name + ".xml"
}

// exportBank answers a bank's questions as a Moodle XML or GIFT file.
func (h *Handler) exportBank(c echo.Context) error {
	id, err := web.PathID(c, "bank_id", ErrBankNotFound)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	e, err := h.svc.ExportBank(c.Request().Context(), id, format)
	if err != nil {
		return err
	}
	return sendExport(c, e, format)
}

// sendExport answers with the bank's file as a download.
func sendExport(c echo.Context, e BankExport, format string) error {
	var buf bytes.Buffer
	if err := e.Write(&buf, format); err != nil {
		return err
	}
	ct := "application/xml"
	if format == FormatGIFT {
		ct = "text/plain; charset=utf-8"
	}
	c.Response().Header().Set(echo.HeaderContentDisposition,
		mime.FormatMediaType("attachment", map[string]string{"filename": exportFilename(e.Bank.Name, format)}))
	return c.Blob(http.StatusOK, ct, buf.Bytes())
}
