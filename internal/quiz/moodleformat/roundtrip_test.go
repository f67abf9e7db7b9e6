package moodleformat

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

// sampleQuestions has one question of every supported type, with the content that
// trips writers: HTML, "]]>", GIFT's special characters, newlines, partial and
// negative grades, units, distractors, tags, files.
func sampleQuestions() []Question {
	const cat = "$course$/top/Literasi Digital/Keamanan"
	return []Question{
		{
			Name: "Pilihan tunggal: HTML & gambar", Type: TypeMultichoice, TextFormat: FormatHTML,
			Text:         `<p style="color: red">Pilih {satu} = jawaban ~ benar #1</p><img src="@@PLUGINFILE@@/a.png">`,
			DefaultGrade: 2, Penalty: 0.3333333, GeneralFeedback: "<p>Umpan balik umum: a\\b</p>",
			Answers: []Answer{
				{Text: "<b>Benar</b> & tepat", Fraction: 1, Feedback: "Bagus]]>sekali"},
				{Text: "Setengah", Fraction: 0.5, Feedback: "Hampir"},
				{Text: "[html] bukan penanda", Fraction: 0},
				{Text: "%50% bukan bobot", Fraction: 0},
				{Text: "Salah", Fraction: -0.3333333},
			},
			Single: true, ShuffleAnswers: true, Category: cat, IDNumber: "KS-01",
			Tags:  []string{"keamanan siber", "SPBE"},
			Files: []File{{Name: "a.png", Path: "/", Encoding: "base64", Data: []byte("\x89PNG\r\n\x1a\nxyz")}},
		},
		{
			Name: "Pilihan ganda", Type: TypeMultichoice, TextFormat: FormatMoodle,
			Text:         "Pilih semua:\nbaris kedua",
			DefaultGrade: 1, Penalty: 0.1,
			Answers: []Answer{
				{Text: "A", Fraction: 0.3333333}, {Text: "B", Fraction: 0.3333333}, {Text: "C", Fraction: 0.3333334},
				{Text: "D", Fraction: -1, Feedback: "Jangan"},
			},
			ShuffleAnswers: true, Category: cat,
		},
		{
			Name: "Benar salah", Type: TypeTrueFalse, TextFormat: FormatPlain,
			Text: "Kata sandi boleh dibagikan: ya?", DefaultGrade: 1, Penalty: 1,
			GeneralFeedback: "Tidak boleh.",
			Answers:         []Answer{{Text: "true", Feedback: "Salah"}, {Text: "false", Fraction: 1, Feedback: "Benar # betul"}},
			Category:        "$course$/top/Lain",
		},
		{
			Name: "Benar salah tanpa umpan balik", Type: TypeTrueFalse, TextFormat: FormatMoodle,
			Text: "Langit biru.", DefaultGrade: 1, Penalty: 1,
			Answers:  []Answer{{Text: "true", Fraction: 1, Feedback: "Ya"}, {Text: "false"}},
			Category: "$course$/top/Lain",
		},
		{
			Name: "Isian", Type: TypeShortAnswer, TextFormat: FormatMarkdown,
			Text: "Singkatan **SPBE**?", DefaultGrade: 1, Penalty: 0.3333333,
			Answers: []Answer{
				{Text: "Sistem Pemerintahan Berbasis Elektronik", Fraction: 1, Feedback: "Ya"},
				{Text: "*Elektronik*", Fraction: 0.5},
				{Text: "a=b~c{d}#e:f", Fraction: 0.1, Feedback: "aneh"},
			},
			Category: "$course$/top/Lain",
		},
		{
			Name: "Angka", Type: TypeNumerical, TextFormat: FormatHTML,
			Text: "<p>Berapa KB dalam 2 MB?</p>", DefaultGrade: 1, Penalty: 0.3333333,
			Answers: []Answer{
				{Text: "2048", Fraction: 1, Tolerance: 0.5, Feedback: "Benar"},
				{Text: "-2000.5", Fraction: 0.25, Tolerance: 50},
				{Text: "*", Feedback: "Salah: hitung lagi"},
			},
			Units:    []Unit{{Name: "KB", Multiplier: 1}, {Name: "MB", Multiplier: 0.0009765625}},
			Category: "$course$/top/Lain",
		},
		{
			Name: "Pasangkan", Type: TypeMatching, TextFormat: FormatHTML,
			Text: "<p>Pasangkan</p>", DefaultGrade: 3, Penalty: 0.3333333, ShuffleAnswers: true,
			Subquestions: []Subquestion{
				{Text: "<p>Phishing</p>", Answer: "Surel palsu"},
				{Text: "<p>DDoS</p>", Answer: "Banjir lalu lintas = down"},
				{Text: "", Answer: "Distraktor {x}"},
			},
		},
		{
			Name: "Urutkan", Type: TypeOrdering, TextFormat: FormatHTML,
			Text: "<p>Urutkan</p>", DefaultGrade: 1, Penalty: 0.3333333,
			Answers: []Answer{{Text: "Identifikasi"}, {Text: "Penahanan: isolasi"}, {Text: "Pemulihan {akhir}"}},
		},
		{
			Name: "Esai", Type: TypeEssay, TextFormat: FormatHTML,
			Text: "<p>Jelaskan.</p>", DefaultGrade: 10, Penalty: 0,
			GeneralFeedback: "<p>Lihat rubrik.</p>", GraderInfo: "<p>Rubrik</p>",
		},
		{
			Name: "Keterangan", Type: TypeDescription, TextFormat: FormatHTML,
			Text: "<h4>Bagian B</h4>",
		},
	}
}

