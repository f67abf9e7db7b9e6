package assignment

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/web"
)

type peerReviewResponse struct {
	ID           uuid.UUID           `json:"id"`
	SubmissionID uuid.UUID           `json:"submission_id"`
	ReviewerID   *uuid.UUID          `json:"reviewer_id"`
	DueAt        time.Time           `json:"due_at"`
	Levels       map[string]string   `json:"levels"`
	Points       *float64            `json:"points"`
	Comment      string              `json:"comment"`
	SubmittedAt  *time.Time          `json:"submitted_at"`
	Submission   *submissionResponse `json:"submission,omitempty"`
}

// toPeerReviewResponse shows a review; anonymous hides its reviewer.
func toPeerReviewResponse(t PeerTask, anonymous bool) peerReviewResponse {
	r := peerReviewResponse{ID: t.ID, SubmissionID: t.SubmissionID, DueAt: t.DueAt, Levels: t.Levels, Points: t.Points,
		Comment: t.Comment, SubmittedAt: t.SubmittedAt}
	if !anonymous {
		id := t.ReviewerID
		r.ReviewerID = &id
	}
	return r
}

func (h *Handler) allocatePeerReviews(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	n, err := h.svc.AllocatePeerReviews(c.Request().Context(), classID, itemID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"allocated": n})
}

func (h *Handler) myPeerReviews(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	tasks, views, err := h.svc.MyPeerReviews(c.Request().Context(), classID, itemID)
	if err != nil {
		return err
	}
	items := make([]peerReviewResponse, len(tasks))
	for i, t := range tasks {
		items[i] = toPeerReviewResponse(t, false)
		v := views[t.SubmissionID]
		sub := toSubmissionResponse(v.Submission, true, v.Downloads)
		items[i].Submission = &sub
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

func (h *Handler) submitPeerReview(c echo.Context) error {
	id, err := web.PathID(c, "review_id", ErrPeerReviewNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Levels  map[string]string `json:"levels"`
		Comment string            `json:"comment"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	t, err := h.svc.SubmitPeerReview(c.Request().Context(), id, req.Levels, req.Comment)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPeerReviewResponse(t, false))
}

func (h *Handler) submissionReviews(c echo.Context) error {
	id, err := web.PathID(c, "submission_id", ErrSubmissionNotFound)
	if err != nil {
		return err
	}
	tasks, anonymous, err := h.svc.ReviewsOf(c.Request().Context(), id)
	if err != nil {
		return err
	}
	items := make([]peerReviewResponse, len(tasks))
	for i, t := range tasks {
		items[i] = toPeerReviewResponse(t, anonymous)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}
