package moodleformat

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteXML writes the questions as a Moodle XML file that Moodle 4.x imports. The
// category of a question is its Category, or category when that is empty; a category
// element is written before the first question and whenever the category changes (no
// category element when both are empty). Questions of unsupported types are written
// with their common fields only, which Moodle will reject; callers export supported
// types.
func WriteXML(w io.Writer, category string, qs []Question) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n")
	current := ""
	for n, q := range qs {
		cat := q.Category
		if cat == "" {
			cat = category
		}
		if cat != "" && cat != current {
			fmt.Fprintf(bw, "<!-- question: 0  -->\n  <question type=\"category\">\n    <category>\n      %s    </category>\n    <info format=\"html\">\n      <text></text>\n    </info>\n    <idnumber></idnumber>\n  </question>\n\n", xmlTextElem(cat, 0))
			current = cat
		}
		writeXMLQuestion(bw, n+1, &q)
	}
	bw.WriteString("</quiz>\n")
	return bw.Flush()
}

func writeXMLQuestion(w *bufio.Writer, id int, q *Question) {
	format := q.TextFormat
	if format == "" {
		format = FormatHTML
	}
	typ := q.Type
	fmt.Fprintf(w, "<!-- question: %d  -->\n", id)
	fmt.Fprintf(w, "  <question type=\"%s\">\n", xmlAttr(string(typ)))
	fmt.Fprintf(w, "    <name>\n%s    </name>\n", xmlTextElem(q.Name, 3))
	fmt.Fprintf(w, "    <questiontext format=\"%s\">\n%s", format, xmlTextElem(q.Text, 3))
	writeXMLFiles(w, q.Files)
	w.WriteString("    </questiontext>\n")
	fmt.Fprintf(w, "    <generalfeedback format=\"%s\">\n%s    </generalfeedback>\n", format, xmlTextElem(q.GeneralFeedback, 3))
	fmt.Fprintf(w, "    <defaultgrade>%s</defaultgrade>\n", fixed7(q.DefaultGrade))
	fmt.Fprintf(w, "    <penalty>%s</penalty>\n", fixed7(q.Penalty))
	w.WriteString("    <hidden>0</hidden>\n")
	fmt.Fprintf(w, "    <idnumber>%s</idnumber>\n", xmlEscape(q.IDNumber))

	answer := func(a Answer, fraction string, afmt TextFormat, extra string) {
		fmt.Fprintf(w, "    <answer fraction=\"%s\" format=\"%s\">\n%s", fraction, afmt, xmlTextElem(a.Text, 3))
		fmt.Fprintf(w, "      <feedback format=\"%s\">\n%s      </feedback>\n", format, xmlTextElem(a.Feedback, 4))
		w.WriteString(extra)
		w.WriteString("    </answer>\n")
	}
	combined := func() {
		for _, f := range []string{"correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"} {
			fmt.Fprintf(w, "    <%s format=\"%s\">\n%s    </%s>\n", f, format, xmlTextElem("", 3), f)
		}
	}
	switch typ {
	case TypeMultichoice:
		fmt.Fprintf(w, "    <single>%t</single>\n", q.Single)
		fmt.Fprintf(w, "    <shuffleanswers>%t</shuffleanswers>\n", q.ShuffleAnswers)
		w.WriteString("    <answernumbering>abc</answernumbering>\n")
		w.WriteString("    <showstandardinstruction>0</showstandardinstruction>\n")
		combined()
		w.WriteString("    <shownumcorrect/>\n")
		for _, a := range q.Answers {
			answer(a, percent(a.Fraction), format, "")
		}
	case TypeTrueFalse:
		for _, a := range q.Answers {
			answer(a, percent(a.Fraction), FormatMoodle, "")
		}
	case TypeShortAnswer:
		usecase := 0
		if q.UseCase {
			usecase = 1
		}
		fmt.Fprintf(w, "    <usecase>%d</usecase>\n", usecase)
		for _, a := range q.Answers {
			answer(a, percent(a.Fraction), FormatMoodle, "")
		}
	case TypeNumerical:
		for _, a := range q.Answers {
			answer(a, percent(a.Fraction), FormatMoodle,
				fmt.Sprintf("      <tolerance>%s</tolerance>\n", trimFloat(a.Tolerance)))
		}
		if len(q.Units) > 0 {
			w.WriteString("    <units>\n")
			for _, u := range q.Units {
				fmt.Fprintf(w, "      <unit>\n        <multiplier>%s</multiplier>\n        <unit_name>%s</unit_name>\n      </unit>\n",
					trimFloat(u.Multiplier), xmlEscape(u.Name))
			}
			w.WriteString("    </units>\n")
			w.WriteString("    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0.1000000</unitpenalty>\n    <showunits>0</showunits>\n    <unitsleft>0</unitsleft>\n")
		} else {
			w.WriteString("    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0.1000000</unitpenalty>\n    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>\n")
		}
	case TypeMatching:
		fmt.Fprintf(w, "    <shuffleanswers>%t</shuffleanswers>\n", q.ShuffleAnswers)
		combined()
		w.WriteString("    <shownumcorrect/>\n")
		for _, s := range q.Subquestions {
			fmt.Fprintf(w, "    <subquestion format=\"%s\">\n%s      <answer>\n%s      </answer>\n    </subquestion>\n",
				format, xmlTextElem(s.Text, 3), xmlTextElem(s.Answer, 4))
		}
	case TypeOrdering:
		w.WriteString("    <layouttype>VERTICAL</layouttype>\n    <selecttype>ALL</selecttype>\n")
		fmt.Fprintf(w, "    <selectcount>%d</selectcount>\n", len(q.Answers))
		w.WriteString("    <gradingtype>ABSOLUTE_POSITION</gradingtype>\n    <showgrading>SHOW</showgrading>\n    <numberingstyle>none</numberingstyle>\n")
		combined()
		w.WriteString("    <shownumcorrect>1</shownumcorrect>\n")
		for k, a := range q.Answers {
			fmt.Fprintf(w, "    <answer fraction=\"%d.0000000\" format=\"%s\">\n%s", k+1, format, xmlTextElem(a.Text, 3))
			if a.Feedback != "" {
				fmt.Fprintf(w, "      <feedback format=\"%s\">\n%s      </feedback>\n", format, xmlTextElem(a.Feedback, 4))
			}
			w.WriteString("    </answer>\n")
		}
	case TypeEssay:
		w.WriteString("    <responseformat>editor</responseformat>\n    <responserequired>1</responserequired>\n    <responsefieldlines>15</responsefieldlines>\n    <minwordlimit></minwordlimit>\n    <maxwordlimit></maxwordlimit>\n    <attachments>0</attachments>\n    <attachmentsrequired>0</attachmentsrequired>\n    <maxbytes>0</maxbytes>\n    <filetypeslist></filetypeslist>\n")
		fmt.Fprintf(w, "    <graderinfo format=\"%s\">\n%s    </graderinfo>\n", format, xmlTextElem(q.GraderInfo, 3))
		fmt.Fprintf(w, "    <responsetemplate format=\"%s\">\n%s    </responsetemplate>\n", format, xmlTextElem("", 3))
	}
	if len(q.Tags) > 0 {
		w.WriteString("    <tags>\n")
		for _, t := range q.Tags {
			fmt.Fprintf(w, "      <tag>%s</tag>\n", strings.TrimSuffix(xmlTextElem(t, 0), "\n"))
		}
		w.WriteString("    </tags>\n")
	}
	w.WriteString("  </question>\n\n")
}

