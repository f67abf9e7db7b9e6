package quiz

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The question bank editor and a quiz item's settings, for authors: banks,
// their questions (single and multiple choice, true/false, short answer,
// essay) and which bank a quiz draws its questions from.

func (p *Pages) mountBank(r webpage.Router) {
	r.GET("/teach/banks", p.banks)
	r.POST("/teach/banks", p.createBank)
	r.GET("/teach/banks/:bank_id", p.bank)
	r.POST("/teach/banks/:bank_id/questions", p.createQuestion)
	r.GET("/teach/quizzes/:quiz_id", p.quizSettings)
	r.POST("/teach/quizzes/:quiz_id", p.saveQuizSettings)
	p.mountImport(r)
}

// questionFields are the service's names of a question's fields as the
// form names them.
var questionFields = map[string]string{
	"content.stem": "stem", "content.points": "points", "content.body.options": "options", "body.options": "options",
	"content.body.correct": "correct", "body.correct": "correct", "content.body.text_answers": "answers", "body.text_answers": "answers",
	"content.body.numeric_answers": "numeric", "body.numeric_answers": "numeric", "content.body.prompts": "pairs", "body.prompts": "pairs",
}

type banksPage struct{ Banks []Bank }

func (p *Pages) banks(c echo.Context) error { return p.renderBanks(c, http.StatusOK, webpage.Form{}) }

func (p *Pages) renderBanks(c echo.Context, status int, form webpage.Form) error {
	res, err := p.svc.Banks(c.Request().Context(), page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	return p.site.RenderForm(c, status, "quiz/banks", banksPage{Banks: res.Items}, form)
}

// createBank makes a bank owned by the author's own organisation.
func (p *Pages) createBank(c echo.Context) error {
	actor, err := authz.ActorFrom(c.Request().Context())
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	name := strings.TrimSpace(form.Get("name"))
	b, err := p.svc.CreateBank(c.Request().Context(), BankInput{OrgID: actor.HomeOrgID, Name: &name})
	if err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderBanks)
	}
	return webpage.Redirect(c, "/teach/banks/"+b.ID.String())
}

type bankPage struct {
	Bank      Bank
	Questions []Question
	Types     []Type
}

func (p *Pages) bank(c echo.Context) error { return p.renderBank(c, http.StatusOK, webpage.Form{}) }

