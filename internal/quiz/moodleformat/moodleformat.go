// Package moodleformat reads and writes the two question formats that agencies
// migrating from Moodle bring with them: Moodle XML (the "Moodle XML format" of the
// question bank export) and GIFT (the plain-text format).
//
// The package is standalone: it depends on the standard library only and has its own
// types, which mirror what the files can say rather than Corpu's question model. The
// quiz domain maps them onto its model, skipping the questions the parsers flag.
//
// Parsing never fails on a single bad question. A file that cannot be read as a whole
// (broken XML, a root element other than <quiz>, a read error) is an error; a question
// that is unsupported or invalid is still returned, in file order, together with a
// Problem that names it, so that the caller can report every question of the file as
// imported or skipped with a reason.
//
// The readers follow Moodle's own importers (question/format/xml and
// question/format/gift in Moodle 4.x, and qtype_ordering), with a few deliberate
// leniencies that Moodle lacks: GIFT's {T}/{F} are read in any letter case, "=%50%"
// gives a weight to a right answer of a choice question, a blank line inside an open
// answer block followed by more answers does not end the question, and an XML file
// declared ISO-8859-1 or windows-1252 is read. The writers produce what Moodle 4.x
// writes, so that Moodle imports their files again.
//
// Typical use:
//
//	res, err := moodleformat.ParseXML(file) // or ParseGIFT
//	if err != nil { /* the file as a whole is unreadable: 4xx */ }
//	for i, q := range res.Questions {
//		if p := res.ProblemAt(i); p != nil {
//			// skipped: p.Code, p.Reason (English), p.ReasonID (Indonesian)
//			continue
//		}
//		// map q onto the quiz model; q.Category via SplitCategory
//	}
package moodleformat

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// QuestionType is the Moodle question type name as written in Moodle XML
// (<question type="...">). Types that this package understands have constants below;
// any other type found in a file is kept verbatim (for example "ddwtos", "gapselect",
// "calculatedmulti", "randomsamatch") so that the caller can say what it skipped.
type QuestionType string

// The question types this package parses completely.
const (
	// TypeMultichoice is a choice question: one answer (Single) or several answers
	// (partial credit, negative fractions allowed).
	TypeMultichoice QuestionType = "multichoice"
	// TypeTrueFalse has exactly two answers, "true" and "false", in that order; the
	// correct one has Fraction 1.
	TypeTrueFalse QuestionType = "truefalse"
	// TypeShortAnswer compares a typed text with the answers; "*" is a wildcard.
	TypeShortAnswer QuestionType = "shortanswer"
	// TypeNumerical compares a typed number with the answers (each with a Tolerance);
	// an answer "*" matches any other number (it carries the feedback for wrong ones).
	TypeNumerical QuestionType = "numerical"
	// TypeMatching pairs each Subquestion's Text with its Answer; a Subquestion with
	// empty Text is a distractor (an extra answer to choose from).
	TypeMatching QuestionType = "matching"
	// TypeOrdering is Moodle's qtype_ordering: Answers are the items in their correct
	// order (Fraction is unused).
	TypeOrdering QuestionType = "ordering"
	// TypeEssay is graded by hand; it has no answers.
	TypeEssay QuestionType = "essay"
	// TypeDescription is text without a grade.
	TypeDescription QuestionType = "description"
)

// Moodle types this package recognises but does not parse. They are reported with
// CodeUnsupportedType. The list is informative: any unknown type is unsupported too.
const (
	TypeCloze            QuestionType = "cloze" // Moodle XML writes multianswer as "cloze"
	TypeMultianswer      QuestionType = "multianswer"
	TypeCalculated       QuestionType = "calculated"
	TypeCalculatedSimple QuestionType = "calculatedsimple"
	TypeCalculatedMulti  QuestionType = "calculatedmulti"
	TypeDDWTOS           QuestionType = "ddwtos"
	TypeDDImageOrText    QuestionType = "ddimageortext"
	TypeDDMarker         QuestionType = "ddmarker"
	TypeGapSelect        QuestionType = "gapselect"
	TypeRandomSAMatch    QuestionType = "randomsamatch"
)

