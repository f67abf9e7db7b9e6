// Package quiz holds assessment: question banks owned by an organisation and
// shared like courses, questions with versions, quizzes that are content
// items of a course version, attempts taken in a class with a frozen layout,
// answers saved with a sequence number, and grading in a worker.
package quiz

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Type is the kind of a question: what a learner answers and how it is graded.
type Type string

// The question types.
const (
	TypeSingleChoice   Type = "single_choice"   // one option; its weight is the credit
	TypeMultipleChoice Type = "multiple_choice" // several options; weights add up, never below 0
	TypeTrueFalse      Type = "true_false"
	TypeShortAnswer    Type = "short_answer" // text compared with accepted answers
	TypeNumeric        Type = "numeric"      // a number within a tolerance, with units
	TypeMatching       Type = "matching"     // each prompt to one of the options (distractors allowed)
	TypeOrdering       Type = "ordering"     // the options in the right order
	TypeEssay          Type = "essay"        // graded by hand
	TypeDescription    Type = "description"  // text between questions; no answer, no grade
)

// Types lists every question type, for validation.
var Types = []Type{TypeSingleChoice, TypeMultipleChoice, TypeTrueFalse, TypeShortAnswer, TypeNumeric,
	TypeMatching, TypeOrdering, TypeEssay, TypeDescription}

// Valid reports whether t is a known type.
func (t Type) Valid() bool {
	for _, x := range Types {
		if x == t {
			return true
		}
	}
	return false
}

// AutoGraded reports whether the server grades answers of this type.
func (t Type) AutoGraded() bool { return t != TypeEssay && t != TypeDescription }

// Graded reports whether the type carries marks at all (a description does not).
func (t Type) Graded() bool { return t != TypeDescription }

// Option is a choice of a choice question, an item of an ordering question or
// an answer on the right side of a matching question. Weight is the fraction
// of the question's marks a choice earns (-1..1); ordering and matching
// options carry none.
type Option struct {
	ID       string  `json:"id"`
	Text     string  `json:"text"`
	Weight   float64 `json:"weight,omitempty"`
	Feedback string  `json:"feedback,omitempty"`
}

// Prompt is the left side of a matching question with the id of its right
// option.
type Prompt struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Answer string `json:"answer"`
}

// TextAnswer is an accepted answer of a short-answer question: "*" matches
// any run of characters.
type TextAnswer struct {
	Text     string  `json:"text"`
	Credit   float64 `json:"credit"` // 0..1
	Feedback string  `json:"feedback,omitempty"`
}

// NumericAnswer is an accepted value of a numeric question, in the base unit.
type NumericAnswer struct {
	Value     float64 `json:"value"`
	Tolerance float64 `json:"tolerance"` // absolute, ≥ 0
	Credit    float64 `json:"credit"`    // 0..1
	Feedback  string  `json:"feedback,omitempty"`
}

// Unit is a unit a numeric answer may be given in: a value v in it is
// v / Multiplier in the base unit (the base unit's multiplier is 1; "cm"
// with multiplier 100 when the base is "m").
type Unit struct {
	Name       string  `json:"name"`
	Multiplier float64 `json:"multiplier"`
}

// Matching modes of short answers.
const (
	MatchNormalized = "normalized" // case and runs of white space do not count (the default)
	MatchExact      = "exact"      // byte for byte, after trimming the ends
)

// Scoring rules of ordering questions.
const (
	// OrderAllOrNothing gives full credit for the whole order right, none otherwise (the default).
	OrderAllOrNothing = "all_or_nothing"
	// OrderByPosition gives each option in its right position an equal share.
	OrderByPosition = "by_position"
)

// Body is what a question is beyond its stem: the options, keys and rules of
// its type. Fields that a type does not use stay empty.
type Body struct {
	Options      []Option        `json:"options,omitempty"`
	Prompts      []Prompt        `json:"prompts,omitempty"`
	Correct      *bool           `json:"correct,omitempty"` // true/false
	TextAnswers  []TextAnswer    `json:"text_answers,omitempty"`
	Match        string          `json:"match,omitempty"`
	Numeric      []NumericAnswer `json:"numeric_answers,omitempty"`
	Units        []Unit          `json:"units,omitempty"`
	UnitRequired bool            `json:"unit_required,omitempty"`
	Scoring      string          `json:"scoring,omitempty"` // ordering
}