func writeXMLFiles(w *bufio.Writer, files []File) {
	for _, f := range files {
		path := f.Path
		if path == "" {
			path = "/"
		}
		fmt.Fprintf(w, "<file name=\"%s\" path=\"%s\" encoding=\"base64\">%s</file>\n",
			xmlAttr(f.Name), xmlAttr(path), base64.StdEncoding.EncodeToString(f.Data))
	}
}

// fixed7 writes a grade as Moodle does: 1 → "1.0000000".
func fixed7(f float64) string {
	return fmt.Sprintf("%.7f", f)
}

// xmlTextElem writes <text>..</text> at an indent, in CDATA when the text needs
// escaping (Moodle's xml_escape), splitting "]]>" across two sections.
func xmlTextElem(s string, indent int) string {
	return strings.Repeat("  ", indent) + "<text>" + xmlContent(s) + "</text>\n"
}

func xmlContent(s string) string {
	s = validXMLChars(s)
	if s == "" || !strings.ContainsAny(s, "<>&\"'") {
		return s
	}
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(validXMLChars(s)))
	return b.String()
}

func xmlAttr(s string) string {
	return xmlEscape(s)
}

// validXMLChars drops what XML 1.0 cannot carry (control characters, invalid UTF-8).
// A "\r" is dropped too: XML readers turn it into "\n" anyway.
func validXMLChars(s string) string {
	ok := true
	for _, r := range s {
		if !isXMLChar(r) || r == '\r' || r == utf8.RuneError {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !isXMLChar(r) || r == '\r' || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}