// Supported reports whether the type is one this package parses completely.
func (t QuestionType) Supported() bool {
	switch t {
	case TypeMultichoice, TypeTrueFalse, TypeShortAnswer, TypeNumerical, TypeMatching,
		TypeOrdering, TypeEssay, TypeDescription:
		return true
	}
	return false
}

// TextFormat is the format of a text, with Moodle XML's names.
type TextFormat string

// The text formats. Moodle's "wiki_like" is read as FormatMoodle; anything unknown is
// read as FormatHTML, as Moodle itself does.
const (
	FormatHTML     TextFormat = "html"
	FormatMoodle   TextFormat = "moodle_auto_format"
	FormatPlain    TextFormat = "plain_text"
	FormatMarkdown TextFormat = "markdown"
)

// Defaults Moodle applies when a file does not say.
const (
	DefaultGrade   = 1.0
	DefaultPenalty = 0.3333333
)

// Question is one question of a file. Fields that do not apply to the Type are zero.
type Question struct {
	// Name is the question's name in the bank. GIFT questions without ::name:: get
	// the start of their text, as Moodle does.
	Name string
	// Type is the Moodle type; see QuestionType.
	Type QuestionType
	// Text is the question text (stem), in TextFormat. Embedded images are
	// referenced as "@@PLUGINFILE@@/name" and carried in Files.
	Text       string
	TextFormat TextFormat
	// DefaultGrade is the question's maximum mark (Moodle's defaultmark); 0 for
	// descriptions.
	DefaultGrade float64
	// Penalty is the fraction lost per wrong try in interactive modes (0..1).
	Penalty float64
	// GeneralFeedback is shown to every learner after the attempt, in TextFormat.
	GeneralFeedback string
	// Answers: choices (multichoice), the two answers "true" and "false" (truefalse),
	// accepted texts (shortanswer), accepted numbers (numerical), items in correct
	// order (ordering). Empty for matching, essay and description.
	Answers []Answer
	// Single is true when a multichoice question accepts one answer only.
	Single bool
	// ShuffleAnswers asks for the choices (multichoice) or answers (matching) to be
	// shown in a random order.
	ShuffleAnswers bool
	// UseCase makes a shortanswer comparison case-sensitive.
	UseCase bool
	// Units of a numerical question; the first has Multiplier 1 and is the unit the
	// answers are in.
	Units []Unit
	// Subquestions of a matching question.
	Subquestions []Subquestion
	// GraderInfo is the information for graders of an essay, in TextFormat.
	GraderInfo string
	// Category is the bank category path the question belongs to, as the file wrote
	// it, e.g. "$course$/top/Literasi Digital/Keamanan" (see SplitCategory). Empty
	// when the file set no category before the question.
	Category string
	// IDNumber is Moodle's optional per-category identifier.
	IDNumber string
	// Tags are the question's tags (competency tags, for example).
	Tags []string
	// Files are the files embedded in the question's texts (question text, general
	// feedback, answers, feedback), referenced from the texts as
	// "@@PLUGINFILE@@/Name".
	Files []File
}

// Answer is one answer of a question.
type Answer struct {
	// Text is the answer text; for numerical a number or "*" (any other answer).
	Text string
	// Fraction is the share of the mark this answer earns, 0..1; multichoice allows
	// negative fractions down to -1. Moodle files write it in percent ("33.33333",
	// "-50"); it is stored here divided by 100 and rounded to 7 decimals.
	Fraction float64
	// Feedback is shown to a learner who gave this answer.
	Feedback string
	// Tolerance is the accepted error (±) of a numerical answer.
	Tolerance float64
}

// Unit is a unit accepted by a numerical question. Multiplier converts from the first
// unit: a value v in the first unit is v*Multiplier in this one (Moodle's convention:
// answer 5 with units {m, 1} and {cm, 100} accepts "5 m" and "500 cm").
type Unit struct {
	Name       string
	Multiplier float64
}

