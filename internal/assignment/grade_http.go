package assignment

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

type gradeResponse struct {
	SubmissionID    uuid.UUID         `json:"submission_id"`
	Role            string            `json:"role"`
	GraderID        uuid.UUID         `json:"grader_id"`
	Points          float64           `json:"points"`
	Levels          map[string]string `json:"levels"`
	Feedback        string            `json:"feedback"`
	FeedbackFileIDs []uuid.UUID       `json:"feedback_file_ids"`
	GradedAt        time.Time         `json:"graded_at"`
}

func toGradeResponse(g Grade) gradeResponse {
	return gradeResponse{SubmissionID: g.SubmissionID, Role: g.Role, GraderID: g.GraderID, Points: g.Points, Levels: g.Levels,
		Feedback: g.Feedback, FeedbackFileIDs: g.FeedbackFileIDs, GradedAt: g.GradedAt}
}

func (h *Handler) gradeSubmission(c echo.Context) error {
	id, err := web.PathID(c, "submission_id", ErrSubmissionNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Role            string            `json:"role"`
		Points          *float64          `json:"points"`
		Levels          map[string]string `json:"levels"`
		Feedback        string            `json:"feedback"`
		FeedbackFileIDs []uuid.UUID       `json:"feedback_file_ids"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	g, err := h.svc.GradeSubmission(c.Request().Context(), id, GradeInput(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toGradeResponse(g))
}

func (h *Handler) listGrades(c echo.Context) error {
	id, err := web.PathID(c, "submission_id", ErrSubmissionNotFound)
	if err != nil {
		return err
	}
	gs, err := h.svc.Grades(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(gs, toGradeResponse)})
}

func (h *Handler) release(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	sum, err := h.svc.Release(c.Request().Context(), classID, itemID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"released": sum.Released, "unchanged": sum.Unchanged, "pending": sum.Pending})
}

type resultResponse struct {
	Released      bool              `json:"released"`
	SubmissionID  *uuid.UUID        `json:"submission_id,omitempty"`
	Points        *float64          `json:"points,omitempty"`
	MaxPoints     *float64          `json:"max_points,omitempty"`
	ReleasedAt    *time.Time        `json:"released_at,omitempty"`
	Levels        map[string]string `json:"levels,omitempty"`
	Feedback      string            `json:"feedback,omitempty"`
	FeedbackFiles map[string]string `json:"feedback_files,omitempty"`
}

func (h *Handler) myResult(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	v, err := h.svc.MyResult(c.Request().Context(), classID, itemID)
	if err != nil {
		return err
	}
	if !v.Released {
		return c.JSON(http.StatusOK, resultResponse{})
	}
	r := v.Result
	files := make(map[string]string, len(v.Downloads))
	for id, u := range v.Downloads {
		files[id.String()] = u
	}
	return c.JSON(http.StatusOK, resultResponse{Released: true, SubmissionID: &r.SubmissionID, Points: &r.Points, MaxPoints: &r.MaxPoints,
		ReleasedAt: &r.ReleasedAt, Levels: v.Grade.Levels, Feedback: v.Grade.Feedback, FeedbackFiles: files})
}
