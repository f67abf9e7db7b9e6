package assignment

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/web"
)

func (h *Handler) exportSubmissions(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	j, err := h.svc.StartExport(c.Request().Context(), classID, itemID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, job.Location(j.ID))
	return c.JSON(http.StatusAccepted, job.NewResponse(j))
}

type fileResponse struct {
	FileID      uuid.UUID `json:"file_id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	DownloadURL string    `json:"download_url,omitempty"`
}

type submissionResponse struct {
	ID             uuid.UUID      `json:"id"`
	AssignmentID   uuid.UUID      `json:"assignment_id"`
	ClassID        uuid.UUID      `json:"class_id"`
	Number         int            `json:"number"`
	OwnerID        *uuid.UUID     `json:"owner_id"`
	GroupID        *uuid.UUID     `json:"group_id"`
	SubmittedBy    *uuid.UUID     `json:"submitted_by"`
	Anonymous      bool           `json:"anonymous"`
	Text           string         `json:"text"`
	Links          []string       `json:"links"`
	Files          []fileResponse `json:"files"`
	SubmittedAt    time.Time      `json:"submitted_at"`
	Late           bool           `json:"late"`
	DaysLate       int            `json:"days_late"`
	PenaltyPercent float64        `json:"penalty_percent"`
	Flags          []flagResponse `json:"flags,omitempty"`
}

type flagResponse struct {
	Kind              string    `json:"kind"`
	OtherSubmissionID uuid.UUID `json:"other_submission_id"`
	Score             float64   `json:"score"`
}

func toFlagResponses(flags []Flag) []flagResponse {
	out := make([]flagResponse, len(flags))
	for i, f := range flags {
		out[i] = flagResponse{Kind: f.Kind, OtherSubmissionID: f.OtherSubmissionID, Score: f.Score}
	}
	return out
}

// toSubmissionResponse shows a submission; anonymous hides who handed it in.
func toSubmissionResponse(sub Submission, anonymous bool, downloads map[uuid.UUID]string) submissionResponse {
	r := submissionResponse{ID: sub.ID, AssignmentID: sub.AssignmentID, ClassID: sub.ClassID, Number: sub.Number,
		Anonymous: anonymous, Text: sub.Text, Links: sub.Links, SubmittedAt: sub.SubmittedAt, Late: sub.DaysLate > 0,
		DaysLate: sub.DaysLate, PenaltyPercent: sub.PenaltyPercent, Files: make([]fileResponse, len(sub.Files))}
	if !anonymous {
		owner, by := sub.OwnerID, sub.SubmittedBy
		r.OwnerID, r.GroupID, r.SubmittedBy = &owner, sub.GroupID, &by
	}
	for i, f := range sub.Files {
		r.Files[i] = fileResponse{FileID: f.FileID, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size,
			SHA256: f.SHA256, DownloadURL: downloads[f.FileID]}
	}
	return r
}

func (h *Handler) submit(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	var req struct {
		FileIDs []uuid.UUID `json:"file_ids"`
		Text    string      `json:"text"`
		Links   []string    `json:"links"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	sub, created, err := h.svc.Submit(c.Request().Context(), classID, itemID, SubmitInput{FileIDs: req.FileIDs, Text: req.Text,
		Links: req.Links, IdempotencyKey: c.Request().Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toSubmissionResponse(sub, false, nil))
}

func (h *Handler) listSubmissions(c echo.Context) error {
	classID, itemID, err := classItemIDs(c)
	if err != nil {
		return err
	}
	list, err := h.svc.ListSubmissions(c.Request().Context(), classID, itemID)
	if err != nil {
		return err
	}
	items := make([]submissionResponse, len(list.Items))
	for i, sub := range list.Items {
		items[i] = toSubmissionResponse(sub, list.Anonymous, nil)
		items[i].Flags = toFlagResponses(list.Flags[sub.ID])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

func (h *Handler) getSubmission(c echo.Context) error {
	id, err := web.PathID(c, "submission_id", ErrSubmissionNotFound)
	if err != nil {
		return err
	}
	v, err := h.svc.GetSubmission(c.Request().Context(), id)
	if err != nil {
		return err
	}
	r := toSubmissionResponse(v.Submission, v.Anonymous, v.Downloads)
	r.Flags = toFlagResponses(v.Flags)
	return c.JSON(http.StatusOK, r)
}