// Subquestion is one left-hand item of a matching question and its right-hand answer.
// An empty Text makes Answer a distractor.
type Subquestion struct {
	Text   string
	Answer string
}

// File is a file embedded in a question (Moodle XML <file name=".." encoding="base64">).
type File struct {
	// Name is the file name the texts refer to as "@@PLUGINFILE@@/Name".
	Name string
	// Path is the file's folder, "/" for almost every file.
	Path string
	// Encoding is the encoding the file was written with; always "base64".
	Encoding string
	// Data is the decoded content.
	Data []byte
}

// Result is what a parser found in a file.
type Result struct {
	// Questions are all the questions of the file in file order, categories
	// excluded; the position in this slice is the question's index. Questions that
	// cannot be imported are included and have a Problem.
	Questions []Question
	// Problems name the questions that must be skipped, at most one per question,
	// in index order.
	Problems []Problem
}

// ProblemAt returns the problem of the question at index i, or nil if it has none.
func (r *Result) ProblemAt(i int) *Problem {
	k := sort.Search(len(r.Problems), func(k int) bool { return r.Problems[k].Index >= i })
	if k < len(r.Problems) && r.Problems[k].Index == i {
		return &r.Problems[k]
	}
	return nil
}

// Problem says why a question cannot be imported.
type Problem struct {
	// Index is the question's position in Result.Questions.
	Index int
	// Name and Type repeat the question's, for reports.
	Name string
	Type QuestionType
	// Code is a stable machine-readable reason; see the Code constants.
	Code string
	// Reason is a sentence in English, ReasonID the same in Indonesian; both may name
	// the detail (which answer, which value).
	Reason   string
	ReasonID string
}

// Problem codes.
const (
	// CodeUnsupportedType: a Moodle type Corpu does not have (cloze, drag and drop,
	// calculated, ...).
	CodeUnsupportedType = "unsupported_type"
	// CodeNoAnswers: a question that needs answers has none.
	CodeNoAnswers = "no_answers"
	// CodeTooFewAnswers: fewer answers, items or pairs than the type needs.
	CodeTooFewAnswers = "too_few_answers"
	// CodeNoCorrectAnswer: no answer (or, for multiple-answer multichoice, no set of
	// answers) earns the full mark.
	CodeNoCorrectAnswer = "no_correct_answer"
	// CodeFractionOutOfRange: an answer's fraction lies outside what the type allows.
	CodeFractionOutOfRange = "fraction_out_of_range"
	// CodeInvalidNumber: a numerical answer, tolerance or unit multiplier is not a
	// number.
	CodeInvalidNumber = "invalid_number"
	// CodeEmptyText: the question has no text.
	CodeEmptyText = "empty_text"
	// CodeInvalidFile: an embedded file cannot be decoded.
	CodeInvalidFile = "invalid_file"
	// CodeMalformed: the question cannot be read (GIFT syntax error, a value that is
	// not a number, ...).
	CodeMalformed = "malformed"
)

func newProblem(i int, q *Question, code, en, id string) Problem {
	return Problem{Index: i, Name: q.Name, Type: q.Type, Code: code, Reason: en, ReasonID: id}
}