// Content is one version of a question: what a learner reads and how their
// answer is graded.
type Content struct {
	Type     Type
	Stem     string // HTML, sanitized on write
	Points   float64
	Feedback string // general feedback, shown when review allows
	Body     Body
	// Media are the uploaded files (purpose question_media) the stem shows,
	// handed to learners as short-lived URLs with the attempt's layout.
	Media []Media
	// KeyRevision counts the corrections of the version's key (1 before
	// any); 0 when not read from the database.
	KeyRevision int
}

// Media is an image, audio or video file a question's stem shows.
type Media struct {
	FileID      uuid.UUID `json:"file_id"`
	ContentType string    `json:"content_type"` // as sniffed at upload
}

// maxMedia bounds the files one question shows.
const maxMedia = 10

// Limits of a question.
const (
	maxStem     = 20000
	maxOptions  = 50
	maxText     = 2000
	maxEssay    = 50000
	maxIDLength = 40
)

// NewOptionID returns a random option id; ids never hint at the right answer.
func NewOptionID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Normalize fills what an author may leave out (option ids, the default
// match and scoring, the points) and sanitizes text; Validate checks the rest.
func (c *Content) Normalize() {
	c.Stem = sanitize(strings.TrimSpace(c.Stem))
	c.Feedback = sanitize(strings.TrimSpace(c.Feedback))
	if c.Points == 0 && c.Type.Graded() {
		c.Points = 1
	}
	if !c.Type.Graded() {
		c.Points = 0
	}
	b := &c.Body
	for i := range b.Options {
		if b.Options[i].ID == "" {
			b.Options[i].ID = NewOptionID()
		}
		b.Options[i].Text = sanitize(strings.TrimSpace(b.Options[i].Text))
		b.Options[i].Feedback = sanitize(strings.TrimSpace(b.Options[i].Feedback))
	}
	for i := range b.Prompts {
		if b.Prompts[i].ID == "" {
			b.Prompts[i].ID = NewOptionID()
		}
		b.Prompts[i].Text = sanitize(strings.TrimSpace(b.Prompts[i].Text))
	}
	if c.Type == TypeShortAnswer && b.Match == "" {
		b.Match = MatchNormalized
	}
	if c.Type == TypeOrdering && b.Scoring == "" {
		b.Scoring = OrderAllOrNothing
	}
	for i := range b.Units {
		b.Units[i].Name = strings.TrimSpace(b.Units[i].Name)
		if b.Units[i].Multiplier == 0 {
			b.Units[i].Multiplier = 1
		}
	}
}

const eps = 1e-9

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Validate checks a question's content against the rules of its type.
func (c Content) Validate() error {
	var v apperr.Validation
	if !c.Type.Valid() {
		v.Add("type", "jenis soal tidak dikenal", "unknown question type")
		return v.Err()
	}
	v.Check(c.Stem != "", "stem", "wajib diisi", "is required")
	v.Check(utf8.RuneCountInString(c.Stem) <= maxStem, "stem", "terlalu panjang", "is too long")
	v.Check(finite(c.Points) && c.Points >= 0 && c.Points <= 1000, "points", "harus antara 0 dan 1000", "must be between 0 and 1000")
	v.Check(len(c.Media) <= maxMedia, "media", "paling banyak 10 berkas", "must have at most 10 files")
	seenMedia := map[uuid.UUID]bool{}
	for i, m := range c.Media {
		field := fmt.Sprintf("media[%d].file_id", i)
		v.Check(m.FileID != uuid.Nil, field, "wajib diisi", "is required")
		v.Check(!seenMedia[m.FileID], field, "berkas yang sama disebut dua kali", "names the same file twice")
		seenMedia[m.FileID] = true
	}
	b := c.Body
	unused := func(ok bool, field string) {
		v.Check(ok, "body."+field, "tidak berlaku untuk jenis soal ini", "does not apply to this question type")
	}
	usesOptions := c.Type == TypeSingleChoice || c.Type == TypeMultipleChoice || c.Type == TypeMatching || c.Type == TypeOrdering
	unused(usesOptions || len(b.Options) == 0, "options")
	unused(c.Type == TypeMatching || len(b.Prompts) == 0, "prompts")
	unused(c.Type == TypeTrueFalse || b.Correct == nil, "correct")
	unused(c.Type == TypeShortAnswer || len(b.TextAnswers) == 0, "text_answers")
	unused(c.Type == TypeShortAnswer || b.Match == "", "match")
	unused(c.Type == TypeNumeric || (len(b.Numeric) == 0 && len(b.Units) == 0 && !b.UnitRequired), "numeric_answers")
	unused(c.Type == TypeOrdering || b.Scoring == "", "scoring")
	if usesOptions {
		checkOptions(&v, c.Type, b.Options)
	}
	switch c.Type {
	case TypeSingleChoice:
		best := 0.0
		for _, o := range b.Options {
			best = math.Max(best, o.Weight)
		}
		v.Check(math.Abs(best-1) < eps, "body.options", "satu pilihan harus bernilai penuh (bobot 1)", "one option must carry full credit (weight 1)")
	case TypeMultipleChoice:
		sum := 0.0
		for _, o := range b.Options {
			if o.Weight > 0 {
				sum += o.Weight
			}
		}
		v.Check(math.Abs(sum-1) < 1e-6, "body.options", "bobot positif harus berjumlah 1", "the positive weights must add up to 1")
	case TypeTrueFalse:
		v.Check(b.Correct != nil, "body.correct", "wajib diisi", "is required")
	case TypeShortAnswer:
		v.Check(b.Match == MatchNormalized || b.Match == MatchExact, "body.match", "harus normalized atau exact", "must be normalized or exact")
		checkCredits(&v, "body.text_answers", len(b.TextAnswers), func(i int) float64 { return b.TextAnswers[i].Credit })
		for i, a := range b.TextAnswers {
			t := strings.TrimSpace(a.Text)
			v.Check(t != "" && strings.Trim(t, "*") != "" || t == "*", fmt.Sprintf("body.text_answers[%d].text", i), "wajib diisi", "is required")
			v.Check(utf8.RuneCountInString(a.Text) <= maxText, fmt.Sprintf("body.text_answers[%d].text", i), "terlalu panjang", "is too long")
		}
	case TypeNumeric:
		checkCredits(&v, "body.numeric_answers", len(b.Numeric), func(i int) float64 { return b.Numeric[i].Credit })
		for i, a := range b.Numeric {
			v.Check(finite(a.Value) && finite(a.Tolerance) && a.Tolerance >= 0, fmt.Sprintf("body.numeric_answers[%d]", i),
				"nilai dan toleransi harus bilangan, toleransi ≥ 0", "value and tolerance must be numbers, tolerance ≥ 0")
		}
		seen := map[string]bool{}
		for i, u := range b.Units {
			f := fmt.Sprintf("body.units[%d]", i)
			v.Check(u.Name != "" && utf8.RuneCountInString(u.Name) <= 20, f+".name", "wajib diisi, paling banyak 20 karakter", "is required, at most 20 characters")
			v.Check(finite(u.Multiplier) && u.Multiplier > 0, f+".multiplier", "harus lebih dari 0", "must be greater than 0")
			v.Check(!seen[u.Name], f+".name", "satuan ganda", "duplicate unit")
			seen[u.Name] = true
		}
		v.Check(!b.UnitRequired || len(b.Units) > 0, "body.unit_required", "perlu daftar satuan", "needs a list of units")
	case TypeMatching:
		v.Check(len(b.Prompts) >= 2 && len(b.Prompts) <= maxOptions, "body.prompts", "harus 2 sampai 50", "must be 2 to 50")
		ids := map[string]bool{}
		for _, o := range b.Options {
			ids[o.ID] = true
		}
		for i, p := range b.Prompts {
			f := fmt.Sprintf("body.prompts[%d]", i)
			v.Check(p.Text != "" && utf8.RuneCountInString(p.Text) <= maxText, f+".text", "wajib diisi, paling banyak 2000 karakter", "is required, at most 2000 characters")
			v.Check(validID(p.ID) && !ids[p.ID], f+".id", "tidak valid atau ganda", "is invalid or duplicate")
			ids[p.ID] = true
			found := false
			for _, o := range b.Options {
				found = found || o.ID == p.Answer
			}
			v.Check(found, f+".answer", "harus menyebut salah satu pilihan", "must name one of the options")
		}
	case TypeOrdering:
		v.Check(b.Scoring == OrderAllOrNothing || b.Scoring == OrderByPosition, "body.scoring", "harus all_or_nothing atau by_position", "must be all_or_nothing or by_position")
	}
	return v.Err()
}

func checkOptions(v *apperr.Validation, t Type, options []Option) {
	v.Check(len(options) >= 2 && len(options) <= maxOptions, "body.options", "harus 2 sampai 50 pilihan", "must have 2 to 50 options")
	ids := map[string]bool{}
	for i, o := range options {
		f := fmt.Sprintf("body.options[%d]", i)
		v.Check(validID(o.ID) && !ids[o.ID], f+".id", "tidak valid atau ganda", "is invalid or duplicate")
		ids[o.ID] = true
		v.Check(o.Text != "" && utf8.RuneCountInString(o.Text) <= maxText, f+".text", "wajib diisi, paling banyak 2000 karakter", "is required, at most 2000 characters")
		v.Check(finite(o.Weight) && o.Weight >= -1 && o.Weight <= 1, f+".weight", "harus antara -1 dan 1", "must be between -1 and 1")
		if t == TypeMatching || t == TypeOrdering {
			v.Check(o.Weight == 0, f+".weight", "tidak berlaku untuk jenis soal ini", "does not apply to this question type")
		}
		if t == TypeSingleChoice {
			v.Check(o.Weight >= 0, f+".weight", "harus antara 0 dan 1", "must be between 0 and 1")
		}
	}
}

// checkCredits wants at least one answer, credits in 0..1 and one with full credit.
func checkCredits(v *apperr.Validation, field string, n int, credit func(int) float64) {
	v.Check(n > 0 && n <= maxOptions, field, "harus 1 sampai 50 jawaban", "must have 1 to 50 answers")
	full := false
	for i := 0; i < n; i++ {
		c := credit(i)
		v.Check(finite(c) && c >= 0 && c <= 1, fmt.Sprintf("%s[%d].credit", field, i), "harus antara 0 dan 1", "must be between 0 and 1")
		full = full || math.Abs(c-1) < eps
	}
	v.Check(n == 0 || full, field, "satu jawaban harus bernilai penuh (credit 1)", "one answer must carry full credit (credit 1)")
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLength {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// LearnerOption is an option as a learner sees it: no weight, no feedback.
type LearnerOption struct {
	ID   string
	Text string
}

// LearnerView is a question as a learner sees it in an attempt: the options in
// the attempt's order and nothing that gives the answer away.
type LearnerView struct {
	Type    Type
	Stem    string
	Points  float64
	Options []LearnerOption // choices, ordering items, matching answers
	Prompts []LearnerOption // matching: the left side
	Units   []string        // numeric
}

// View returns the learner's view with the options in order (option ids;
// unknown ids are skipped and missing ones appended, so a view is always
// complete).
func (c Content) View(order []string) LearnerView {
	v := LearnerView{Type: c.Type, Stem: c.Stem, Points: c.Points, Options: []LearnerOption{}}
	for _, o := range orderOptions(c.Body.Options, order) {
		v.Options = append(v.Options, LearnerOption{ID: o.ID, Text: o.Text})
	}
	for _, p := range c.Body.Prompts {
		v.Prompts = append(v.Prompts, LearnerOption{ID: p.ID, Text: p.Text})
	}
	for _, u := range c.Body.Units {
		v.Units = append(v.Units, u.Name)
	}
	return v
}

func orderOptions(options []Option, order []string) []Option {
	if len(order) == 0 {
		return options
	}
	byID := make(map[string]Option, len(options))
	for _, o := range options {
		byID[o.ID] = o
	}
	out := make([]Option, 0, len(options))
	used := map[string]bool{}
	for _, id := range order {
		if o, ok := byID[id]; ok && !used[id] {
			out = append(out, o)
			used[id] = true
		}
	}
	for _, o := range options {
		if !used[o.ID] {
			out = append(out, o)
		}
	}
	return out
}

// OptionIDs returns the ids of the options, in the author's order.
func (c Content) OptionIDs() []string {
	ids := make([]string, len(c.Body.Options))
	for i, o := range c.Body.Options {
		ids[i] = o.ID
	}
	return ids
}