func TestWriteXMLThenParseXMLGivesTheSameQuestions(t *testing.T) {
	qs := sampleQuestions()
	var buf bytes.Buffer
	if err := WriteXML(&buf, "$course$/top/Bawaan", qs); err != nil {
		t.Fatal(err)
	}
	res, err := ParseXML(&buf)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	want := sampleQuestions()
	for i := range want {
		if want[i].Category == "" {
			want[i].Category = "$course$/top/Bawaan"
		}
	}
	compareQuestions(t, res.Questions, want)
	if len(res.Problems) != 0 {
		t.Errorf("problems: %+v", res.Problems)
	}
}

func TestWriteXMLWritesWhatMoodleWrites(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXML(&buf, "", sampleQuestions()[:2]); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n",
		"  <question type=\"category\">\n    <category>\n      <text>$course$/top/Literasi Digital/Keamanan</text>\n    </category>",
		"  <question type=\"multichoice\">\n    <name>\n      <text><![CDATA[Pilihan tunggal: HTML & gambar]]></text>",
		"<questiontext format=\"html\">\n      <text><![CDATA[<p style=\"color: red\">",
		"<file name=\"a.png\" path=\"/\" encoding=\"base64\">",
		"<answer fraction=\"100\" format=\"html\">",
		"<answer fraction=\"-33.33333\" format=\"html\">",
		"<text><![CDATA[Bagus]]]]><![CDATA[>sekali]]></text>",
		"<defaultgrade>2.0000000</defaultgrade>",
		"<penalty>0.3333333</penalty>",
		"<single>true</single>",
		"<single>false</single>",
		"<shuffleanswers>true</shuffleanswers>",
		"<tags>\n      <tag><text>keamanan siber</text></tag>",
		"</quiz>\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(out, `type="category"`); n != 1 {
		t.Errorf("%d category elements for one category", n)
	}
}

// giftCanonical is what survives GIFT: no grades, units, grader information, files.
func giftCanonical(q Question) Question {
	q.DefaultGrade, q.Penalty = DefaultGrade, DefaultPenalty
	q.ShuffleAnswers, q.UseCase = false, false
	q.Units, q.GraderInfo, q.Files = nil, "", nil
	switch q.Type {
	case TypeTrueFalse:
		q.Penalty = 1
	case TypeDescription:
		q.DefaultGrade, q.Penalty = 0, 0
	case TypeMultichoice, TypeMatching:
		q.ShuffleAnswers = true
	}
	return q
}