// SplitCategory splits a category path into its category names, without Moodle's
// context prefix ("$course$", "$system$", "$module$", "$cat$") and its "top" level.
// Moodle writes a "/" inside a name as "//":
// "$course$/top/Literasi Digital/Keamanan" gives ["Literasi Digital", "Keamanan"].
func SplitCategory(path string) []string {
	path = strings.TrimSpace(path)
	if path == "" {
		return nil
	}
	const slash = "\x00"
	path = strings.ReplaceAll(path, "//", slash)
	parts := strings.Split(path, "/")
	var out []string
	for i, p := range parts {
		p = strings.TrimSpace(strings.ReplaceAll(p, slash, "/"))
		if i == 0 && strings.HasPrefix(p, "$") && strings.HasSuffix(p, "$") && len(p) > 1 {
			continue
		}
		if p == "top" && len(out) == 0 {
			continue
		}
		if p == "" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// JoinCategory is the inverse of SplitCategory: the path of the category names
// under the course's top, a "/" inside a name written as "//":
// ["Literasi Digital", "Keamanan"] gives "$course$/top/Literasi Digital/Keamanan".
// No names give "".
func JoinCategory(names []string) string {
	if len(names) == 0 {
		return ""
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = strings.ReplaceAll(n, "/", "//")
	}
	return "$course$/top/" + strings.Join(parts, "/")
}

// validate checks a parsed question of a supported type and returns a problem for the
// first defect, or nil.
func validate(i int, q *Question) *Problem {
	if !q.Type.Supported() {
		p := newProblem(i, q, CodeUnsupportedType,
			fmt.Sprintf("question type %q is not supported", q.Type),
			fmt.Sprintf("jenis soal %q tidak didukung", q.Type))
		return &p
	}
	bad := func(code, en, id string) *Problem {
		p := newProblem(i, q, code, en, id)
		return &p
	}
	if strings.TrimSpace(q.Text) == "" {
		return bad(CodeEmptyText, "the question has no text", "soal tidak memiliki teks")
	}
	noAnswers := func() *Problem {
		return bad(CodeNoAnswers, "the question has no answers", "soal tidak memiliki jawaban")
	}
	noCorrect := func() *Problem {
		return bad(CodeNoCorrectAnswer, "no answer earns the full mark", "tidak ada jawaban yang bernilai penuh")
	}
	tooFew := func(n int, en, id string) *Problem {
		return bad(CodeTooFewAnswers, fmt.Sprintf("the question needs at least %d %s", n, en),
			fmt.Sprintf("soal memerlukan sedikitnya %d %s", n, id))
	}
	outOfRange := func(k int, a Answer) *Problem {
		pct := trimFloat(a.Fraction * 100)
		return bad(CodeFractionOutOfRange,
			fmt.Sprintf("answer %d has a grade of %s%%, outside the allowed range", k+1, pct),
			fmt.Sprintf("jawaban %d bernilai %s%%, di luar rentang yang diizinkan", k+1, pct))
	}
	const eps = 1e-6
	switch q.Type {
	case TypeMultichoice:
		if len(q.Answers) == 0 {
			return noAnswers()
		}
		if len(q.Answers) < 2 {
			return tooFew(2, "answers", "jawaban")
		}
		maxF, sum := -2.0, 0.0
		for k, a := range q.Answers {
			if a.Fraction < -1-eps || a.Fraction > 1+eps {
				return outOfRange(k, a)
			}
			maxF = max(maxF, a.Fraction)
			if a.Fraction > 0 {
				sum += a.Fraction
			}
		}
		if q.Single && maxF < 1-eps {
			return noCorrect()
		}
		if !q.Single && sum <= 0 {
			return noCorrect()
		}
		if !q.Single && (sum < 1-0.001 || sum > 1+0.001) {
			return bad(CodeNoCorrectAnswer,
				fmt.Sprintf("the positive grades add up to %s%%, not 100%%", trimFloat(sum*100)),
				fmt.Sprintf("jumlah nilai positif %s%%, bukan 100%%", trimFloat(sum*100)))
		}
	case TypeTrueFalse:
		if len(q.Answers) != 2 {
			return noAnswers()
		}
		right := 0
		for k, a := range q.Answers {
			if a.Fraction != 0 && a.Fraction != 1 {
				return outOfRange(k, a)
			}
			if a.Fraction == 1 {
				right++
			}
		}
		if right != 1 {
			return noCorrect()
		}
	case TypeShortAnswer, TypeNumerical:
		if len(q.Answers) == 0 {
			return noAnswers()
		}
		maxF := 0.0
		for k, a := range q.Answers {
			if a.Fraction < -eps || a.Fraction > 1+eps {
				return outOfRange(k, a)
			}
			maxF = max(maxF, a.Fraction)
			if q.Type == TypeNumerical && a.Text != "*" {
				if _, ok := parseNumber(a.Text); !ok {
					return bad(CodeInvalidNumber,
						fmt.Sprintf("answer %d (%q) is not a number", k+1, a.Text),
						fmt.Sprintf("jawaban %d (%q) bukan angka", k+1, a.Text))
				}
			}
			if a.Tolerance < 0 {
				return bad(CodeInvalidNumber,
					fmt.Sprintf("answer %d has a negative tolerance", k+1),
					fmt.Sprintf("toleransi jawaban %d negatif", k+1))
			}
		}
		if maxF < 1-eps {
			return noCorrect()
		}
		for k, u := range q.Units {
			if u.Multiplier <= 0 || strings.TrimSpace(u.Name) == "" {
				return bad(CodeInvalidNumber,
					fmt.Sprintf("unit %d has no name or a multiplier that is not positive", k+1),
					fmt.Sprintf("satuan %d tidak bernama atau pengalinya tidak positif", k+1))
			}
		}
	case TypeMatching:
		if len(q.Subquestions) == 0 {
			return noAnswers()
		}
		pairs := 0
		for k, s := range q.Subquestions {
			if strings.TrimSpace(s.Answer) == "" {
				return bad(CodeMalformed,
					fmt.Sprintf("pair %d has no answer", k+1),
					fmt.Sprintf("pasangan %d tidak memiliki jawaban", k+1))
			}
			if strings.TrimSpace(s.Text) != "" {
				pairs++
			}
		}
		if pairs < 2 {
			return tooFew(2, "pairs", "pasangan")
		}
	case TypeOrdering:
		if len(q.Answers) == 0 {
			return noAnswers()
		}
		if len(q.Answers) < 2 {
			return tooFew(2, "items", "butir")
		}
		for k, a := range q.Answers {
			if strings.TrimSpace(a.Text) == "" {
				return bad(CodeMalformed,
					fmt.Sprintf("item %d is empty", k+1),
					fmt.Sprintf("butir %d kosong", k+1))
			}
		}
	}
	return nil
}

// nullValue is what Moodle writes for a NULL database value.
const nullValue = "$@NULL@$"

// clean trims s and reads Moodle's NULL marker as empty.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if s == nullValue {
		return ""
	}
	return s
}

