package quiz

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"github.com/corpu/corpu/internal/platform/apperr"
)

var (
	htmlPolicy = bluemonday.UGCPolicy()
	htmlStrip  = bluemonday.StrictPolicy()
)

// sanitize returns rich text with everything executable removed.
func sanitize(s string) string { return strings.TrimSpace(htmlPolicy.Sanitize(s)) }

// Response is a learner's answer to one question, in the shape of its type:
//
//	single choice    {"choice": "id"}
//	multiple choice  {"choices": ["id", …]}
//	true/false       {"value": true}
//	short answer     {"text": "…"}          (essay too)
//	numeric          {"value": 3.12, "unit": "%"}
//	matching         {"pairs": {"prompt id": "option id"}}
//	ordering         {"order": ["id", …]}
type Response struct {
	Choice  string
	Choices []string
	Bool    bool
	Text    string
	Number  float64
	Unit    string
	Pairs   map[string]string
	Order   []string
}

// ErrResponseShape is an answer that is not of its question's shape.
var ErrResponseShape = apperr.New(apperr.KindInvalid, "quiz.response_shape",
	"Jawaban tidak sesuai dengan jenis soal.", "The answer does not have the shape of its question's type.")

// ErrResponseText is an answer whose text cannot be stored.
var ErrResponseText = apperr.New(apperr.KindInvalid, "quiz.response_text",
	"Jawaban memuat karakter yang tidak dapat disimpan.", "The answer holds characters that cannot be stored.")

// Wire shapes, decoded strictly.
type (
	choiceWire struct {
		Choice *string `json:"choice"`
	}
	choicesWire struct {
		Choices *[]string `json:"choices"`
	}
	boolWire struct {
		Value *bool `json:"value"`
	}
	textWire struct {
		Text *string `json:"text"`
	}
	numberWire struct {
		Value *float64 `json:"value"`
		Unit  *string  `json:"unit"`
	}
	pairsWire struct {
		Pairs *map[string]string `json:"pairs"`
	}
	orderWire struct {
		Order *[]string `json:"order"`
	}
)

func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data")
	}
	return nil
}

// shapeError names what the answer of a type must look like.
func shapeError(t Type) error {
	want := map[Type]string{
		TypeSingleChoice: `{"choice": "<option id>"}`, TypeMultipleChoice: `{"choices": ["<option id>", …]}`,
		TypeTrueFalse: `{"value": true|false}`, TypeShortAnswer: `{"text": "…"}`, TypeEssay: `{"text": "…"}`,
		TypeNumeric: `{"value": <number>, "unit": "…"}`, TypeMatching: `{"pairs": {"<prompt id>": "<option id>"}}`,
		TypeOrdering: `{"order": ["<option id>", …]}`,
	}[t]
	if want == "" {
		return ErrResponseShape.WithExtension("expected", "no answer: a description is not answered")
	}
	return ErrResponseShape.WithExtension("expected", want)
}

// ParseResponse decodes and checks an answer to a question: the shape of its
// type, option ids that the question has, each at most once, and sizes. It
// is the check a save runs before anything is written.
func ParseResponse(c Content, raw []byte) (Response, error) {
	r, ok := parseResponse(c, raw)
	if !ok {
		return Response{}, shapeError(c.Type)
	}
	return r, nil
}

// parseResponse is ParseResponse without the error, which costs more to
// build than a well-formed answer costs to parse: grading parses every
// saved answer of an attempt.
func parseResponse(c Content, raw []byte) (r Response, ok bool) {
	const bad = false
	ids := func() map[string]bool {
		m := make(map[string]bool, len(c.Body.Options))
		for _, o := range c.Body.Options {
			m[o.ID] = true
		}
		return m
	}
	switch c.Type {
	case TypeSingleChoice:
		var w choiceWire
		if decodeStrict(raw, &w) != nil || w.Choice == nil || !hasOption(c.Body, *w.Choice) {
			return r, bad
		}
		r.Choice = *w.Choice
	case TypeMultipleChoice:
		var w choicesWire
		if decodeStrict(raw, &w) != nil || w.Choices == nil {
			return r, bad
		}
		known, seen := ids(), map[string]bool{}
		for _, id := range *w.Choices {
			if !known[id] || seen[id] {
				return r, bad
			}
			seen[id] = true
		}
		r.Choices = *w.Choices
	case TypeTrueFalse:
		var w boolWire
		if decodeStrict(raw, &w) != nil || w.Value == nil {
			return r, bad
		}
		r.Bool = *w.Value
	case TypeShortAnswer, TypeEssay:
		var w textWire
		limit := maxText
		if c.Type == TypeEssay {
			limit = maxEssay
		}
		if decodeStrict(raw, &w) != nil || w.Text == nil || utf8.RuneCountInString(*w.Text) > limit {
			return r, bad
		}
		r.Text = *w.Text
		if c.Type == TypeEssay {
			r.Text = sanitize(r.Text)
		}
	case TypeNumeric:
		var w numberWire
		if decodeStrict(raw, &w) != nil || w.Value == nil || !finite(*w.Value) {
			return r, bad
		}
		r.Number = *w.Value
		if w.Unit != nil {
			if utf8.RuneCountInString(*w.Unit) > 20 {
				return r, bad
			}
			r.Unit = strings.TrimSpace(*w.Unit)
		}
	case TypeMatching:
		var w pairsWire
		if decodeStrict(raw, &w) != nil || w.Pairs == nil {
			return r, bad
		}
		known := ids()
		prompts := make(map[string]bool, len(c.Body.Prompts))
		for _, p := range c.Body.Prompts {
			prompts[p.ID] = true
		}
		for left, right := range *w.Pairs {
			if !prompts[left] || !known[right] {
				return r, bad
			}
		}
		r.Pairs = *w.Pairs
	case TypeOrdering:
		var w orderWire
		if decodeStrict(raw, &w) != nil || w.Order == nil || len(*w.Order) != len(c.Body.Options) {
			return r, bad
		}
		known, seen := ids(), map[string]bool{}
		for _, id := range *w.Order {
			if !known[id] || seen[id] {
				return r, bad
			}
			seen[id] = true
		}
		r.Order = *w.Order
	default:
		return r, bad
	}
	return r, true
}

