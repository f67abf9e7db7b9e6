package moodleformat

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// GIFT, as Moodle's question/format/gift/format.php reads and writes it:
//
//	// comment lines start with two slashes
//	$CATEGORY: $course$/top/Literasi Digital
//
//	::Name::[html]Question text {=right#feedback ~wrong ~%50%half ####general feedback}
//
// Questions are separated by blank lines. The characters \ : # = ~ { } are escaped with a
// backslash, \n is a newline inside a text.

// giftFormats maps GIFT's [format] markers.
var giftFormats = map[string]TextFormat{
	"html": FormatHTML, "moodle": FormatMoodle, "plain": FormatPlain, "markdown": FormatMarkdown,
}

// withFormat strips a leading [format] marker (Moodle's parse_text_with_format) and
// returns the trimmed text and its format, def when there is no known marker.
func withFormat(g gtext, def TextFormat) (string, TextFormat) {
	g = g.trim()
	if g.hasPrefix("[") {
		if end := g.index("]", 1); end > 0 {
			if f, ok := giftFormats[g.slice(1, end).String()]; ok {
				return strings.TrimSpace(g.from(end + 1).String()), f
			}
		}
	}
	return strings.TrimSpace(g.String()), def
}

// giftBlock is one question's lines with its comment lines apart.
type giftBlock struct {
	lines    []string
	comments []string
}

// ParseGIFT reads a GIFT file. It returns an error only when the file cannot be read;
// a question with a syntax error is returned with a CodeMalformed problem. A UTF-8 byte
// order mark and Windows line endings are accepted.
func ParseGIFT(r io.Reader) (Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Result{}, fmt.Errorf("gift: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")

	var blocks []giftBlock
	var cur giftBlock
	flush := func() {
		if len(cur.lines) > 0 || len(cur.comments) > 0 {
			blocks = append(blocks, cur)
		}
		cur = giftBlock{}
	}
	lines := strings.Split(text, "\n")
	for n, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			// A blank line ends a question, unless its answer block is still open and
			// the next line goes on with answers (Moodle would reject the question;
			// we read it).
			if len(cur.lines) > 0 && continuesAnswers(lines[n+1:]) && openBrace(strings.Join(cur.lines, "\n")) {
				continue
			}
			flush()
		case strings.HasPrefix(t, "//"):
			cur.comments = append(cur.comments, t)
		default:
			cur.lines = append(cur.lines, strings.TrimRight(line, " \t"))
		}
	}
	flush()

	var res Result
	category := ""
	for _, b := range blocks {
		lines := b.lines
		if len(lines) == 0 {
			continue // comments only
		}
		if first := strings.TrimSpace(lines[0]); strings.HasPrefix(first, "$CATEGORY:") {
			category = strings.TrimSpace(unescapeGIFT(strings.TrimPrefix(first, "$CATEGORY:")).String())
			lines = lines[1:]
			if len(lines) == 0 {
				continue
			}
		}
		i := len(res.Questions)
		q, prob := parseGIFTQuestion(i, strings.TrimSpace(strings.Join(lines, "\n")), b.comments)
		q.Category = category
		if prob == nil {
			prob = validate(i, &q)
		}
		res.Questions = append(res.Questions, q)
		if prob != nil {
			prob.Name, prob.Type = q.Name, q.Type
			res.Problems = append(res.Problems, *prob)
		}
	}
	return res, nil
}

// continuesAnswers reports whether the next non-blank line starts with answer syntax.
func continuesAnswers(rest []string) bool {
	for _, l := range rest {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		return strings.ContainsAny(t[:1], "~=#}%")
	}
	return false
}

// openBrace reports whether s has an unescaped "{" without a "}" after it.
func openBrace(s string) bool {
	g := unescapeGIFT(s)
	open := g.index("{", 0)
	return open >= 0 && g.index("}", open+1) < 0
}

