package quiz

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves question banks, quizzes and attempts under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the quiz HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/question-banks", h.listBanks)
	api.POST("/question-banks", h.createBank)
	api.GET("/question-banks/:bank_id", h.getBank)
	api.PATCH("/question-banks/:bank_id", h.updateBank)
	api.GET("/question-banks/:bank_id/categories", h.listCategories)
	api.POST("/question-banks/:bank_id/categories", h.createCategory)
	api.GET("/question-banks/:bank_id/questions", h.listQuestions)
	api.POST("/question-banks/:bank_id/questions", h.createQuestion)
	api.GET("/question-banks/:bank_id/questions/:question_id", h.getQuestion)
	api.PATCH("/question-banks/:bank_id/questions/:question_id", h.updateQuestion)
	api.DELETE("/question-banks/:bank_id/questions/:question_id", h.archiveQuestion)
	api.POST("/question-banks/:bank_id/imports", h.startImport)
	api.GET("/question-banks/:bank_id/export", h.exportBank)

	api.GET("/quizzes/:quiz_id", h.getQuiz)
	api.PUT("/quizzes/:quiz_id", h.setQuiz)
	api.POST("/quizzes/:quiz_id/statistics", h.startStatistics)
	api.POST("/quizzes/:quiz_id/regrade", h.startRegrade)
	api.PUT("/question-banks/:bank_id/questions/:question_id/versions/:number/key", h.fixKey)
	api.PUT("/classes/:class_id/quizzes/:quiz_id/settings", h.setClassSettings)
	api.PUT("/classes/:class_id/quizzes/:quiz_id/extra-attempts/:user_id", h.setExtraAttempts)
	api.GET("/classes/:class_id/quizzes/:quiz_id/attempts", h.listClassAttempts)
	api.GET("/classes/:class_id/quizzes/:quiz_id/grading-queue", h.gradingQueue)

	api.POST("/quizzes/:quiz_id/attempts", h.startAttempt)
	api.GET("/attempts/:attempt_id", h.getAttempt)
	api.PUT("/attempts/:attempt_id/answers/:slot", h.saveAnswer)
	api.POST("/attempts/:attempt_id/submit", h.submit)
	api.POST("/attempts/:attempt_id/slots/:slot/grade", h.gradeSlot)
}

// --- banks ---

type bankRequest struct {
	OrgID        uuid.UUID    `json:"org_id"`
	Name         *string      `json:"name"`
	Description  *string      `json:"description"`
	Sharing      *Sharing     `json:"sharing"`
	SharedOrgIDs *[]uuid.UUID `json:"shared_org_ids"`
}

func (r bankRequest) toInput() BankInput {
	return BankInput{OrgID: r.OrgID, Name: r.Name, Description: r.Description, Sharing: r.Sharing, SharedOrgIDs: r.SharedOrgIDs}
}

type bankResponse struct {
	ID           uuid.UUID   `json:"id"`
	OrgID        uuid.UUID   `json:"org_id"`
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	Sharing      Sharing     `json:"sharing"`
	SharedOrgIDs []uuid.UUID `json:"shared_org_ids"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

func toBankResponse(b Bank) bankResponse {
	return bankResponse{ID: b.ID, OrgID: b.OrgID, Name: b.Name, Description: b.Description, Sharing: b.Sharing,
		SharedOrgIDs: nonNil(b.SharedOrgIDs), CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

func (h *Handler) listBanks(c echo.Context) error {
	req, err := web.PageRequest(c, "name")
	if err != nil {
		return err
	}
	res, err := h.svc.Banks(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toBankResponse))
}

func (h *Handler) createBank(c echo.Context) error {
	var req bankRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	b, err := h.svc.CreateBank(c.Request().Context(), req.toInput())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/question-banks/"+b.ID.String())
	return c.JSON(http.StatusCreated, toBankResponse(b))
}

func (h *Handler) getBank(c echo.Context) error {
	id, err := web.PathID(c, "bank_id", ErrBankNotFound)
	if err != nil {
		return err
	}
	b, err := h.svc.Bank(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toBankResponse(b))
}

func (h *Handler) updateBank(c echo.Context) error {
	id, err := web.PathID(c, "bank_id", ErrBankNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Name         *string      `json:"name"`
		Description  *string      `json:"description"`
		Sharing      *Sharing     `json:"sharing"`
		SharedOrgIDs *[]uuid.UUID `json:"shared_org_ids"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	b, err := h.svc.UpdateBank(c.Request().Context(), id, BankInput{Name: req.Name, Description: req.Description,
		Sharing: req.Sharing, SharedOrgIDs: req.SharedOrgIDs})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toBankResponse(b))
}

// --- categories ---

type categoryResponse struct {
	ID       uuid.UUID  `json:"id"`
	BankID   uuid.UUID  `json:"bank_id"`
	ParentID *uuid.UUID `json:"parent_id"`
	Name     string     `json:"name"`
}

