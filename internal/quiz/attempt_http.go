package quiz

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/web"
)

// --- quizzes ---

// optionalInt is a field that may be absent, null or a number.
type optionalInt struct {
	set   bool
	value *int
}

func (o *optionalInt) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		return nil
	}
	var v int
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.value = &v
	return nil
}

type quizRequest struct {
	Sections         *[]Section  `json:"sections"`
	ShuffleQuestions *bool       `json:"shuffle_questions"`
	ShuffleOptions   *bool       `json:"shuffle_options"`
	TimeLimitSeconds optionalInt `json:"time_limit_seconds"`
	AttemptsAllowed  *int        `json:"attempts_allowed"`
	GradingMethod    *string     `json:"grading_method"`
	PassMark         *float64    `json:"pass_mark"`
	Review           *Review     `json:"review"`
	TestKind         *string     `json:"test_kind"`
}

func (r quizRequest) toInput() QuizInput {
	in := QuizInput{Sections: r.Sections, ShuffleQuestions: r.ShuffleQuestions, ShuffleOptions: r.ShuffleOptions,
		AttemptsAllowed: r.AttemptsAllowed, GradingMethod: r.GradingMethod, PassMark: r.PassMark, Review: r.Review, TestKind: r.TestKind}
	if r.TimeLimitSeconds.set {
		in.TimeLimitSeconds = &r.TimeLimitSeconds.value
	}
	return in
}

type quizResponse struct {
	ID               uuid.UUID `json:"id"`
	VersionID        uuid.UUID `json:"version_id"`
	Sections         []Section `json:"sections"`
	ShuffleQuestions bool      `json:"shuffle_questions"`
	ShuffleOptions   bool      `json:"shuffle_options"`
	TimeLimitSeconds *int      `json:"time_limit_seconds"`
	AttemptsAllowed  int       `json:"attempts_allowed"`
	GradingMethod    string    `json:"grading_method"`
	PassMark         float64   `json:"pass_mark"`
	Review           Review    `json:"review"`
	TestKind         string    `json:"test_kind"`
	UpdatedAt        time.Time `json:"updated_at"`
}

func toQuizResponse(q Quiz) quizResponse {
	return quizResponse{ID: q.ItemID, VersionID: q.VersionID, Sections: nonNil(q.Sections), ShuffleQuestions: q.ShuffleQuestions,
		ShuffleOptions: q.ShuffleOptions, TimeLimitSeconds: q.TimeLimitSeconds, AttemptsAllowed: q.AttemptsAllowed,
		GradingMethod: q.GradingMethod, PassMark: q.PassMark, Review: q.Review, TestKind: q.TestKind, UpdatedAt: q.UpdatedAt}
}

func (h *Handler) getQuiz(c echo.Context) error {
	id, err := web.PathID(c, "quiz_id", ErrQuizNotFound)
	if err != nil {
		return err
	}
	q, err := h.svc.GetQuiz(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toQuizResponse(q))
}

func (h *Handler) setQuiz(c echo.Context) error {
	id, err := web.PathID(c, "quiz_id", ErrQuizNotFound)
	if err != nil {
		return err
	}
	var req quizRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	q, created, err := h.svc.SetQuiz(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toQuizResponse(q))
}

func classQuizIDs(c echo.Context) (classID, quizID uuid.UUID, err error) {
	if classID, err = web.PathID(c, "class_id", ErrQuizNotFound); err != nil {
		return
	}
	quizID, err = web.PathID(c, "quiz_id", ErrQuizNotFound)
	return
}

type classSettingsResponse struct {
	ClassID          uuid.UUID  `json:"class_id"`
	QuizID           uuid.UUID  `json:"quiz_id"`
	OpensAt          *time.Time `json:"opens_at"`
	ClosesAt         *time.Time `json:"closes_at"`
	TimeLimitSeconds *int       `json:"time_limit_seconds"`
}