// giftComment reads Moodle 4's "// [id:...]" and "// [tag:...]" comment lines.
func giftComment(q *Question, comments []string) {
	for _, c := range comments {
		for _, key := range []string{"[id:", "[tag:"} {
			rest := c
			for {
				i := strings.Index(rest, key)
				if i < 0 {
					break
				}
				rest = rest[i+len(key):]
				j := strings.Index(rest, "]")
				if j < 0 {
					break
				}
				v := strings.TrimSpace(rest[:j])
				rest = rest[j+1:]
				if v == "" {
					continue
				}
				if key == "[id:" {
					q.IDNumber = v
				} else {
					q.Tags = append(q.Tags, v)
				}
			}
		}
	}
}

func parseGIFTQuestion(i int, raw string, comments []string) (Question, *Problem) {
	q := Question{DefaultGrade: DefaultGrade, Penalty: DefaultPenalty, TextFormat: FormatMoodle}
	giftComment(&q, comments)
	malformed := func(en, id string) (Question, *Problem) {
		if q.Name == "" {
			q.Name = defaultName(raw)
		}
		p := newProblem(i, &q, CodeMalformed, en, id)
		return q, &p
	}

	g := unescapeGIFT(raw)
	if g.hasPrefix("::") {
		if end := g.index("::", 2); end >= 0 {
			q.Name = strings.TrimSpace(g.slice(2, end).String())
			g = g.from(end + 2).trim()
		} else {
			g = g.from(2)
		}
	}

	open := g.index("{", 0)
	closing := -1
	if open >= 0 {
		closing = g.index("}", open+1)
	} else {
		closing = g.index("}", 0)
	}
	var answer gtext
	description := false
	var stem gtext
	switch {
	case open < 0 && closing < 0:
		description = true
		stem = g
	case open < 0 || closing < 0:
		return malformed("the answer braces { } are not paired", "kurung jawaban { } tidak berpasangan")
	default:
		answer = g.slice(open+1, closing).trim()
		after := g.from(closing + 1).trim()
		if len(after.r) == 0 {
			stem = g.slice(0, open)
		} else {
			// Missing-word format: the answers stand in the sentence.
			blank := unescapeGIFT("_____")
			stem = gtext{
				r:   append(append(append([]rune{}, g.r[:open]...), blank.r...), g.r[closing+1:]...),
				esc: append(append(append([]bool{}, g.esc[:open]...), blank.esc...), g.esc[closing+1:]...),
			}
		}
	}

	var generalFeedback gtext
	if k := answer.lastIndex("####"); k >= 0 {
		generalFeedback = answer.from(k + 4)
		answer = answer.slice(0, k).trim()
	}
	q.Text, q.TextFormat = withFormat(stem, FormatMoodle)
	q.GeneralFeedback, _ = withFormat(generalFeedback, q.TextFormat)
	if q.Name == "" {
		q.Name = defaultName(q.Text)
	}
	format := q.TextFormat
	text := func(g gtext) string { s, _ := withFormat(g, format); return s }
	// answerAndFeedback splits "answer#feedback" (Moodle's commentparser).
	answerAndFeedback := func(g gtext) (string, string) {
		a, fb, _ := g.cut("#")
		return text(a), text(fb)
	}
	// weight reads a leading %n% (percent); ok is false when there is none.
	weight := func(g gtext) (float64, gtext, bool) {
		g = g.trim()
		if !g.hasPrefix("%") {
			return 0, g, false
		}
		end := g.index("%", 1)
		if end < 0 {
			return 0, g, false
		}
		f, ok := percentToFraction(g.slice(1, end).String())
		if !ok {
			return 0, g, false
		}
		return f, g.from(end + 1), true
	}

	first := rune(0)
	if len(answer.r) > 0 && !answer.esc[0] {
		first = answer.r[0]
	}
	switch {
	case description:
		q.Type = TypeDescription
		q.DefaultGrade, q.Penalty = 0, 0
	case len(answer.r) == 0:
		q.Type = TypeEssay
	case first == '>':
		q.Type = TypeOrdering
		return q, parseGIFTOrdering(&q, answer.from(1))
	case first == '#':
		q.Type = TypeNumerical
		body := answer.from(1)
		var wrong gtext
		hasWrong := false
		if k := body.index("~", 0); k >= 0 {
			wrong, body, hasWrong = body.from(k+1), body.slice(0, k), true
		}
		parts := body.split("=")
		if len(parts) > 0 && len(parts[0].trim().r) == 0 {
			parts = parts[1:]
		}
		if len(parts) == 0 {
			q.Answers = nil
		}
		for k, p := range parts {
			f, rest, ok := weight(p)
			if !ok {
				f = 1
			}
			value, fb := answerAndFeedback(rest)
			a := Answer{Fraction: f, Feedback: fb}
			var tol string
			if m := strings.Index(value, ".."); m > 0 {
				lo, ok1 := parseNumber(value[:m])
				hi, ok2 := parseNumber(value[m+2:])
				if !ok1 || !ok2 {
					return malformed(fmt.Sprintf("answer %d (%q) is not a number range", k+1, value),
						fmt.Sprintf("jawaban %d (%q) bukan rentang angka", k+1, value))
				}
				mid := (lo + hi) / 2
				a.Text, a.Tolerance = trimFloat(round7(mid)), round7(hi-mid)
			} else {
				if m := strings.Index(value, ":"); m > 0 {
					value, tol = strings.TrimSpace(value[:m]), strings.TrimSpace(value[m+1:])
				}
				a.Text = strings.TrimSpace(value)
				if tol != "" {
					t, ok := parseNumber(tol)
					if !ok {
						p := newProblem(i, &q, CodeInvalidNumber,
							fmt.Sprintf("answer %d has a tolerance %q that is not a number", k+1, tol),
							fmt.Sprintf("toleransi jawaban %d (%q) bukan angka", k+1, tol))
						q.Answers = append(q.Answers, a)
						return q, &p
					}
					a.Tolerance = t
				}
			}
			q.Answers = append(q.Answers, a)
		}
		if hasWrong {
			_, fb := answerAndFeedback(wrong)
			q.Answers = append(q.Answers, Answer{Text: "*", Feedback: fb})
		}
	case answer.index("~", 0) >= 0:
		q.Type = TypeMultichoice
		q.Single = answer.index("=", 0) >= 0
		q.ShuffleAnswers = true
		// Cut before every unescaped ~ or =, keeping the marker.
		var parts []gtext
		start := 0
		for k := range answer.r {
			if !answer.esc[k] && (answer.r[k] == '~' || answer.r[k] == '=') && k > start {
				parts = append(parts, answer.slice(start, k))
				start = k
			}
		}
		parts = append(parts, answer.from(start))
		for _, p := range parts {
			p = p.trim()
			if len(p.r) == 0 {
				continue
			}
			var f float64
			switch {
			case p.hasPrefix("="):
				p = p.from(1)
				f = 1
				if w, rest, ok := weight(p); ok {
					f, p = w, rest
				}
			case p.hasPrefix("~"):
				p = p.from(1)
				if w, rest, ok := weight(p); ok {
					f, p = w, rest
				}
			}
			a, fb := answerAndFeedback(p)
			if a == "" && fb == "" {
				continue
			}
			q.Answers = append(q.Answers, Answer{Text: a, Fraction: f, Feedback: fb})
		}
	case answer.index("=", 0) >= 0 && answer.index("->", 0) >= 0:
		q.Type = TypeMatching
		q.ShuffleAnswers = true
		parts := answer.split("=")
		if len(parts) > 0 && len(parts[0].trim().r) == 0 {
			parts = parts[1:]
		}
		for k, p := range parts {
			left, right, ok := p.trim().cut("->")
			if !ok {
				return malformed(fmt.Sprintf("pair %d has no \"->\"", k+1),
					fmt.Sprintf("pasangan %d tidak memiliki \"->\"", k+1))
			}
			q.Subquestions = append(q.Subquestions, Subquestion{
				Text: text(left), Answer: strings.TrimSpace(right.String()),
			})
		}
	default:
		head, _, _ := answer.cut("#")
		switch strings.ToUpper(strings.TrimSpace(head.String())) {
		case "T", "TRUE", "F", "FALSE":
			q.Type = TypeTrueFalse
			q.Penalty = 1
			parts := answer.split("#")
			value := strings.ToUpper(strings.TrimSpace(parts[0].String()))
			wrongFB, rightFB := "", ""
			if len(parts) > 1 {
				wrongFB = text(parts[1])
			}
			if len(parts) > 2 {
				// Moodle splits at most in three: a "#" in the right feedback stays.
				rightFB = text(answer.from(answer.index("#", answer.index("#", 0)+1) + 1))
			}
			t := Answer{Text: "true"}
			f := Answer{Text: "false"}
			if value == "T" || value == "TRUE" {
				t.Fraction, t.Feedback, f.Feedback = 1, rightFB, wrongFB
			} else {
				f.Fraction, f.Feedback, t.Feedback = 1, rightFB, wrongFB
			}
			q.Answers = []Answer{t, f}
		default:
			q.Type = TypeShortAnswer
			parts := answer.split("=")
			if len(parts) > 0 && len(parts[0].trim().r) == 0 {
				parts = parts[1:]
			}
			for _, p := range parts {
				f, rest, ok := weight(p)
				if !ok {
					f = 1
				}
				a, fb := answerAndFeedback(rest)
				if a == "" {
					continue
				}
				q.Answers = append(q.Answers, Answer{Text: a, Fraction: f, Feedback: fb})
			}
		}
	}
	return q, nil
}

