package moodleformat

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The XML shapes of a Moodle XML export (question/format/xml/format.php).

type xmlQuiz struct {
	XMLName   xml.Name      `xml:"quiz"`
	Questions []xmlQuestion `xml:"question"`
}

type xmlText struct {
	Format string    `xml:"format,attr"`
	Text   string    `xml:"text"`
	Files  []xmlFile `xml:"file"`
}

type xmlFile struct {
	Name     string `xml:"name,attr"`
	Path     string `xml:"path,attr"`
	Encoding string `xml:"encoding,attr"`
	Data     string `xml:",chardata"`
}

type xmlAnswer struct {
	Fraction  string    `xml:"fraction,attr"`
	Format    string    `xml:"format,attr"`
	Text      *string   `xml:"text"`
	Bare      string    `xml:",chardata"` // numerical answers of old files: <answer>3.14<tolerance>..
	Files     []xmlFile `xml:"file"`
	Feedback  xmlText   `xml:"feedback"`
	Tolerance string    `xml:"tolerance"`
}

type xmlSubquestion struct {
	Format string    `xml:"format,attr"`
	Text   string    `xml:"text"`
	Files  []xmlFile `xml:"file"`
	Answer struct {
		Text string `xml:"text"`
	} `xml:"answer"`
}

type xmlUnit struct {
	Multiplier string `xml:"multiplier"`
	Name       string `xml:"unit_name"`
}

type xmlTag struct {
	Text string `xml:"text"`
}

type xmlQuestion struct {
	Type            string           `xml:"type,attr"`
	Category        xmlText          `xml:"category"`
	Name            xmlText          `xml:"name"`
	QuestionText    xmlText          `xml:"questiontext"`
	GeneralFeedback xmlText          `xml:"generalfeedback"`
	DefaultGrade    *string          `xml:"defaultgrade"`
	Penalty         *string          `xml:"penalty"`
	IDNumber        string           `xml:"idnumber"`
	Single          *string          `xml:"single"`
	ShuffleAnswers  *string          `xml:"shuffleanswers"`
	UseCase         string           `xml:"usecase"`
	Answers         []xmlAnswer      `xml:"answer"`
	Units           []xmlUnit        `xml:"units>unit"`
	Subquestions    []xmlSubquestion `xml:"subquestion"`
	GraderInfo      xmlText          `xml:"graderinfo"`
	Tags            []xmlTag         `xml:"tags>tag"`
}

// ParseXML reads a Moodle XML question file. It returns an error only when the file
// as a whole cannot be read: not well-formed XML, a root other than <quiz>, or a read
// error. A UTF-8 byte order mark, Windows line endings and an ISO-8859-1 or
// windows-1252 encoding declaration are accepted.
func ParseXML(r io.Reader) (Result, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	dec := xml.NewDecoder(br)
	dec.CharsetReader = charsetReader
	var quiz xmlQuiz
	if err := dec.Decode(&quiz); err != nil {
		var se *xml.SyntaxError
		switch {
		case errors.As(err, &se):
			return Result{}, fmt.Errorf("moodle xml: line %d: %s", se.Line, se.Msg)
		case errors.Is(err, io.EOF):
			return Result{}, errors.New("moodle xml: the file is empty")
		}
		return Result{}, fmt.Errorf("moodle xml: %w", err)
	}
	// Anything but white space and comments after </quiz> is a broken file.
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Result{}, fmt.Errorf("moodle xml: after </quiz>: %w", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return Result{}, errors.New("moodle xml: text after </quiz>")
			}
		case xml.StartElement:
			return Result{}, fmt.Errorf("moodle xml: element <%s> after </quiz>", t.Name.Local)
		}
	}

	var res Result
	category := ""
	for _, xq := range quiz.Questions {
		if strings.TrimSpace(xq.Type) == "category" {
			category = clean(xq.Category.Text)
			continue
		}
		i := len(res.Questions)
		q, prob := fromXML(i, &xq)
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

// charsetReader accepts the single-byte encodings old Moodle files declare.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1", "windows-1252", "cp1252", "us-ascii", "ascii":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		out.Grow(len(b))
		for _, c := range b {
			out.WriteRune(rune(c))
		}
		return &out, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", charset)
}

