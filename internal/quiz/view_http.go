package quiz

import (
	"time"

	"github.com/google/uuid"
)

// optionResponse is an option as a learner sees it.
type optionResponse struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// questionView is a question of an attempt as a learner sees it: no answer
// keys, no feedback, the options in the attempt's order.
type questionView struct {
	Slot    int              `json:"slot"`
	Type    Type             `json:"type"`
	Stem    string           `json:"stem"`
	Points  float64          `json:"points"`
	Options []optionResponse `json:"options"`
	Prompts []optionResponse `json:"prompts,omitempty"`
	Units   []string         `json:"units,omitempty"`
	Media   []mediaResponse  `json:"media,omitempty"`
}

// mediaResponse is a medium of a stem with its short-lived URL.
type mediaResponse struct {
	FileID      uuid.UUID `json:"file_id"`
	ContentType string    `json:"content_type"`
	URL         string    `json:"url"`
	ExpiresAt   time.Time `json:"expires_at"`
}

func toMediaResponses(in []MediaLink) []mediaResponse {
	if len(in) == 0 {
		return nil
	}
	out := make([]mediaResponse, len(in))
	for i, m := range in {
		out[i] = mediaResponse{FileID: m.FileID, ContentType: m.ContentType, URL: m.URL, ExpiresAt: m.ExpiresAt.UTC()}
	}
	return out
}

func toOptionResponses(in []LearnerOption) []optionResponse {
	if in == nil {
		return nil
	}
	out := make([]optionResponse, len(in))
	for i, o := range in {
		out[i] = optionResponse{ID: o.ID, Text: o.Text}
	}
	return out
}

func toQuestionView(slot int, v LearnerView) questionView {
	opts := toOptionResponses(v.Options)
	if opts == nil {
		opts = []optionResponse{}
	}
	return questionView{Slot: slot, Type: v.Type, Stem: v.Stem, Points: v.Points, Options: opts,
		Prompts: toOptionResponses(v.Prompts), Units: v.Units}
}