// parseGIFTOrdering reads qtype_ordering's GIFT: {>count [ALL|RANDOM|CONTIGUOUS]
// [VERTICAL|HORIZONTAL] [grading type] [SHOW|HIDE] then one item per line}.
func parseGIFTOrdering(q *Question, body gtext) *Problem {
	lines := body.split("\n")
	header := strings.Fields(lines[0].String())
	// Drop the leading count and known keywords; what is left of the first line is
	// the first item.
	k := 0
	for k < len(header) {
		h := strings.ToUpper(header[k])
		if _, ok := parseNumber(h); ok && k == 0 {
			k++
			continue
		}
		if orderingKeywords[h] {
			k++
			continue
		}
		break
	}
	var items []string
	if rest := strings.Join(header[k:], " "); rest != "" {
		items = append(items, rest)
	}
	for _, l := range lines[1:] {
		if s := strings.TrimSpace(l.String()); s != "" {
			items = append(items, s)
		}
	}
	for _, it := range items {
		q.Answers = append(q.Answers, Answer{Text: it})
	}
	return nil
}

var orderingKeywords = map[string]bool{
	"ALL": true, "EXACT": true, "RANDOM": true, "REL": true, "CONTIGUOUS": true, "CONTIG": true,
	"HORIZONTAL": true, "HORI": true, "H": true, "VERTICAL": true, "VERT": true, "V": true,
	"ALL_OR_NOTHING": true, "ABSOLUTE_POSITION": true, "ABSOLUTE": true, "ABS": true,
	"RELATIVE_NEXT_EXCLUDE_LAST": true, "RELATIVE_NEXT_INCLUDE_LAST": true,
	"RELATIVE_ONE_PREVIOUS_AND_NEXT": true, "RELATIVE_ALL_PREVIOUS_AND_NEXT": true,
	"RELATIVE_TO_CORRECT": true, "RELATIVE": true, "LONGEST_ORDERED_SUBSET": true,
	"LONGEST_CONTIGUOUS_SUBSET": true, "SHOW": true, "HIDE": true, "TRUE": true, "FALSE": true,
	"YES": true, "NO": true,
}