// parseNumber reads a decimal number as Moodle writes it (a comma as decimal point is
// accepted). NaN and infinities are not numbers.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
			f, err = strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		}
		if err != nil {
			return 0, false
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// round7 rounds to 7 decimals, the precision Moodle stores fractions and grades with.
func round7(f float64) float64 {
	if math.Abs(f) > 1e12 {
		return f // beyond the precision where rounding means anything
	}
	r := math.Round(f*1e7) / 1e7
	if r == 0 {
		return 0 // no negative zero
	}
	return r
}

// percentToFraction reads a Moodle percentage ("33.33333", "-50") as a fraction.
func percentToFraction(s string) (float64, bool) {
	f, ok := parseNumber(s)
	if !ok {
		return 0, false
	}
	return round7(f / 100), true
}

// trimFloat formats f without trailing zeros: 1 → "1", 0.3333333 → "0.3333333".
func trimFloat(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// percent formats a fraction as Moodle's percentage: 0.3333333 → "33.33333".
func percent(f float64) string {
	if math.Abs(f) > 1e12 {
		return trimFloat(f * 100)
	}
	return trimFloat(math.Round(f*1e7) / 1e5)
}

// defaultName derives a question name from its text as Moodle does for GIFT
// questions without one: the text without tags, on one line, at most 80 characters.
func defaultName(text string) string {
	var b strings.Builder
	in := false
	for _, r := range text {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	name := strings.Join(strings.Fields(b.String()), " ")
	if r := []rune(name); len(r) > 80 {
		name = strings.TrimSpace(string(r[:80]))
	}
	return name
}