func (p *Pages) renderBank(c echo.Context, status int, form webpage.Form) error {
	id, err := uuid.Parse(c.Param("bank_id"))
	if err != nil {
		return ErrBankNotFound
	}
	ctx := c.Request().Context()
	b, err := p.svc.Bank(ctx, id)
	if err != nil {
		return err
	}
	qs, err := p.svc.Questions(ctx, id, QuestionFilter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	return p.site.RenderForm(c, status, "quiz/bank", bankPage{Bank: b, Questions: qs.Items,
		Types: []Type{TypeSingleChoice, TypeMultipleChoice, TypeTrueFalse, TypeShortAnswer, TypeNumeric, TypeMatching, TypeOrdering, TypeEssay}}, form)
}

func (p *Pages) createQuestion(c echo.Context) error {
	id, err := uuid.Parse(c.Param("bank_id"))
	if err != nil {
		return ErrBankNotFound
	}
	form, _ := c.FormParams()
	content, err := questionFromForm(form)
	if err == nil {
		_, err = p.svc.CreateQuestion(c.Request().Context(), id, QuestionInput{Content: &content})
	}
	if err != nil {
		return webpage.Refuse(c, err, form, questionFields, p.renderBank)
	}
	return webpage.Redirect(c, "/teach/banks/"+id.String())
}

// questionFromForm reads the form's plain fields: options one per line,
// those that are right marked with a leading "*" (for ordering, in the
// right order); accepted short answers one per line; numeric answers one
// per line as "value | tolerance"; matching pairs one per line as
// "prompt | answer".
func questionFromForm(form url.Values) (Content, error) {
	c := Content{Type: Type(form.Get("type")), Stem: strings.TrimSpace(form.Get("stem"))}
	if pts := strings.TrimSpace(form.Get("points")); pts != "" {
		n, err := webpage.ParseDecimal(pts)
		if err != nil {
			return c, apperr.Invalid("points", "harus berupa angka", "must be a number")
		}
		c.Points = n
	}
	switch c.Type {
	case TypeSingleChoice, TypeMultipleChoice:
		var right int
		for _, line := range webpage.Lines(form.Get("options")) {
			if strings.HasPrefix(line, "*") {
				right++
			}
		}
		for _, line := range webpage.Lines(form.Get("options")) {
			o := Option{Text: strings.TrimSpace(strings.TrimPrefix(line, "*"))}
			if strings.HasPrefix(line, "*") {
				o.Weight = 1 / float64(right)
			}
			c.Body.Options = append(c.Body.Options, o)
		}
	case TypeTrueFalse:
		switch form.Get("correct") {
		case "true", "false":
			v := form.Get("correct") == "true"
			c.Body.Correct = &v
		}
	case TypeShortAnswer:
		for _, line := range webpage.Lines(form.Get("answers")) {
			c.Body.TextAnswers = append(c.Body.TextAnswers, TextAnswer{Text: line, Credit: 1})
		}
	case TypeOrdering:
		for _, line := range webpage.Lines(form.Get("options")) {
			c.Body.Options = append(c.Body.Options, Option{Text: strings.TrimSpace(strings.TrimPrefix(line, "*"))})
		}
	case TypeNumeric:
		for _, line := range webpage.Lines(form.Get("numeric")) {
			value, tolerance, _ := strings.Cut(line, "|")
			v, err := webpage.ParseDecimal(value)
			tol := 0.0
			if err == nil && strings.TrimSpace(tolerance) != "" {
				tol, err = webpage.ParseDecimal(tolerance)
			}
			if err != nil {
				return c, apperr.Invalid("numeric", "tulis angka, atau angka | toleransi", "write a number, or number | tolerance")
			}
			c.Body.Numeric = append(c.Body.Numeric, NumericAnswer{Value: v, Tolerance: tol, Credit: 1})
		}
	case TypeMatching:
		answers := map[string]string{} // answer text to its option's id
		for _, line := range webpage.Lines(form.Get("pairs")) {
			prompt, answer, ok := strings.Cut(line, "|")
			prompt, answer = strings.TrimSpace(prompt), strings.TrimSpace(answer)
			if !ok || prompt == "" || answer == "" {
				return c, apperr.Invalid("pairs", "tulis setiap pasangan sebagai pertanyaan | jawaban", "write each pair as prompt | answer")
			}
			id, seen := answers[answer]
			if !seen {
				id = NewOptionID()
				answers[answer] = id
				c.Body.Options = append(c.Body.Options, Option{ID: id, Text: answer})
			}
			c.Body.Prompts = append(c.Body.Prompts, Prompt{Text: prompt, Answer: id})
		}
	}
	return c, nil
}

type quizSettingsPage struct {
	QuizID uuid.UUID
	Quiz   *Quiz // nil before the quiz is set up
	Banks  []Bank
}

func (p *Pages) quizSettings(c echo.Context) error {
	return p.renderQuizSettings(c, http.StatusOK, webpage.Form{})
}

func (p *Pages) renderQuizSettings(c echo.Context, status int, form webpage.Form) error {
	id, err := uuid.Parse(c.Param("quiz_id"))
	if err != nil {
		return ErrQuizNotFound
	}
	ctx := c.Request().Context()
	data := quizSettingsPage{QuizID: id}
	q, err := p.svc.GetQuiz(ctx, id)
	switch {
	case err == nil:
		data.Quiz = &q
	case apperr.KindOf(err) != apperr.KindNotFound:
		return err
	}
	banks, err := p.svc.Banks(ctx, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	data.Banks = banks.Items
	return p.site.RenderForm(c, status, "quiz/settings", data, form)
}

// saveQuizSettings sets the quiz to every question of the chosen bank, with
// its time limit, attempts and pass mark.
func (p *Pages) saveQuizSettings(c echo.Context) error {
	id, err := uuid.Parse(c.Param("quiz_id"))
	if err != nil {
		return ErrQuizNotFound
	}
	ctx := c.Request().Context()
	form, _ := c.FormParams()
	in, bankID, err := quizSettingsFromForm(form)
	if err == nil {
		var qs page.Result[Question]
		if qs, err = p.svc.Questions(ctx, bankID, QuestionFilter{}, page.Request{Limit: page.MaxLimit}); err == nil {
			section := Section{}
			for _, q := range qs.Items {
				section.Questions = append(section.Questions, SectionQuestion{QuestionID: q.ID})
			}
			in.Sections = &[]Section{section}
			_, _, err = p.svc.SetQuiz(ctx, id, in)
		}
	}
	if err != nil {
		return webpage.Refuse(c, err, form, map[string]string{"sections": "bank_id", "time_limit_seconds": "time_limit_minutes"}, p.renderQuizSettings)
	}
	return webpage.Redirect(c, "/teach/quizzes/"+id.String()+"?saved=1")
}

func quizSettingsFromForm(form url.Values) (QuizInput, uuid.UUID, error) {
	var v apperr.Validation
	bankID, err := uuid.Parse(form.Get("bank_id"))
	v.Check(err == nil, "bank_id", "pilih bank soal", "choose a question bank")
	number := func(field string) *float64 {
		s := strings.TrimSpace(form.Get(field))
		if s == "" {
			return nil
		}
		n, err := webpage.ParseDecimal(s)
		v.Check(err == nil, field, "harus berupa angka", "must be a number")
		return &n
	}
	var in QuizInput
	if m := number("time_limit_minutes"); m != nil {
		seconds := int(*m * 60)
		limit := &seconds
		in.TimeLimitSeconds = &limit
	}
	if a := number("attempts_allowed"); a != nil {
		n := int(*a)
		in.AttemptsAllowed = &n
	}
	in.PassMark = number("pass_mark")
	return in, bankID, v.Err()
}
