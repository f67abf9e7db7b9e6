package quiz

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The grading queue: a class's staff grade the essays of a quiz one form per
// answer; a refused grade shows its error next to the field of that answer.

type gradingPage struct {
	ClassID, QuizID uuid.UUID
	Essays          []essayPage
}

type essayPage struct {
	PendingEssay
	Text string
}

func (p *Pages) gradingQueue(c echo.Context) error {
	return p.renderQueue(c, http.StatusOK, webpage.Form{})
}

func (p *Pages) renderQueue(c echo.Context, status int, form webpage.Form) error {
	classID, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrQuizNotFound
	}
	quizID, err := uuid.Parse(c.Param("quiz_id"))
	if err != nil {
		return ErrQuizNotFound
	}
	res, err := p.svc.GradingQueue(c.Request().Context(), classID, quizID, uuid.Nil, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	data := gradingPage{ClassID: classID, QuizID: quizID}
	for _, e := range res.Items {
		var answer struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal(e.Response, &answer) // essays are stored as {"text": …}
		data.Essays = append(data.Essays, essayPage{PendingEssay: e, Text: answer.Text})
	}
	return p.site.RenderForm(c, status, "quiz/grading", data, form)
}

// gradeEssay grades one answer and goes back to the queue.
func (p *Pages) gradeEssay(c echo.Context) error {
	attemptID, err := uuid.Parse(c.Param("attempt_id"))
	if err != nil {
		return ErrAttemptNotFound
	}
	slot, err := strconv.Atoi(c.Param("slot"))
	if err != nil {
		return ErrSlotNotFound
	}
	rawScore, comment := strings.TrimSpace(c.FormValue("score")), c.FormValue("comment")
	score, perr := webpage.ParseDecimal(rawScore)
	if perr != nil {
		err = apperr.Invalid("score", "harus berupa angka", "must be a number")
	} else {
		_, err = p.svc.GradeSlot(c.Request().Context(), attemptID, slot, score, comment)
	}
	if err != nil {
		values := url.Values{"attempt": {attemptID.String()}, "slot": {strconv.Itoa(slot)}, "score": {rawScore}, "comment": {comment}}
		return webpage.Refuse(c, err, values, nil, p.renderQueue)
	}
	return webpage.Redirect(c, "/classes/"+c.Param("class_id")+"/quizzes/"+c.Param("quiz_id")+"/grading")
}