// xmlFormat reads a format attribute; def applies when it is missing.
func xmlFormat(s string, def TextFormat) TextFormat {
	switch strings.TrimSpace(s) {
	case "":
		return def
	case "html":
		return FormatHTML
	case "moodle_auto_format", "wiki_like":
		return FormatMoodle
	case "plain_text":
		return FormatPlain
	case "markdown":
		return FormatMarkdown
	}
	return FormatHTML
}

// xmlBool reads Moodle's booleans: "true", "1" are true; "false", "0" and empty are
// false (trans_single); def applies when the element is missing.
func xmlBool(s *string, def bool) bool {
	if s == nil {
		return def
	}
	v := strings.ToLower(clean(*s))
	return v != "" && v != "false" && v != "0"
}

// fromXML converts one non-category question. It returns a problem when a value
// cannot be read at all; validate checks the rest.
func fromXML(i int, xq *xmlQuestion) (Question, *Problem) {
	q := Question{
		Type:         QuestionType(strings.TrimSpace(xq.Type)),
		Name:         clean(xq.Name.Text),
		Text:         clean(xq.QuestionText.Text),
		TextFormat:   xmlFormat(xq.QuestionText.Format, FormatHTML),
		DefaultGrade: DefaultGrade,
		Penalty:      DefaultPenalty,
		IDNumber:     clean(xq.IDNumber),
	}
	if q.Type == "match" {
		q.Type = TypeMatching
	}
	if q.Name == "" {
		q.Name = defaultName(q.Text)
	}
	var prob *Problem
	fail := func(code, en, id string) {
		if prob == nil {
			p := newProblem(i, &q, code, en, id)
			prob = &p
		}
	}
	q.GeneralFeedback = clean(xq.GeneralFeedback.Text)
	for _, t := range xq.Tags {
		if tag := clean(t.Text); tag != "" {
			q.Tags = append(q.Tags, tag)
		}
	}
	addFiles := func(files []xmlFile) {
		for _, f := range files {
			file, err := decodeFile(f)
			if err != nil {
				fail(CodeInvalidFile,
					fmt.Sprintf("embedded file %q cannot be decoded: %v", f.Name, err),
					fmt.Sprintf("berkas tersemat %q tidak dapat dibaca: %v", f.Name, err))
				continue
			}
			q.addFile(file)
		}
	}
	addFiles(xq.QuestionText.Files)
	addFiles(xq.GeneralFeedback.Files)
	if xq.DefaultGrade != nil && clean(*xq.DefaultGrade) != "" {
		if f, ok := parseNumber(clean(*xq.DefaultGrade)); ok && f >= 0 {
			q.DefaultGrade = round7(f)
		} else {
			fail(CodeMalformed, fmt.Sprintf("the default grade %q is not a number", *xq.DefaultGrade),
				fmt.Sprintf("nilai bawaan %q bukan angka", *xq.DefaultGrade))
		}
	}
	if xq.Penalty != nil && clean(*xq.Penalty) != "" {
		if f, ok := parseNumber(clean(*xq.Penalty)); ok && f >= 0 && f <= 1 {
			if f-DefaultPenalty < 0.005 && DefaultPenalty-f < 0.005 {
				f = DefaultPenalty // old files wrote 0.33 or 0.333333
			}
			q.Penalty = round7(f)
		} else {
			fail(CodeMalformed, fmt.Sprintf("the penalty %q is not a number between 0 and 1", *xq.Penalty),
				fmt.Sprintf("penalti %q bukan angka antara 0 dan 1", *xq.Penalty))
		}
	}
	if !q.Type.Supported() {
		return q, nil // validate reports the type; its details are not read
	}

	answers := func(withTolerance bool) {
		for k, xa := range xq.Answers {
			a := Answer{Feedback: clean(xa.Feedback.Text)}
			if xa.Text != nil {
				a.Text = clean(*xa.Text)
			} else {
				a.Text = clean(xa.Bare)
			}
			addFiles(xa.Files)
			addFiles(xa.Feedback.Files)
			frac := clean(xa.Fraction)
			if frac == "" {
				frac = "0"
			}
			f, ok := percentToFraction(frac)
			if !ok {
				fail(CodeMalformed,
					fmt.Sprintf("answer %d has a grade %q that is not a number", k+1, xa.Fraction),
					fmt.Sprintf("nilai jawaban %d (%q) bukan angka", k+1, xa.Fraction))
			}
			a.Fraction = f
			if withTolerance {
				if tol := clean(xa.Tolerance); tol != "" {
					t, ok := parseNumber(tol)
					if !ok {
						fail(CodeInvalidNumber,
							fmt.Sprintf("answer %d has a tolerance %q that is not a number", k+1, xa.Tolerance),
							fmt.Sprintf("toleransi jawaban %d (%q) bukan angka", k+1, xa.Tolerance))
					}
					a.Tolerance = t
				}
			}
			q.Answers = append(q.Answers, a)
		}
	}

	switch q.Type {
	case TypeMultichoice:
		q.Single = xmlBool(xq.Single, true)
		q.ShuffleAnswers = xmlBool(xq.ShuffleAnswers, false)
		answers(false)
		q.Answers = dropBlank(q.Answers)
	case TypeTrueFalse:
		answers(false)
		var t, f *Answer
		for k := range q.Answers {
			a := &q.Answers[k]
			switch {
			case strings.EqualFold(a.Text, "true") && t == nil:
				t = a
			case strings.EqualFold(a.Text, "false") && f == nil:
				f = a
			case k == 0 && t == nil: // old files wrote the answers localised, true first
				t = a
			case k == 1 && f == nil:
				f = a
			}
		}
		if t == nil || f == nil {
			q.Answers = nil // validate: no answers
			break
		}
		q.Answers = []Answer{
			{Text: "true", Fraction: t.Fraction, Feedback: t.Feedback},
			{Text: "false", Fraction: f.Fraction, Feedback: f.Feedback},
		}
	case TypeShortAnswer:
		q.UseCase = xmlBool(&xq.UseCase, false)
		answers(false)
		q.Answers = dropBlank(q.Answers)
	case TypeNumerical:
		answers(true)
		for k := range q.Answers {
			if q.Answers[k].Text == "" {
				q.Answers[k].Text = "*"
			}
		}
		for k, xu := range xq.Units {
			u := Unit{Name: clean(xu.Name), Multiplier: 1}
			if m := clean(xu.Multiplier); m != "" {
				f, ok := parseNumber(m)
				if !ok {
					fail(CodeInvalidNumber,
						fmt.Sprintf("unit %d has a multiplier %q that is not a number", k+1, xu.Multiplier),
						fmt.Sprintf("pengali satuan %d (%q) bukan angka", k+1, xu.Multiplier))
				}
				u.Multiplier = f
			}
			q.Units = append(q.Units, u)
		}
	case TypeMatching:
		q.ShuffleAnswers = xmlBool(xq.ShuffleAnswers, true)
		for _, xs := range xq.Subquestions {
			addFiles(xs.Files)
			s := Subquestion{Text: clean(xs.Text), Answer: clean(xs.Answer.Text)}
			if s.Text == "" && s.Answer == "" {
				continue // Moodle drops blank pairs
			}
			q.Subquestions = append(q.Subquestions, s)
		}
	case TypeOrdering:
		// qtype_ordering writes the items in their correct order; the fraction
		// attribute is the position, which its importer ignores too.
		answers(false)
		q.Answers = dropBlank(q.Answers)
		for k := range q.Answers {
			q.Answers[k].Fraction = 0
		}
	case TypeEssay:
		q.GraderInfo = clean(xq.GraderInfo.Text)
		addFiles(xq.GraderInfo.Files)
	case TypeDescription:
		q.DefaultGrade = 0
		q.Penalty = 0
	}
	return q, prob
}

// dropBlank removes answers without text, as Moodle does when it saves a question.
func dropBlank(as []Answer) []Answer {
	out := as[:0]
	for _, a := range as {
		if a.Text != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func decodeFile(f xmlFile) (File, error) {
	enc := strings.ToLower(strings.TrimSpace(f.Encoding))
	if enc != "" && enc != "base64" {
		return File{}, fmt.Errorf("unknown encoding %q", f.Encoding)
	}
	name := strings.TrimSpace(f.Name)
	if name == "" {
		return File{}, errors.New("no name")
	}
	data := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, f.Data)
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "="))
		if err != nil {
			return File{}, errors.New("invalid base64")
		}
	}
	path := strings.TrimSpace(f.Path)
	if path == "" {
		path = "/"
	}
	return File{Name: name, Path: path, Encoding: "base64", Data: b}, nil
}

// addFile keeps one file per path and name.
func (q *Question) addFile(f File) {
	for _, g := range q.Files {
		if g.Name == f.Name && g.Path == f.Path {
			return
		}
	}
	q.Files = append(q.Files, f)
}