func (h *Handler) setClassSettings(c echo.Context) error {
	classID, quizID, err := classQuizIDs(c)
	if err != nil {
		return err
	}
	var req struct {
		OpensAt          *time.Time `json:"opens_at"`
		ClosesAt         *time.Time `json:"closes_at"`
		TimeLimitSeconds *int       `json:"time_limit_seconds"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	cs, err := h.svc.SetClassSettings(c.Request().Context(), ClassSettings{ClassID: classID, QuizID: quizID,
		OpensAt: req.OpensAt, ClosesAt: req.ClosesAt, TimeLimitSeconds: req.TimeLimitSeconds})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, classSettingsResponse{ClassID: cs.ClassID, QuizID: cs.QuizID, OpensAt: cs.OpensAt,
		ClosesAt: cs.ClosesAt, TimeLimitSeconds: cs.TimeLimitSeconds})
}

func (h *Handler) setExtraAttempts(c echo.Context) error {
	classID, quizID, err := classQuizIDs(c)
	if err != nil {
		return err
	}
	userID, err := web.PathID(c, "user_id", ErrQuizNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Extra int `json:"extra"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if err := h.svc.SetExtraAttempts(c.Request().Context(), classID, quizID, userID, req.Extra); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"class_id": classID, "quiz_id": quizID, "user_id": userID, "extra": req.Extra})
}

// --- attempts ---

// slotResponse is a question of an attempt with the caller's answer and,
// as review allows, its score, key and feedback.
type slotResponse struct {
	questionView
	Response json.RawMessage `json:"response"`
	Seq      int64           `json:"seq"`
	Score    *float64        `json:"score,omitempty"`
	MaxScore *float64        `json:"max_score,omitempty"`
	Key      *Body           `json:"key,omitempty"`
	Feedback *string         `json:"feedback,omitempty"`
	Comment  *string         `json:"comment,omitempty"`
}

type attemptResponse struct {
	ID         uuid.UUID      `json:"id"`
	QuizID     uuid.UUID      `json:"quiz_id"`
	ClassID    uuid.UUID      `json:"class_id"`
	UserID     uuid.UUID      `json:"user_id"`
	Number     int            `json:"number"`
	State      string         `json:"state"`
	StartedAt  time.Time      `json:"started_at"`
	Deadline   *time.Time     `json:"deadline"`
	FinishedAt *time.Time     `json:"finished_at"`
	Score      *float64       `json:"score"`
	MaxScore   *float64       `json:"max_score"`
	Passed     *bool          `json:"passed"`
	Questions  []slotResponse `json:"questions"`
}

func toAttemptResponse(v AttemptView) attemptResponse {
	r := attemptResponse{ID: v.ID, QuizID: v.QuizID, ClassID: v.ClassID, UserID: v.UserID, Number: v.Number, State: v.State,
		StartedAt: v.StartedAt, Deadline: v.Deadline, FinishedAt: v.FinishedAt, Questions: make([]slotResponse, len(v.Slots))}
	if v.ShowScore {
		r.Score, r.Passed = v.Score, v.Passed
	}
	max := v.MaxScore
	r.MaxScore = &max
	for i, sl := range v.Slots {
		sr := slotResponse{questionView: toQuestionView(sl.Slot, sl.Content.View(sl.OptionOrder)), Response: sl.Response, Seq: sl.Seq}
		sr.Points = sl.Points
		sr.Media = toMediaResponses(sl.Media)
		if len(sr.Response) == 0 {
			sr.Response = json.RawMessage("null")
		}
		if sl.Type.Graded() {
			points := sl.Points
			sr.MaxScore = &points
			if v.ShowScore {
				sr.Score = sl.Score
			}
		}
		if v.ShowAnswers && sl.Type.AutoGraded() {
			key := sl.Content.Body
			sr.Key = &key
		}
		if v.ShowFeedback {
			fb, comment := sl.Content.Feedback, sl.Comment
			sr.Feedback, sr.Comment = &fb, &comment
		}
		r.Questions[i] = sr
	}
	return r
}

func (h *Handler) startAttempt(c echo.Context) error {
	quizID, err := web.PathID(c, "quiz_id", ErrQuizNotFound)
	if err != nil {
		return err
	}
	var req struct {
		ClassID uuid.UUID `json:"class_id"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if req.ClassID == uuid.Nil {
		return ErrQuizNotFound
	}
	a, err := h.svc.Start(c.Request().Context(), quizID, req.ClassID)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if a.Resumed {
		status = http.StatusOK
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/attempts/"+a.ID.String())
	return c.JSON(status, toAttemptResponse(a))
}

func (h *Handler) getAttempt(c echo.Context) error {
	id, err := web.PathID(c, "attempt_id", ErrAttemptNotFound)
	if err != nil {
		return err
	}
	a, err := h.svc.GetAttempt(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAttemptResponse(a))
}

func slotParam(c echo.Context) (int, error) {
	n, err := strconv.Atoi(c.Param("slot"))
	if err != nil || n < 1 || n > 10000 {
		return 0, ErrSlotNotFound
	}
	return n, nil
}

func (h *Handler) saveAnswer(c echo.Context) error {
	id, err := web.PathID(c, "attempt_id", ErrAttemptNotFound)
	if err != nil {
		return err
	}
	slot, err := slotParam(c)
	if err != nil {
		return err
	}
	var req struct {
		Seq      int64           `json:"seq"`
		Response json.RawMessage `json:"response"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	seq, err := h.svc.SaveAnswer(c.Request().Context(), id, slot, req.Seq, req.Response)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"slot": slot, "seq": seq})
}