// hasOption reports whether the question has an option of this id.
func hasOption(b Body, id string) bool {
	for _, o := range b.Options {
		if o.ID == id {
			return true
		}
	}
	return false
}

// Grade returns the fraction (0..1) of the question's marks the answer
// earns. ok is false for a type graded by hand (essay) or not at all
// (description).
func Grade(c Content, r Response) (fraction float64, ok bool) {
	b := c.Body
	switch c.Type {
	case TypeSingleChoice:
		for _, o := range b.Options {
			if o.ID == r.Choice {
				return clamp(o.Weight), true
			}
		}
		return 0, true
	case TypeMultipleChoice:
		sum := 0.0
		for _, id := range r.Choices {
			for _, o := range b.Options {
				if o.ID == id {
					sum += o.Weight
					break
				}
			}
		}
		return clamp(sum), true
	case TypeTrueFalse:
		if b.Correct != nil && *b.Correct == r.Bool {
			return 1, true
		}
		return 0, true
	case TypeShortAnswer:
		best := 0.0
		for _, a := range b.TextAnswers {
			if a.Credit > best && MatchText(a.Text, r.Text, b.Match == MatchExact) {
				best = a.Credit
			}
		}
		return clamp(best), true
	case TypeNumeric:
		return gradeNumeric(b, r), true
	case TypeMatching:
		if len(b.Prompts) == 0 {
			return 0, true
		}
		right := 0
		for _, p := range b.Prompts {
			if r.Pairs[p.ID] == p.Answer {
				right++
			}
		}
		return float64(right) / float64(len(b.Prompts)), true
	case TypeOrdering:
		if len(b.Options) == 0 || len(r.Order) != len(b.Options) {
			return 0, true
		}
		right := 0
		for i, o := range b.Options {
			if r.Order[i] == o.ID {
				right++
			}
		}
		if b.Scoring == OrderByPosition {
			return float64(right) / float64(len(b.Options)), true
		}
		if right == len(b.Options) {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func clamp(f float64) float64 { return math.Max(0, math.Min(1, f)) }

func gradeNumeric(b Body, r Response) float64 {
	value := r.Number
	if len(b.Units) > 0 {
		switch {
		case r.Unit == "" && b.UnitRequired:
			return 0
		case r.Unit == "":
			value /= b.Units[0].Multiplier
		default:
			found := false
			for _, u := range b.Units {
				if strings.EqualFold(u.Name, r.Unit) {
					value /= u.Multiplier
					found = true
					break
				}
			}
			if !found {
				return 0
			}
		}
	} else if r.Unit != "" {
		return 0
	}
	best := 0.0
	for _, a := range b.Numeric {
		// A relative slack absorbs the rounding of the unit conversion.
		slack := a.Tolerance + 1e-9*math.Max(1, math.Abs(a.Value))
		if math.Abs(value-a.Value) <= slack && a.Credit > best {
			best = a.Credit
		}
	}
	return clamp(best)
}

// MatchText reports whether answer matches the accepted pattern: "*" matches
// any run of characters; unless exact, case and runs of white space do not
// count. The ends are trimmed either way.
func MatchText(pattern, answer string, exact bool) bool {
	pattern, answer = strings.TrimSpace(pattern), strings.TrimSpace(answer)
	if !exact {
		pattern, answer = foldSpace(pattern), foldSpace(answer)
	}
	return wildcard(pattern, answer)
}

// foldSpace lower-cases s and turns every run of white space into one space.
func foldSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteString(strings.ToLower(string(r)))
	}
	return b.String()
}

// wildcard matches s against p, where '*' matches any run of characters, in
// linear time (the classic greedy algorithm with one backtrack point).
func wildcard(p, s string) bool {
	pr, sr := []rune(p), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(sr) {
		switch {
		case pi < len(pr) && pr[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pr) && pr[pi] == sr[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '*' {
		pi++
	}
	return pi == len(pr)
}
