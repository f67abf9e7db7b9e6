package quiz

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/webpage"
)

// Pages are the quiz pages: for learners, starting an attempt, taking it
// (the page's script saves answers through the JSON API, see
// assets/web/static/quiz.js) and its result with the review the quiz
// allows; for a class's staff, the essay grading queue (pages_grading.go).
type Pages struct {
	svc  *Service
	site *webpage.Site
}

// NewPages returns the quiz pages.
func NewPages(svc *Service, site *webpage.Site) *Pages { return &Pages{svc: svc, site: site} }

// Mount registers the pages.
func (p *Pages) Mount() {
	r := p.site.SignedIn()
	r.POST("/classes/:class_id/quizzes/:quiz_id/attempts", p.start)
	r.GET("/attempts/:attempt_id", p.attempt)
	r.POST("/attempts/:attempt_id/submit", p.submit)
	r.GET("/classes/:class_id/quizzes/:quiz_id/grading", p.gradingQueue)
	r.POST("/classes/:class_id/quizzes/:quiz_id/grading/:attempt_id/:slot", p.gradeEssay)
	p.mountBank(r)
}

// start begins an attempt, or resumes the one in progress.
func (p *Pages) start(c echo.Context) error {
	classID, err := uuid.Parse(c.Param("class_id"))
	if err != nil {
		return ErrQuizNotFound
	}
	quizID, err := uuid.Parse(c.Param("quiz_id"))
	if err != nil {
		return ErrQuizNotFound
	}
	a, err := p.svc.Start(c.Request().Context(), quizID, classID)
	if err != nil {
		return err
	}
	return webpage.Redirect(c, "/attempts/"+a.ID.String())
}

// submit is the quiz form's action without its script; with the script the
// page submits through the API with an idempotency key. An attempt already
// submitted shows its result: pressing twice is harmless.
func (p *Pages) submit(c echo.Context) error {
	id, err := uuid.Parse(c.Param("attempt_id"))
	if err != nil {
		return ErrAttemptNotFound
	}
	ctx := c.Request().Context()
	a, err := p.svc.GetAttempt(ctx, id)
	if err != nil {
		return err
	}
	if a.State == StateInProgress {
		if _, err := p.svc.Submit(ctx, id); err != nil {
			return err
		}
	}
	return webpage.Redirect(c, "/attempts/"+id.String())
}

type attemptPage struct {
	Attempt   AttemptView
	Questions []questionPage
	ServerNow time.Time
}

// questionPage is one slot as the page shows it: the learner's view with
// their saved answer marked in the inputs.
type questionPage struct {
	Slot     int
	Type     Type
	Stem     string
	Points   float64
	Seq      int64
	Options  []optionPage
	Prompts  []promptPage
	Units    []string
	Text     string
	Number   string
	Unit     string
	Bool     string // "true", "false" or ""
	Score    *float64
	Feedback string
	Media    []mediaPage
}

// mediaPage is one of a stem's files as the page shows it: an image, a
// sound or a video, by its presigned URL.
type mediaPage struct {
	Kind string // "image", "audio" or "video"
	URL  string
}

// mediaKind says how a page shows a file of contentType.
func mediaKind(contentType string) string {
	switch {
	case strings.HasPrefix(contentType, "image/"):
		return "image"
	case strings.HasPrefix(contentType, "audio/"), contentType == "application/ogg":
		return "audio"
	default:
		return "video"
	}
}

type optionPage struct {
	ID, Text string
	Chosen   bool
	Correct  bool // shown only when review allows answers
}

type promptPage struct {
	ID, Text, Chosen string
}

// savedAnswer reads every wire shape at once; a slot's type says which
// fields count.
type savedAnswer struct {
	Choice  string            `json:"choice"`
	Choices []string          `json:"choices"`
	Value   json.RawMessage   `json:"value"`
	Text    string            `json:"text"`
	Unit    string            `json:"unit"`
	Pairs   map[string]string `json:"pairs"`
	Order   []string          `json:"order"`
}

func (p *Pages) attempt(c echo.Context) error {
	id, err := uuid.Parse(c.Param("attempt_id"))
	if err != nil {
		return ErrAttemptNotFound
	}
	a, err := p.svc.GetAttempt(c.Request().Context(), id)
	if err != nil {
		return err
	}
	data := attemptPage{Attempt: a, ServerNow: time.Now().UTC()}
	for _, s := range a.Slots {
		data.Questions = append(data.Questions, toQuestionPage(s, a))
	}
	name := "quiz/result"
	if a.State == StateInProgress {
		name = "quiz/take"
	}
	return p.site.Render(c, http.StatusOK, name, data)
}

func toQuestionPage(s Slot, a AttemptView) questionPage {
	view := s.Content.View(s.OptionOrder)
	q := questionPage{Slot: s.Slot, Type: view.Type, Stem: view.Stem, Points: s.Points, Seq: s.Seq, Units: view.Units}
	for _, m := range s.Media {
		q.Media = append(q.Media, mediaPage{Kind: mediaKind(m.ContentType), URL: m.URL})
	}
	var saved savedAnswer
	if len(s.Response) > 0 {
		_ = json.Unmarshal(s.Response, &saved) // stored answers were checked on save
	}
	options := view.Options
	if view.Type == TypeOrdering && len(saved.Order) == len(options) {
		options = orderedBy(options, saved.Order)
	}
	correct := map[string]bool{}
	for _, o := range s.Content.Body.Options {
		correct[o.ID] = o.Weight > 0
	}
	for _, o := range options {
		q.Options = append(q.Options, optionPage{ID: o.ID, Text: o.Text, Correct: a.ShowAnswers && correct[o.ID],
			Chosen: saved.Choice == o.ID || slices.Contains(saved.Choices, o.ID)})
	}
	for _, pr := range view.Prompts {
		q.Prompts = append(q.Prompts, promptPage{ID: pr.ID, Text: pr.Text, Chosen: saved.Pairs[pr.ID]})
	}
	q.Text, q.Unit = saved.Text, saved.Unit
	if len(saved.Value) > 0 {
		switch v := string(saved.Value); v {
		case "true", "false":
			q.Bool = v
		default:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q.Number = strconv.FormatFloat(f, 'f', -1, 64)
			}
		}
	}
	if a.ShowScore && a.State != StateInProgress {
		q.Score = s.Score
	}
	if a.ShowFeedback {
		q.Feedback = s.Content.Feedback
	}
	return q
}

func orderedBy(options []LearnerOption, order []string) []LearnerOption {
	out := make([]LearnerOption, 0, len(options))
	for _, id := range order {
		for _, o := range options {
			if o.ID == id {
				out = append(out, o)
			}
		}
	}
	if len(out) != len(options) {
		return options
	}
	return out
}