func (h *Handler) submit(c echo.Context) error {
	id, err := web.PathID(c, "attempt_id", ErrAttemptNotFound)
	if err != nil {
		return err
	}
	a, err := h.svc.Submit(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAttemptResponse(a))
}

func (h *Handler) gradeSlot(c echo.Context) error {
	id, err := web.PathID(c, "attempt_id", ErrAttemptNotFound)
	if err != nil {
		return err
	}
	slot, err := slotParam(c)
	if err != nil {
		return err
	}
	var req struct {
		Score   float64 `json:"score"`
		Comment string  `json:"comment"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	a, err := h.svc.GradeSlot(c.Request().Context(), id, slot, req.Score, req.Comment)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAttemptResponse(a))
}

type attemptSummaryResponse struct {
	ID         uuid.UUID  `json:"id"`
	UserID     uuid.UUID  `json:"user_id"`
	Number     int        `json:"number"`
	State      string     `json:"state"`
	StartedAt  time.Time  `json:"started_at"`
	Deadline   *time.Time `json:"deadline"`
	FinishedAt *time.Time `json:"finished_at"`
	Score      *float64   `json:"score"`
	MaxScore   float64    `json:"max_score"`
	Passed     *bool      `json:"passed"`
}

func toAttemptSummaryResponse(a Attempt) attemptSummaryResponse {
	return attemptSummaryResponse{ID: a.ID, UserID: a.UserID, Number: a.Number, State: a.State, StartedAt: a.StartedAt,
		Deadline: a.Deadline, FinishedAt: a.FinishedAt, Score: a.Score, MaxScore: a.MaxScore, Passed: a.Passed}
}

func (h *Handler) listClassAttempts(c echo.Context) error {
	classID, quizID, err := classQuizIDs(c)
	if err != nil {
		return err
	}
	var v apperr.Validation
	f := AttemptFilter{State: c.QueryParam("state"), UserID: web.QueryID(c, &v, "user_id")}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "id")
	if err != nil {
		return err
	}
	res, err := h.svc.ClassAttempts(c.Request().Context(), classID, quizID, f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toAttemptSummaryResponse))
}

type pendingEssayResponse struct {
	AttemptID  uuid.UUID       `json:"attempt_id"`
	UserID     uuid.UUID       `json:"user_id"`
	Slot       int             `json:"slot"`
	QuestionID uuid.UUID       `json:"question_id"`
	MaxScore   float64         `json:"max_score"`
	Response   json.RawMessage `json:"response"`
}

func toPendingEssayResponse(p PendingEssay) pendingEssayResponse {
	r := pendingEssayResponse{AttemptID: p.AttemptID, UserID: p.UserID, Slot: p.Slot, QuestionID: p.QuestionID, MaxScore: p.Points, Response: p.Response}
	if len(r.Response) == 0 {
		r.Response = json.RawMessage("null")
	}
	return r
}

func (h *Handler) gradingQueue(c echo.Context) error {
	classID, quizID, err := classQuizIDs(c)
	if err != nil {
		return err
	}
	var v apperr.Validation
	questionID := web.QueryID(c, &v, "question_id")
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "slot")
	if err != nil {
		return err
	}
	res, err := h.svc.GradingQueue(c.Request().Context(), classID, quizID, questionID, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toPendingEssayResponse))
}

func (h *Handler) startStatistics(c echo.Context) error {
	id, err := web.PathID(c, "quiz_id", ErrQuizNotFound)
	if err != nil {
		return err
	}
	j, err := h.svc.StartStatistics(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, job.Location(j.ID))
	return c.JSON(http.StatusAccepted, job.NewResponse(j))
}
