package quiz

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func boolPtr(b bool) *bool { return &b }

func opts(weights ...float64) []Option {
	out := make([]Option, len(weights))
	for i, w := range weights {
		out[i] = Option{ID: string(rune('a' + i)), Text: fmt.Sprintf("Pilihan %c", 'A'+i), Weight: w}
	}
	return out
}

// fixtures are one valid question of every type.
func fixtures() map[Type]Content {
	return map[Type]Content{
		TypeSingleChoice:   {Type: TypeSingleChoice, Stem: "Ibu kota?", Points: 2, Body: Body{Options: opts(1, 0, 0.5)}},
		TypeMultipleChoice: {Type: TypeMultipleChoice, Stem: "Bilangan prima?", Points: 1, Body: Body{Options: opts(0.5, 0.5, -1, -0.25)}},
		TypeTrueFalse:      {Type: TypeTrueFalse, Stem: "Bumi bulat.", Points: 1, Body: Body{Correct: boolPtr(true)}},
		TypeShortAnswer: {Type: TypeShortAnswer, Stem: "Nama aplikasi?", Points: 1, Body: Body{Match: MatchNormalized,
			TextAnswers: []TextAnswer{{Text: "Sistem  Informasi ASN", Credit: 1}, {Text: "SIASN*", Credit: 1}, {Text: "*informasi*", Credit: 0.5}}}},
		TypeNumeric: {Type: TypeNumeric, Stem: "Inflasi?", Points: 1, Body: Body{
			Numeric: []NumericAnswer{{Value: 3.14, Tolerance: 0.01, Credit: 1}, {Value: 3, Tolerance: 0.5, Credit: 0.5}},
			Units:   []Unit{{Name: "%", Multiplier: 1}, {Name: "permil", Multiplier: 10}}}},
		TypeMatching: {Type: TypeMatching, Stem: "Pasangkan.", Points: 3, Body: Body{
			Prompts: []Prompt{{ID: "p1", Text: "BKN", Answer: "a"}, {ID: "p2", Text: "LAN", Answer: "b"}, {ID: "p3", Text: "KemenPAN-RB", Answer: "c"}},
			Options: []Option{{ID: "a", Text: "Kepegawaian"}, {ID: "b", Text: "Pelatihan"}, {ID: "c", Text: "Reformasi"}, {ID: "d", Text: "Pengecoh"}}}},
		TypeOrdering: {Type: TypeOrdering, Stem: "Urutkan.", Points: 1, Body: Body{Scoring: OrderAllOrNothing,
			Options: []Option{{ID: "a", Text: "Satu"}, {ID: "b", Text: "Dua"}, {ID: "c", Text: "Tiga"}, {ID: "d", Text: "Empat"}}}},
		TypeEssay:       {Type: TypeEssay, Stem: "Jelaskan.", Points: 5},
		TypeDescription: {Type: TypeDescription, Stem: "Bacalah teks berikut."},
	}
}

func TestEveryFixtureIsAValidQuestion(t *testing.T) {
	for typ, c := range fixtures() {
		c.Normalize()
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v, want nil", typ, err)
		}
	}
}

