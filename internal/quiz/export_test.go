package quiz

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/quiz/moodleformat"
)

// comparable is a question's content without its random ids: a matching
// prompt names its answer's text.
func comparableContent(c Content) Content {
	texts := map[string]string{}
	b := c.Body
	opts := make([]Option, len(b.Options))
	for i, o := range b.Options {
		texts[o.ID] = o.Text
		o.ID = ""
		opts[i] = o
	}
	prompts := make([]Prompt, len(b.Prompts))
	for i, p := range b.Prompts {
		prompts[i] = Prompt{Text: p.Text, Answer: texts[p.Answer]}
	}
	b.Options, b.Prompts = opts, prompts
	c.Body = b
	return c
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestAnExportedBankReadsBackAsTheSameQuestionsInBothFormats(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bank, qs := f.bank()
	ctx := f.as("authorA")
	parent, err := f.svc.CreateCategory(ctx, bank.ID, nil, "Literasi Digital")
	if err != nil {
		t.Fatal(err)
	}
	child, err := f.svc.CreateCategory(ctx, bank.ID, &parent.ID, "Keamanan/Data")
	if err != nil {
		t.Fatal(err)
	}
	c := fixtures()[TypeSingleChoice]
	c.Stem = "<p>Kata sandi yang <strong>kuat</strong>?</p>"
	c.Feedback = "<p>Panjang &amp; acak.</p>"
	c.Body.Options[0].Feedback = "Benar"
	inCategory, err := f.svc.CreateQuestion(ctx, bank.ID, QuestionInput{CategoryID: &child.ID, Name: ptr("Kata sandi {kuat}: = ~ #"), Content: &c})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := f.svc.CreateQuestion(ctx, bank.ID, QuestionInput{Name: ptr("Diarsipkan"), Content: ptr(fixtures()[TypeEssay])})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ArchiveQuestion(ctx, bank.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	want := map[string]Question{inCategory.Name: inCategory}
	for _, q := range qs {
		want[q.Name] = q
	}

	for _, format := range []string{FormatMoodleXML, FormatGIFT} {
		t.Run(format, func(t *testing.T) {
			for _, reader := range []string{"authorA", "reviewerA"} {
				e, err := f.svc.ExportBank(f.as(reader), bank.ID, format)
				if err != nil {
					t.Fatalf("ExportBank as %s: %v", reader, err)
				}
				if e.Bank.Name != "Bank Pelayanan" {
					t.Errorf("bank = %q", e.Bank.Name)
				}
				var buf bytes.Buffer
				if err := e.Write(&buf, format); err != nil {
					t.Fatal(err)
				}
				var res moodleformat.Result
				if format == FormatGIFT {
					res, err = moodleformat.ParseGIFT(&buf)
				} else {
					res, err = moodleformat.ParseXML(&buf)
				}
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				if len(res.Problems) != 0 {
					t.Fatalf("problems: %+v", res.Problems)
				}
				if len(res.Questions) != len(want) {
					t.Fatalf("%d questions read back, want %d", len(res.Questions), len(want))
				}
				for i, mq := range res.Questions {
					got, reason := mapQuestion(mq, res.ProblemAt(i), "en")
					if reason != "" {
						t.Fatalf("question %d (%s) skipped: %s", i, mq.Name, reason)
					}
					w, ok := want[got.Name]
					if !ok {
						t.Fatalf("question %q was not in the bank", got.Name)
					}
					x := comparableContent(w.Content)
					if format == FormatGIFT && x.Type.Graded() {
						// GIFT has no syntax for a question's mark or a number's
						// units: they read back as Moodle's defaults.
						x.Points, x.Body.Units = 1, []Unit{}
					}
					if g := comparableContent(got.Content); !sameJSON(g, x) {
						t.Errorf("%s: read back\n%+v\nwant\n%+v", w.Content.Type, g, x)
					}
					if !reflect.DeepEqual(got.CompetencyTags, w.CompetencyTags) {
						t.Errorf("%s: tags %v, want %v", got.Name, got.CompetencyTags, w.CompetencyTags)
					}
					wantPath := []string(nil)
					if w.ID == inCategory.ID {
						wantPath = []string{"Literasi Digital", "Keamanan/Data"}
					}
					if p := moodleformat.SplitCategory(mq.Category); !reflect.DeepEqual(p, wantPath) {
						t.Errorf("%s: category %v, want %v", got.Name, p, wantPath)
					}
				}
			}
		})
	}
}

func TestOnlyReadersOfTheBankExportItAndTheFormatIsChecked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bank, _ := f.bank()
	for _, tc := range []struct {
		actor, format string
		want          apperr.Kind
	}{
		{"learnerA1", FormatMoodleXML, apperr.KindNotFound},
		{"learnerA1", "csv", apperr.KindNotFound},
		{"authorB", FormatGIFT, apperr.KindNotFound},
		{"authorA", "csv", apperr.KindInvalid},
		{"authorA", "", apperr.KindInvalid},
	} {
		_, err := f.svc.ExportBank(f.as(tc.actor), bank.ID, tc.format)
		if apperr.KindOf(err) != tc.want {
			t.Errorf("%s exporting as %q: %v, want kind %v", tc.actor, tc.format, err, tc.want)
		}
	}
}

func TestExportFileNamesKeepTheBankNameWithoutPathCharacters(t *testing.T) {
	for _, tc := range []struct{ name, format, want string }{
		{"Bank Pelayanan", FormatMoodleXML, "Bank Pelayanan.xml"},
		{"Bank Pelayanan", FormatGIFT, "Bank Pelayanan.gift.txt"},
		{`../a/b\c"d`, FormatMoodleXML, `.._a_b_c_d.xml`},
		{"  ", FormatGIFT, "question-bank.gift.txt"},
	} {
		if got := exportFilename(tc.name, tc.format); got != tc.want {
			t.Errorf("exportFilename(%q, %s) = %q, want %q", tc.name, tc.format, got, tc.want)
		}
	}
}
