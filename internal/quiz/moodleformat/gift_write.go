package moodleformat

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

var giftFormatNames = map[TextFormat]string{
	FormatHTML: "html", FormatMoodle: "moodle", FormatPlain: "plain", FormatMarkdown: "markdown",
}

// giftText writes a text in format f inside a question whose format is def: a marker
// when they differ, or when the text itself starts with "[" (it would read as one).
func giftText(s string, f, def TextFormat) string {
	name, ok := giftFormatNames[f]
	if !ok {
		name = "html"
	}
	if s != "" && (f != def || strings.HasPrefix(s, "[")) {
		return "[" + name + "]" + escapeGIFT(s)
	}
	return escapeGIFT(s)
}

// WriteGIFT writes the questions as a GIFT file that Moodle imports. A $CATEGORY line
// is written before the first question with a Category and whenever it changes.
// Numerical units, DefaultGrade, Penalty, GraderInfo, UseCase, ShuffleAnswers and
// embedded files have no place in GIFT and are not written. Questions of
// unsupported types are written as descriptions.
func WriteGIFT(w io.Writer, qs []Question) error {
	bw := bufio.NewWriter(w)
	current := ""
	for n, q := range qs {
		if q.Category != "" && q.Category != current {
			fmt.Fprintf(bw, "// question: 0  name: Switch category to %s\n$CATEGORY: %s\n\n",
				oneLine(q.Category), oneLine(q.Category))
			current = q.Category
		}
		writeGIFTQuestion(bw, n+1, &q)
	}
	return bw.Flush()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func writeGIFTQuestion(w *bufio.Writer, id int, q *Question) {
	f := q.TextFormat
	if f == "" {
		f = FormatHTML
	}
	fmt.Fprintf(w, "// question: %d  name: %s\n", id, oneLine(q.Name))
	if q.IDNumber != "" {
		fmt.Fprintf(w, "// [id:%s]\n", strings.ReplaceAll(oneLine(q.IDNumber), "]", ""))
	}
	for _, t := range q.Tags {
		if t = strings.ReplaceAll(oneLine(t), "]", ""); t != "" {
			fmt.Fprintf(w, "// [tag:%s]\n", t)
		}
	}
	w.WriteString("::" + escapeGIFT(q.Name) + "::")
	// The question text always carries its format unless it is GIFT's default.
	stem := giftText(q.Text, f, FormatMoodle)
	if stem == "" && f != FormatMoodle {
		stem = "[" + giftFormatNames[f] + "]"
	}
	w.WriteString(stem)
	at := func(s string) string { return giftText(s, f, f) }
	general := func(indent string) string {
		if q.GeneralFeedback == "" {
			return ""
		}
		s := "####" + at(q.GeneralFeedback)
		if indent != "" {
			s = indent + s + "\n"
		}
		return s
	}
	switch q.Type {
	case TypeDescription:
		w.WriteString("\n")
	case TypeEssay:
		w.WriteString("{" + general("") + "}\n")
	case TypeTrueFalse:
		var t, fa Answer
		if len(q.Answers) == 2 {
			t, fa = q.Answers[0], q.Answers[1]
		}
		value, right, wrong := "TRUE", t.Feedback, fa.Feedback
		if t.Fraction != 1 {
			value, right, wrong = "FALSE", fa.Feedback, t.Feedback
		}
		w.WriteString("{" + value)
		if wrong != "" {
			w.WriteString("#" + at(wrong))
		} else if right != "" {
			w.WriteString("#")
		}
		if right != "" {
			w.WriteString("#" + at(right))
		}
		w.WriteString(general("") + "}\n")
	case TypeMultichoice:
		w.WriteString("{\n")
		for _, a := range q.Answers {
			text := at(a.Text)
			var mark string
			switch {
			case a.Fraction == 1 && q.Single && !strings.HasPrefix(text, "%"):
				mark = "="
			case a.Fraction == 0 && !strings.HasPrefix(text, "%"):
				mark = "~"
			default:
				mark = "~%" + percent(a.Fraction) + "%"
			}
			w.WriteString("\t" + mark + text)
			if a.Feedback != "" {
				w.WriteString("#" + at(a.Feedback))
			}
			w.WriteString("\n")
		}
		w.WriteString(general("\t") + "}\n")
	case TypeShortAnswer:
		w.WriteString("{\n")
		for _, a := range q.Answers {
			w.WriteString("\t=%" + percent(a.Fraction) + "%" + escapeGIFT(a.Text) + "#" + at(a.Feedback) + "\n")
		}
		w.WriteString(general("\t") + "}\n")
	case TypeNumerical:
		w.WriteString("{#\n")
		for _, a := range q.Answers {
			if a.Text == "*" && a.Fraction == 0 {
				w.WriteString("\t~#" + at(a.Feedback) + "\n")
				continue
			}
			w.WriteString("\t=%" + percent(a.Fraction) + "%" + escapeGIFT(a.Text) + ":" +
				escapeGIFT(trimFloat(a.Tolerance)) + "#" + at(a.Feedback) + "\n")
		}
		w.WriteString(general("\t") + "}\n")
	case TypeMatching:
		w.WriteString("{\n")
		for _, s := range q.Subquestions {
			w.WriteString("\t=" + at(s.Text) + " -> " + escapeGIFT(s.Answer) + "\n")
		}
		w.WriteString(general("\t") + "}\n")
	case TypeOrdering:
		fmt.Fprintf(w, "{>%d ALL VERTICAL ABSOLUTE_POSITION SHOW\n", len(q.Answers))
		for _, a := range q.Answers {
			w.WriteString(escapeGIFT(a.Text) + "\n")
		}
		w.WriteString("}\n")
	default:
		w.WriteString("\n")
	}
	w.WriteString("\n")
}