func TestGradingEveryTypeWithItsEdgeCases(t *testing.T) {
	fx := fixtures()
	byPosition := fx[TypeOrdering]
	byPosition.Body.Scoring = OrderByPosition
	exact := fx[TypeShortAnswer]
	exact.Body.Match = MatchExact
	unitRequired := fx[TypeNumeric]
	unitRequired.Body.UnitRequired = true
	noUnits := fx[TypeNumeric]
	noUnits.Body.Units = nil
	tests := []struct {
		name     string
		question Content
		response string
		want     float64
	}{
		{"single choice: the right option earns full credit", fx[TypeSingleChoice], `{"choice":"a"}`, 1},
		{"single choice: a wrong option earns nothing", fx[TypeSingleChoice], `{"choice":"b"}`, 0},
		{"single choice: a partly right option earns its weight", fx[TypeSingleChoice], `{"choice":"c"}`, 0.5},
		{"multiple choice: every right option earns full credit", fx[TypeMultipleChoice], `{"choices":["a","b"]}`, 1},
		{"multiple choice: one of two right options earns half", fx[TypeMultipleChoice], `{"choices":["b"]}`, 0.5},
		{"multiple choice: a wrong option takes its negative weight off", fx[TypeMultipleChoice], `{"choices":["a","b","d"]}`, 0.75},
		{"multiple choice: negative weights never push below zero", fx[TypeMultipleChoice], `{"choices":["a","c","d"]}`, 0},
		{"multiple choice: choosing everything is not a trick for credit", fx[TypeMultipleChoice], `{"choices":["a","b","c","d"]}`, 0},
		{"multiple choice: no choice earns nothing", fx[TypeMultipleChoice], `{"choices":[]}`, 0},
		{"true/false: the right value", fx[TypeTrueFalse], `{"value":true}`, 1},
		{"true/false: the wrong value", fx[TypeTrueFalse], `{"value":false}`, 0},
		{"short answer: case and white space do not count", fx[TypeShortAnswer], `{"text":"  sistem informasi\tasn "}`, 1},
		{"short answer: a trailing wildcard", fx[TypeShortAnswer], `{"text":"siasn versi 2"}`, 1},
		{"short answer: the best matching credit wins", fx[TypeShortAnswer], `{"text":"pusat informasi kepegawaian"}`, 0.5},
		{"short answer: no match earns nothing", fx[TypeShortAnswer], `{"text":"simpeg"}`, 0},
		{"short answer: an empty answer earns nothing", fx[TypeShortAnswer], `{"text":""}`, 0},
		{"short answer exact: case counts", exact, `{"text":"sistem  informasi asn"}`, 0.5},
		{"short answer exact: the same text", exact, `{"text":"Sistem  Informasi ASN"}`, 1},
		{"short answer exact: inner white space counts", exact, `{"text":"Sistem Informasi ASN"}`, 0},
		{"numeric: within the tolerance", fx[TypeNumeric], `{"value":3.149,"unit":"%"}`, 1},
		{"numeric: at the edge of the tolerance", fx[TypeNumeric], `{"value":3.13}`, 1},
		{"numeric: a second answer with less credit", fx[TypeNumeric], `{"value":3.4,"unit":"%"}`, 0.5},
		{"numeric: outside every tolerance", fx[TypeNumeric], `{"value":4,"unit":"%"}`, 0},
		{"numeric: another unit with its multiplier", fx[TypeNumeric], `{"value":31.4,"unit":"permil"}`, 1},
		{"numeric: units compare without case", fx[TypeNumeric], `{"value":31.4,"unit":"PERMIL"}`, 1},
		{"numeric: an unknown unit earns nothing", fx[TypeNumeric], `{"value":3.14,"unit":"kg"}`, 0},
		{"numeric: a missing unit when one is required earns nothing", unitRequired, `{"value":3.14}`, 0},
		{"numeric: a unit on a question without units earns nothing", noUnits, `{"value":3.14,"unit":"%"}`, 0},
		{"matching: every pair right", fx[TypeMatching], `{"pairs":{"p1":"a","p2":"b","p3":"c"}}`, 1},
		{"matching: the distractor earns nothing for its prompt", fx[TypeMatching], `{"pairs":{"p1":"a","p2":"d","p3":"c"}}`, 2.0 / 3},
		{"matching: unanswered prompts earn nothing", fx[TypeMatching], `{"pairs":{"p1":"a"}}`, 1.0 / 3},
		{"matching: one answer for every prompt earns one", fx[TypeMatching], `{"pairs":{"p1":"a","p2":"a","p3":"a"}}`, 1.0 / 3},
		{"ordering: the right order", fx[TypeOrdering], `{"order":["a","b","c","d"]}`, 1},
		{"ordering all or nothing: one swap earns nothing", fx[TypeOrdering], `{"order":["a","b","d","c"]}`, 0},
		{"ordering by position: two of four in place", byPosition, `{"order":["a","b","d","c"]}`, 0.5},
		{"ordering by position: a rotation has none in place", byPosition, `{"order":["b","c","d","a"]}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseResponse(tt.question, []byte(tt.response))
			if err != nil {
				t.Fatalf("ParseResponse(%s) = %v", tt.response, err)
			}
			got, ok := Grade(tt.question, r)
			if !ok || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Grade(%s) = %v, %v, want %v, true", tt.response, got, ok, tt.want)
			}
		})
	}
}

func TestEssaysAndDescriptionsAreNotAutoGraded(t *testing.T) {
	fx := fixtures()
	r, err := ParseResponse(fx[TypeEssay], []byte(`{"text":"<p>Jawaban saya</p><script>x()</script>"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "<p>Jawaban saya</p>" {
		t.Errorf("essay text = %q, want it sanitized", r.Text)
	}
	if _, ok := Grade(fx[TypeEssay], r); ok {
		t.Error("Grade(essay) ok = true, want false: essays are graded by hand")
	}
	if _, err := ParseResponse(fx[TypeDescription], []byte(`{"text":"x"}`)); !errors.Is(err, ErrResponseShape) {
		t.Errorf("ParseResponse(description) = %v, want ErrResponseShape", err)
	}
}

func TestAnswersOfTheWrongShapeAreRefused(t *testing.T) {
	fx := fixtures()
	tests := []struct {
		typ      Type
		response string
	}{
		{TypeSingleChoice, `{"choices":["a"]}`},
		{TypeSingleChoice, `{"choice":"zz"}`},
		{TypeSingleChoice, `{"choice":1}`},
		{TypeSingleChoice, `{}`},
		{TypeSingleChoice, `{"choice":"a","extra":1}`},
		{TypeSingleChoice, `{"choice":"a"} {}`},
		{TypeSingleChoice, `[]`},
		{TypeMultipleChoice, `{"choices":"a"}`},
		{TypeMultipleChoice, `{"choices":["a","a"]}`},
		{TypeMultipleChoice, `{"choices":["zz"]}`},
		{TypeMultipleChoice, `{"choices":null}`},
		{TypeTrueFalse, `{"value":"true"}`},
		{TypeTrueFalse, `{"value":1}`},
		{TypeShortAnswer, `{"text":5}`},
		{TypeShortAnswer, fmt.Sprintf(`{"text":%q}`, string(make([]byte, maxText+1)))},
		{TypeNumeric, `{"value":"3.14"}`},
		{TypeNumeric, `{"unit":"%"}`},
		{TypeNumeric, `{"value":1,"unit":5}`},
		{TypeMatching, `{"pairs":{"p1":"zz"}}`},
		{TypeMatching, `{"pairs":{"zz":"a"}}`},
		{TypeMatching, `{"pairs":["a"]}`},
		{TypeOrdering, `{"order":["a","b","c"]}`},
		{TypeOrdering, `{"order":["a","b","c","c"]}`},
		{TypeOrdering, `{"order":["a","b","c","zz"]}`},
		{TypeEssay, `{"choice":"a"}`},
		{TypeDescription, `{}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+" "+tt.response[:min(len(tt.response), 40)], func(t *testing.T) {
			if _, err := ParseResponse(fx[tt.typ], []byte(tt.response)); !errors.Is(err, ErrResponseShape) {
				t.Errorf("ParseResponse(%s, %s) = %v, want ErrResponseShape", tt.typ, tt.response, err)
			}
		})
	}
}

func TestInvalidQuestionsAreRefused(t *testing.T) {
	fx := fixtures()
	mod := func(typ Type, f func(*Content)) Content {
		c := fx[typ]
		c.Body.Options = append([]Option(nil), c.Body.Options...)
		f(&c)
		return c
	}
	tests := map[string]Content{
		"an unknown type": {Type: "cloze", Stem: "x"},
		"no stem":         mod(TypeTrueFalse, func(c *Content) { c.Stem = "" }),
		"single choice without a full-credit option": mod(TypeSingleChoice, func(c *Content) { c.Body.Options[0].Weight = 0.9 }),
		"single choice with a negative weight":       mod(TypeSingleChoice, func(c *Content) { c.Body.Options[1].Weight = -0.5 }),
		"one option":                                 mod(TypeSingleChoice, func(c *Content) { c.Body.Options = c.Body.Options[:1] }),
		"duplicate option ids":                       mod(TypeSingleChoice, func(c *Content) { c.Body.Options[1].ID = "a" }),
		"an option id with a space":                  mod(TypeSingleChoice, func(c *Content) { c.Body.Options[1].ID = "a b" }),
		"multiple choice weights not adding to one":  mod(TypeMultipleChoice, func(c *Content) { c.Body.Options[1].Weight = 0.4 }),
		"a weight beyond one":                        mod(TypeMultipleChoice, func(c *Content) { c.Body.Options[2].Weight = -1.5 }),
		"true/false without the right value":         mod(TypeTrueFalse, func(c *Content) { c.Body.Correct = nil }),
		"true/false with options":                    mod(TypeTrueFalse, func(c *Content) { c.Body.Options = opts(1, 0) }),
		"short answer without answers":               mod(TypeShortAnswer, func(c *Content) { c.Body.TextAnswers = nil }),
		"short answer without full credit":           mod(TypeShortAnswer, func(c *Content) { c.Body.TextAnswers = []TextAnswer{{Text: "x", Credit: 0.5}} }),
		"short answer with an unknown match":         mod(TypeShortAnswer, func(c *Content) { c.Body.Match = "regex" }),
		"numeric with a negative tolerance":          mod(TypeNumeric, func(c *Content) { c.Body.Numeric = []NumericAnswer{{Value: 1, Tolerance: -1, Credit: 1}} }),
		"numeric with a zero multiplier":             mod(TypeNumeric, func(c *Content) { c.Body.Units = []Unit{{Name: "m", Multiplier: -1}} }),
		"numeric with a duplicate unit":              mod(TypeNumeric, func(c *Content) { c.Body.Units = []Unit{{Name: "m", Multiplier: 1}, {Name: "m", Multiplier: 2}} }),
		"matching with one prompt":                   mod(TypeMatching, func(c *Content) { c.Body.Prompts = c.Body.Prompts[:1] }),
		"matching a prompt to no option": mod(TypeMatching, func(c *Content) {
			c.Body.Prompts = append([]Prompt{{ID: "p9", Text: "x", Answer: "zz"}}, c.Body.Prompts...)
		}),
		"ordering with weights":            mod(TypeOrdering, func(c *Content) { c.Body.Options[0].Weight = 1 }),
		"ordering with an unknown scoring": mod(TypeOrdering, func(c *Content) { c.Body.Scoring = "kendall" }),
		"essay with options":               mod(TypeEssay, func(c *Content) { c.Body.Options = opts(1, 0) }),
		"points beyond the limit":          mod(TypeEssay, func(c *Content) { c.Points = 5000 }),
	}
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			if err := c.Validate(); err == nil {
				t.Errorf("Validate(%s) = nil, want an error", name)
			}
		})
	}
}

func TestTheLearnerViewCarriesNoAnswerKey(t *testing.T) {
	for typ, c := range fixtures() {
		c.Feedback = "kunci-umpan-balik"
		for i := range c.Body.Options {
			c.Body.Options[i].Feedback = "kunci-umpan-balik"
		}
		v := c.View([]string{"c", "a"})
		body, err := json.Marshal(toQuestionView(0, v))
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{`"weight"`, `"answer"`, `"text_answers"`, `"credit"`, `"tolerance"`, `"correct"`, "kunci-umpan-balik", `"multiplier"`, `"scoring"`, `"feedback"`} {
			if containsFold(string(body), leak) {
				t.Errorf("%s: learner view %s shows %q", typ, body, leak)
			}
		}
		if len(c.Body.Options) >= 3 && (v.Options[0].ID != "c" || v.Options[1].ID != "a" || len(v.Options) != len(c.Body.Options)) {
			t.Errorf("%s: options in order %v, want c, a and then the rest", typ, v.Options)
		}
	}
}

func TestWildcardsMatchAnyRunOfCharacters(t *testing.T) {
	tests := []struct {
		pattern, answer string
		want            bool
	}{
		{"*", "", true}, {"*", "apa saja", true}, {"a*c", "abbbc", true}, {"a*c", "ac", true}, {"a*c", "abd", false},
		{"*ab", "aab", true}, {"a**b", "ab", true}, {"ab", "abc", false}, {"abc*", "ab", false}, {"*b*b*", "abab", true},
		{"Jakarta", "jakarta", true}, {"á*", "Ábc", true},
	}
	for _, tt := range tests {
		if got := MatchText(tt.pattern, tt.answer, false); got != tt.want {
			t.Errorf("MatchText(%q, %q) = %v, want %v", tt.pattern, tt.answer, got, tt.want)
		}
	}
}

// benchAttempt is a 20-question attempt of every auto-graded type with its
// saved answers, as the grading worker reads it.
func benchAttempt() ([]Content, [][]byte) {
	fx := fixtures()
	types := []Type{TypeSingleChoice, TypeMultipleChoice, TypeTrueFalse, TypeShortAnswer, TypeNumeric, TypeMatching, TypeOrdering}
	answers := map[Type]string{
		TypeSingleChoice: `{"choice":"a"}`, TypeMultipleChoice: `{"choices":["a","d"]}`, TypeTrueFalse: `{"value":true}`,
		TypeShortAnswer: `{"text":"Sistem informasi ASN"}`, TypeNumeric: `{"value":31.4,"unit":"permil"}`,
		TypeMatching: `{"pairs":{"p1":"a","p2":"b","p3":"d"}}`, TypeOrdering: `{"order":["a","b","c","d"]}`,
	}
	var qs []Content
	var rs [][]byte
	for i := 0; i < 20; i++ {
		typ := types[i%len(types)]
		qs = append(qs, fx[typ])
		rs = append(rs, []byte(answers[typ]))
	}
	return qs, rs
}

// BenchmarkGradeAttempt grades a 20-question attempt: decoding every saved
// answer and grading it. One op is one attempt; attempts/s = 1e9 / ns/op.
func BenchmarkGradeAttempt(b *testing.B) {
	qs, rs := benchAttempt()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		total := 0.0
		for j, q := range qs {
			r, err := ParseResponse(q, rs[j])
			if err != nil {
				b.Fatal(err)
			}
			f, _ := Grade(q, r)
			total += f * q.Points
		}
		if total <= 0 {
			b.Fatal("nothing earned")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "attempts/s")
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func TestTheQuizGradeFollowsTheGradingMethod(t *testing.T) {
	percents := []float64{40, 90, 60}
	for method, want := range map[string]float64{GradeHighest: 90, GradeLast: 60, GradeAverage: 190.0 / 3} {
		if got := QuizGrade(method, percents); math.Abs(got-want) > 1e-9 {
			t.Errorf("QuizGrade(%s, %v) = %v, want %v", method, percents, got, want)
		}
	}
	if got := QuizGrade(GradeAverage, nil); got != 0 {
		t.Errorf("QuizGrade without attempts = %v, want 0", got)
	}
}