func toCategoryResponse(c Category) categoryResponse {
	return categoryResponse{ID: c.ID, BankID: c.BankID, ParentID: c.ParentID, Name: c.Name}
}

func (h *Handler) listCategories(c echo.Context) error {
	id, err := web.PathID(c, "bank_id", ErrBankNotFound)
	if err != nil {
		return err
	}
	cats, err := h.svc.Categories(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.ListResponse[categoryResponse]{Items: web.ConvertAll(cats, toCategoryResponse)})
}

func (h *Handler) createCategory(c echo.Context) error {
	id, err := web.PathID(c, "bank_id", ErrBankNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Name     string     `json:"name"`
		ParentID *uuid.UUID `json:"parent_id"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	cat, err := h.svc.CreateCategory(c.Request().Context(), id, req.ParentID, req.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toCategoryResponse(cat))
}

// --- questions ---

// questionRequest is a question with its content flat: the type, stem,
// points, feedback and the type's fields (options, prompts, correct, …).
type questionRequest struct {
	CategoryID     *uuid.UUID `json:"category_id"`
	Name           *string    `json:"name"`
	CompetencyTags *[]string  `json:"competency_tags"`
	Type           *Type      `json:"type"`
	Stem           string     `json:"stem"`
	Points         float64    `json:"points"`
	Feedback       string     `json:"feedback"`
	Media          []struct {
		FileID uuid.UUID `json:"file_id"`
	} `json:"media"`
	Body
}

func (r questionRequest) toInput() QuestionInput {
	in := QuestionInput{CategoryID: r.CategoryID, Name: r.Name, CompetencyTags: r.CompetencyTags}
	if r.Type != nil {
		in.Content = &Content{Type: *r.Type, Stem: r.Stem, Points: r.Points, Feedback: r.Feedback, Body: r.Body}
		for _, m := range r.Media {
			in.Content.Media = append(in.Content.Media, Media{FileID: m.FileID})
		}
	}
	return in
}

type questionResponse struct {
	ID             uuid.UUID  `json:"id"`
	BankID         uuid.UUID  `json:"bank_id"`
	CategoryID     *uuid.UUID `json:"category_id"`
	Name           string     `json:"name"`
	CompetencyTags []string   `json:"competency_tags"`
	Version        int        `json:"version"`
	Type           Type       `json:"type"`
	Stem           string     `json:"stem"`
	Points         float64    `json:"points"`
	Feedback       string     `json:"feedback"`
	Media          []Media    `json:"media"`
	Body
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toQuestionResponse(q Question) questionResponse {
	return questionResponse{ID: q.ID, BankID: q.BankID, CategoryID: q.CategoryID, Name: q.Name,
		CompetencyTags: nonNil(q.CompetencyTags), Version: q.Version, Type: q.Content.Type, Stem: q.Content.Stem,
		Points: q.Content.Points, Feedback: q.Content.Feedback, Media: nonNil(q.Content.Media), Body: q.Content.Body,
		CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
}

func questionIDs(c echo.Context) (bankID, questionID uuid.UUID, err error) {
	if bankID, err = web.PathID(c, "bank_id", ErrBankNotFound); err != nil {
		return
	}
	questionID, err = web.PathID(c, "question_id", ErrQuestionNotFound)
	return
}

func (h *Handler) listQuestions(c echo.Context) error {
	id, err := web.PathID(c, "bank_id", ErrBankNotFound)
	if err != nil {
		return err
	}
	var v apperr.Validation
	f := QuestionFilter{CategoryID: web.QueryID(c, &v, "category_id"), Tag: strings.TrimSpace(web.QueryText(c, &v, "tag"))}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "name")
	if err != nil {
		return err
	}
	res, err := h.svc.Questions(c.Request().Context(), id, f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toQuestionResponse))
}

func (h *Handler) createQuestion(c echo.Context) error {
	id, err := web.PathID(c, "bank_id", ErrBankNotFound)
	if err != nil {
		return err
	}
	var req questionRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	q, err := h.svc.CreateQuestion(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/question-banks/"+id.String()+"/questions/"+q.ID.String())
	return c.JSON(http.StatusCreated, toQuestionResponse(q))
}

func (h *Handler) getQuestion(c echo.Context) error {
	bankID, id, err := questionIDs(c)
	if err != nil {
		return err
	}
	q, err := h.svc.Question(c.Request().Context(), bankID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toQuestionResponse(q))
}

func (h *Handler) updateQuestion(c echo.Context) error {
	bankID, id, err := questionIDs(c)
	if err != nil {
		return err
	}
	var req questionRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	q, err := h.svc.UpdateQuestion(c.Request().Context(), bankID, id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toQuestionResponse(q))
}

func (h *Handler) archiveQuestion(c echo.Context) error {
	bankID, id, err := questionIDs(c)
	if err != nil {
		return err
	}
	if err := h.svc.ArchiveQuestion(c.Request().Context(), bankID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