func TestWriteGIFTThenParseGIFTGivesTheSameQuestions(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteGIFT(&buf, sampleQuestions()); err != nil {
		t.Fatal(err)
	}
	res, err := ParseGIFT(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var want []Question
	current := ""
	for _, q := range sampleQuestions() {
		q = giftCanonical(q)
		// A question without a category stays in the last one set (GIFT has no way
		// back to "none").
		if q.Category == "" {
			q.Category = current
		}
		current = q.Category
		want = append(want, q)
	}
	compareQuestions(t, res.Questions, want)
	if len(res.Problems) != 0 {
		t.Errorf("problems: %+v\n%s", res.Problems, buf.String())
	}
	if t.Failed() {
		t.Log(buf.String())
	}
}

func TestWriteGIFTEscapesAsMoodleDoes(t *testing.T) {
	var buf bytes.Buffer
	q := Question{Name: "N: 1", Type: TypeShortAnswer, TextFormat: FormatMoodle, Text: "a=b ~c #d {e} \\f\r\ng",
		Answers: []Answer{{Text: "x:y", Fraction: 1}}}
	if err := WriteGIFT(&buf, []Question{q}); err != nil {
		t.Fatal(err)
	}
	want := "// question: 1  name: N: 1\n::N\\: 1::a\\=b \\~c \\#d \\{e\\} \\\\f\\ng{\n\t=%100%x\\:y#\n}\n\n"
	if buf.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestMoodleExportsSurviveWritingAndReadingAgain(t *testing.T) {
	t.Run("xml", func(t *testing.T) {
		first := mustParseXMLFile(t, "testdata/literasi_digital.xml")
		var buf bytes.Buffer
		if err := WriteXML(&buf, "", first.Questions); err != nil {
			t.Fatal(err)
		}
		second, err := ParseXML(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, second) {
			compareQuestions(t, second.Questions, first.Questions)
			t.Errorf("problems %+v, want %+v", second.Problems, first.Problems)
		}
	})
	t.Run("gift", func(t *testing.T) {
		first := mustParseGIFTFile(t, "testdata/literasi_digital.gift.txt")
		var buf bytes.Buffer
		if err := WriteGIFT(&buf, first.Questions); err != nil {
			t.Fatal(err)
		}
		second, err := ParseGIFT(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, second) {
			compareQuestions(t, second.Questions, first.Questions)
			t.Errorf("problems %+v, want %+v", second.Problems, first.Problems)
		}
	})
	t.Run("xml to gift", func(t *testing.T) {
		xmlRes := mustParseXMLFile(t, "testdata/literasi_digital.xml")
		var valid []Question
		for i, q := range xmlRes.Questions {
			if xmlRes.ProblemAt(i) == nil {
				valid = append(valid, q)
			}
		}
		var buf bytes.Buffer
		if err := WriteGIFT(&buf, valid); err != nil {
			t.Fatal(err)
		}
		res, err := ParseGIFT(&buf)
		if err != nil {
			t.Fatal(err)
		}
		var want []Question
		for _, q := range valid {
			want = append(want, giftCanonical(q))
		}
		compareQuestions(t, res.Questions, want)
	})
}

func TestFixturesOfBothFormatsAreInTheRepository(t *testing.T) {
	// Guards the Windows fixtures against an editor or git normalising them.
	for _, name := range []string{"testdata/literasi_digital_windows.xml", "testdata/literasi_digital_windows.gift.txt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) || !bytes.Contains(b, []byte("\r\n")) {
			t.Errorf("%s lost its byte order mark or CRLF line endings", name)
		}
	}
}

func TestJoinCategoryIsTheInverseOfSplitCategory(t *testing.T) {
	for _, names := range [][]string{nil, {"Literasi Digital"}, {"Literasi Digital", "Keamanan/Data", "a//b"}} {
		path := JoinCategory(names)
		if got := SplitCategory(path); !reflect.DeepEqual(got, names) {
			t.Errorf("SplitCategory(JoinCategory(%q)) = %q (path %q)", names, got, path)
		}
	}
}
