package moodleformat

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

const (
	catLiterasi = "$course$/top/Literasi Digital"
	catKeamanan = "$course$/top/Literasi Digital/Keamanan"
	pngBase64   = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGM4o6QEAALOARFa6phZAAAAAElFTkSuQmCC"
)

func mustParseXMLFile(t *testing.T, name string) Result {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ParseXML(f)
	if err != nil {
		t.Fatalf("ParseXML(%s): %v", name, err)
	}
	return res
}

// expectedXMLFixture is what testdata/literasi_digital.xml holds, question by question.
func expectedXMLFixture(t *testing.T) []Question {
	png := mustBase64(t, pngBase64)
	return []Question{
		{
			Name: "LD-01 Pengertian literasi digital", Type: TypeMultichoice, TextFormat: FormatHTML,
			Text:         `<p dir="ltr" style="text-align: left;">Perhatikan gambar berikut.<br><img src="@@PLUGINFILE@@/literasi.png" alt="Ilustrasi literasi digital" width="1" height="1" class="img-fluid atto_image_button_text-bottom"></p><p>Apa yang dimaksud dengan <strong>literasi digital</strong>?</p>`,
			DefaultGrade: 1, Penalty: 0.3333333,
			GeneralFeedback: "<p>Literasi digital mencakup kecakapan, etika, budaya, dan keamanan digital.</p>",
			Answers: []Answer{
				{Text: "<p>Kemampuan menggunakan teknologi digital secara <em>cakap</em>, etis, dan aman</p>", Fraction: 1, Feedback: "<p>Tepat &amp; lengkap.</p>"},
				{Text: "<p>Kemampuan mengetik cepat</p>"},
				{Text: "<p>Kemampuan membuat akun media sosial</p>"}, // feedback $@NULL@$
			},
			Single: true, ShuffleAnswers: true, Category: catLiterasi, IDNumber: "LD-01",
			Tags:  []string{"literasi digital", "kompetensi:pilar-1"},
			Files: []File{{Name: "literasi.png", Path: "/", Encoding: "base64", Data: png}},
		},
		{
			Name: "LD-02 Pilar literasi digital (jawaban ganda)", Type: TypeMultichoice, TextFormat: FormatHTML,
			Text:         "<p>Manakah yang termasuk empat pilar literasi digital menurut Kominfo? Pilih semua yang benar.</p>",
			DefaultGrade: 3, Penalty: 0.3333333,
			Answers: []Answer{
				{Text: "Digital skills (cakap digital)", Fraction: 0.3333333},
				{Text: "Digital ethics (etika digital)", Fraction: 0.3333333},
				{Text: "Digital safety (aman digital)", Fraction: 0.3333334},
				{Text: "Digital <em>marketing</em>", Fraction: -0.5, Feedback: "<p>Pemasaran digital bukan salah satu pilar.</p>"},
				{Text: "Digital gaming", Fraction: -0.5},
			},
			Category: catLiterasi,
		},
		{
			Name: "LD-03 Hoaks", Type: TypeTrueFalse, TextFormat: FormatMoodle,
			Text:         "Menyebarkan informasi yang belum diverifikasi di grup WhatsApp kantor termasuk perilaku bijak bermedia sosial.",
			DefaultGrade: 1, Penalty: 1, GeneralFeedback: "Selalu saring sebelum sharing.",
			Answers: []Answer{
				{Text: "true", Feedback: "<p>Keliru: verifikasi dulu sebelum membagikan.</p>"},
				{Text: "false", Fraction: 1, Feedback: "Benar."},
			},
			Category: catLiterasi,
		},
		{
			Name: "LD-04 Singkatan SPBE", Type: TypeShortAnswer, TextFormat: FormatHTML,
			Text:         "<p>Tuliskan kepanjangan dari singkatan <b>SPBE</b>.</p>",
			DefaultGrade: 1, Penalty: 0.3333333,
			Answers: []Answer{
				{Text: "Sistem Pemerintahan Berbasis Elektronik", Fraction: 1, Feedback: "Tepat, sesuai Perpres 95/2018."},
				{Text: "*Pemerintahan*Elektronik*", Fraction: 0.5, Feedback: "Hampir tepat."},
			},
			Category: catLiterasi,
		},
		{
			Name: "LD-05 Kode negara", Type: TypeShortAnswer, TextFormat: FormatPlain,
			Text:         "Tulis kode domain tingkat atas untuk instansi pemerintah Indonesia (huruf kecil).",
			DefaultGrade: 1, Penalty: 0.1, UseCase: true,
			Answers:  []Answer{{Text: "go.id", Fraction: 1}},
			Category: catLiterasi,
		},
		{
			Name: "KS-01 Panjang kata sandi", Type: TypeNumerical, TextFormat: FormatHTML,
			Text:         "<p>Berapa jumlah karakter <em>minimum</em> kata sandi yang dianjurkan BSSN untuk akun layanan SPBE?</p>",
			DefaultGrade: 2, Penalty: 0.3333333,
			Answers: []Answer{
				{Text: "12", Fraction: 1, Feedback: "Benar."},
				{Text: "10", Fraction: 0.5, Feedback: "Mendekati.", Tolerance: 2},
				{Text: "*", Feedback: "Bacalah pedoman manajemen kata sandi."},
			},
			Category: catKeamanan,
		},
		{
			Name: "KS-02 Kapasitas unggahan", Type: TypeNumerical, TextFormat: FormatHTML,
			Text:         "<p>Batas unggahan berkas bukti dukung adalah 2 MB. Berapa besarnya dalam KB?</p>",
			DefaultGrade: 1, Penalty: 0.3333333,
			Answers:  []Answer{{Text: "2048", Fraction: 1, Tolerance: 0.5}},
			Units:    []Unit{{Name: "KB", Multiplier: 1}, {Name: "MB", Multiplier: 0.0009765625}},
			Category: catKeamanan,
		},
		{
			Name: "KS-03 Jenis serangan", Type: TypeMatching, TextFormat: FormatHTML,
			Text:         "<p>Pasangkan jenis serangan siber dengan contohnya.</p>",
			DefaultGrade: 1, Penalty: 0.3333333, ShuffleAnswers: true,
			Subquestions: []Subquestion{
				{Text: "<p>Phishing</p>", Answer: "Surel palsu yang meminta kata sandi"},
				{Text: "<p>Ransomware</p>", Answer: "Berkas dienkripsi dan dimintai tebusan"},
				{Text: "<p>DDoS</p>", Answer: "Situs layanan publik dibanjiri lalu lintas"},
				{Text: "", Answer: "Pembaruan perangkat lunak resmi"},
			},
			Category: catKeamanan,
		},
		{
			Name: "KS-04 Penanganan insiden", Type: TypeOrdering, TextFormat: FormatHTML,
			Text:         "<p>Urutkan langkah penanganan insiden keamanan informasi.</p>",
			DefaultGrade: 1, Penalty: 0.3333333,
			Answers: []Answer{
				{Text: "Identifikasi"}, {Text: "Penahanan (containment)"}, {Text: "Pemberantasan"}, {Text: "Pemulihan"},
			},
			Category: catKeamanan,
		},
		{
			Name: "KS-05 Rencana keamanan unit", Type: TypeEssay, TextFormat: FormatHTML,
			Text:         "<p>Jelaskan tiga langkah yang akan Anda terapkan untuk mengamankan data pribadi warga di unit kerja Anda.</p>",
			DefaultGrade: 10, Penalty: 0,
			GraderInfo: "<p>Nilai penuh bila menyebut klasifikasi data, kendali akses, dan enkripsi.</p>",
			Category:   catKeamanan,
		},
		{
			Name: "KS-00 Pengantar bagian keamanan", Type: TypeDescription, TextFormat: FormatHTML,
			Text:     "<h4>Bagian B: Keamanan Siber</h4><p>Bagian ini tidak dinilai.</p>",
			Category: catKeamanan,
		},
		{
			Name: "KS-06 Isian rumpang", Type: TypeCloze, TextFormat: FormatHTML,
			Text:         "<p>Autentikasi dua faktor disingkat {1:SHORTANSWER:=2FA~=MFA} dan kode sekali pakai disebut {1:MULTICHOICE:=OTP~PIN~CVV}.</p>",
			DefaultGrade: 1, Penalty: 0.3333333, Category: catKeamanan,
		},
		{
			Name: "KS-07 Seret kata", Type: TypeDDWTOS, TextFormat: FormatHTML,
			Text:         "<p>Kata sandi yang kuat memakai [[1]] dan [[2]].</p>",
			DefaultGrade: 1, Penalty: 0.3333333, Category: catKeamanan,
		},
		{
			Name: "KS-08 Soal tanpa pilihan", Type: TypeMultichoice, TextFormat: FormatHTML,
			Text:         "<p>Apa fungsi VPN bagi pegawai yang bekerja dari rumah?</p>",
			DefaultGrade: 1, Penalty: 0.3333333, Single: true, ShuffleAnswers: true, Category: catKeamanan,
		},
		{
			Name: "KS-09 Tidak ada jawaban benar", Type: TypeMultichoice, TextFormat: FormatHTML,
			Text:         "<p>Manakah protokol yang terenkripsi?</p>",
			DefaultGrade: 1, Penalty: 0.3333333, Single: true, ShuffleAnswers: true, Category: catKeamanan,
			Answers: []Answer{{Text: "HTTP"}, {Text: "FTP"}},
		},
		{
			Name: "KS-10 Nilai di luar rentang", Type: TypeMultichoice, TextFormat: FormatHTML,
			Text:         "<p>Manakah yang merupakan praktik baik?</p>",
			DefaultGrade: 1, Penalty: 0.3333333, Single: true, ShuffleAnswers: true, Category: catKeamanan,
			Answers: []Answer{
				{Text: "Mengunci layar saat meninggalkan meja", Fraction: 1.5},
				{Text: "Menempel kata sandi di monitor"},
			},
		},
	}
}

// expectedXMLProblems: index → code.
var expectedXMLProblems = map[int]string{
	11: CodeUnsupportedType, // cloze
	12: CodeUnsupportedType, // ddwtos
	13: CodeNoAnswers,
	14: CodeNoCorrectAnswer,
	15: CodeFractionOutOfRange,
}

func TestParseXMLReadsEveryQuestionOfAMoodleExportAsMoodleWroteIt(t *testing.T) {
	res := mustParseXMLFile(t, "testdata/literasi_digital.xml")
	want := expectedXMLFixture(t)
	if len(res.Questions) != len(want) {
		t.Fatalf("got %d questions, want %d", len(res.Questions), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(res.Questions[i], want[i]) {
			t.Errorf("question %d (%s):\n got %#v\nwant %#v", i, want[i].Name, res.Questions[i], want[i])
		}
	}
	checkProblems(t, res, expectedXMLProblems)
}

func checkProblems(t *testing.T, res Result, want map[int]string) {
	t.Helper()
	if len(res.Problems) != len(want) {
		t.Errorf("got %d problems, want %d: %+v", len(res.Problems), len(want), res.Problems)
	}
	for _, p := range res.Problems {
		code, ok := want[p.Index]
		if !ok {
			t.Errorf("unexpected problem %+v", p)
			continue
		}
		if p.Code != code {
			t.Errorf("question %d: code %q, want %q (%s)", p.Index, p.Code, code, p.Reason)
		}
		q := res.Questions[p.Index]
		if p.Name != q.Name || p.Type != q.Type {
			t.Errorf("problem %d names %q/%q, question is %q/%q", p.Index, p.Name, p.Type, q.Name, q.Type)
		}
		if p.Reason == "" || p.ReasonID == "" || p.Reason == p.ReasonID {
			t.Errorf("problem %d needs an English and an Indonesian reason: %+v", p.Index, p)
		}
	}
	for i := 1; i < len(res.Problems); i++ {
		if res.Problems[i-1].Index >= res.Problems[i].Index {
			t.Errorf("problems are not in index order: %+v", res.Problems)
		}
	}
}

func TestParseXMLReadsAWindowsFileWithByteOrderMarkTheSame(t *testing.T) {
	unix := mustParseXMLFile(t, "testdata/literasi_digital.xml")
	windows := mustParseXMLFile(t, "testdata/literasi_digital_windows.xml")
	if !reflect.DeepEqual(unix, windows) {
		t.Fatal("the CRLF + BOM file reads differently from the LF file")
	}
	for _, q := range windows.Questions {
		for _, s := range []string{q.Text, q.GeneralFeedback, q.Name} {
			if strings.ContainsRune(s, '\r') {
				t.Errorf("%s keeps a carriage return: %q", q.Name, s)
			}
		}
	}
}

func TestParseXMLKeepsLineBreaksInsideTextsAsNewlines(t *testing.T) {
	doc := "<quiz>\r\n<question type=\"essay\"><name><text>E</text></name><questiontext format=\"plain_text\"><text>baris satu\r\nbaris dua</text></questiontext></question></quiz>"
	res, err := ParseXML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Questions[0].Text; got != "baris satu\nbaris dua" {
		t.Fatalf("text %q", got)
	}
}

func TestParseXMLRejectsAFileThatIsNotAMoodleQuestionFile(t *testing.T) {
	cases := map[string]string{
		"empty":               "",
		"only white space":    "  \n\t ",
		"not XML":             "::GIFT::question{T}",
		"truncated":           `<?xml version="1.0" encoding="UTF-8"?><quiz><question type="truefalse"><name><text>A</text>`,
		"mismatched tags":     `<quiz><question type="essay"><name><text>A</name></text></question></quiz>`,
		"another root":        `<questions><question type="essay"/></questions>`,
		"second root":         `<quiz></quiz><quiz></quiz>`,
		"text after the root": `<quiz></quiz> trailing`,
		"unknown encoding":    `<?xml version="1.0" encoding="EBCDIC"?><quiz></quiz>`,
		"undefined entity":    `<quiz><question type="essay"><name><text>&nbsp;</text></name></question></quiz>`,
		"entity from a DTD (never expanded)": `<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>` +
			`<quiz><question type="essay"><name><text>&b;</text></name></question></quiz>`,
		"external entity (never read)": `<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
			`<quiz><question type="essay"><name><text>&x;</text></name></question></quiz>`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseXML(strings.NewReader(doc)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestParseXMLReadsAnEmptyQuizAsNoQuestions(t *testing.T) {
	res, err := ParseXML(strings.NewReader("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n</quiz>\n<!-- end -->\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Questions) != 0 || len(res.Problems) != 0 {
		t.Fatalf("%+v", res)
	}
}

func TestParseXMLReadsMoodleBooleansInEveryWayMoodleWritesThem(t *testing.T) {
	cases := []struct {
		single string
		want   bool
	}{
		{"<single>true</single>", true},
		{"<single>false</single>", false},
		{"<single>1</single>", true},
		{"<single>0</single>", false},
		{"<single></single>", false},
		{"", true}, // missing: Moodle's default is one answer
	}
	for _, c := range cases {
		doc := `<quiz><question type="multichoice"><name><text>Q</text></name><questiontext format="html"><text>T</text></questiontext>` +
			c.single + `<shuffleanswers>1</shuffleanswers><answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer></question></quiz>`
		res, err := ParseXML(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Questions[0].Single; got != c.want {
			t.Errorf("%q: Single %v, want %v", c.single, got, c.want)
		}
		if !res.Questions[0].ShuffleAnswers {
			t.Errorf("%q: <shuffleanswers>1</shuffleanswers> not read", c.single)
		}
	}
}

func TestParseXMLReadsOldFilesAndLooseValues(t *testing.T) {
	doc := `<?xml version="1.0" encoding="ISO-8859-1"?>
<quiz>
  <question type="truefalse">
    <name><text>Lama</text></name>
    <questiontext><text>Caf` + "\xe9" + ` aman?</text></questiontext>
    <penalty>0.33</penalty>
    <answer fraction="100"><text>Benar</text></answer>
    <answer fraction="0"><text>Salah</text></answer>
  </question>
  <question type="numerical">
    <name><text>Tanpa text</text></name>
    <questiontext format="wiki_like"><text>Berapa?</text></questiontext>
    <answer fraction="100">3,5<tolerance>0,1</tolerance></answer>
  </question>
  <question type="match">
    <name><text></text></name>
    <questiontext format="weird"><text><![CDATA[<p>Pasangkan</p>]]></text></questiontext>
    <subquestion><text>a</text><answer><text>1</text></answer></subquestion>
    <subquestion><text></text><answer><text></text></answer></subquestion>
    <subquestion><text>b</text><answer><text>2</text></answer></subquestion>
  </question>
</quiz>`
	res, err := ParseXML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	tf := res.Questions[0]
	if tf.Text != "Café aman?" || tf.TextFormat != FormatHTML || tf.Penalty != DefaultPenalty {
		t.Errorf("latin-1 truefalse: %+v", tf)
	}
	if !reflect.DeepEqual(tf.Answers, []Answer{{Text: "true", Fraction: 1}, {Text: "false"}}) {
		t.Errorf("localised true/false answers: %+v", tf.Answers)
	}
	num := res.Questions[1]
	if num.TextFormat != FormatMoodle || !reflect.DeepEqual(num.Answers, []Answer{{Text: "3,5", Fraction: 1, Tolerance: 0.1}}) {
		t.Errorf("old numerical: %+v", num)
	}
	m := res.Questions[2]
	if m.Type != TypeMatching || m.Name != "Pasangkan" || m.TextFormat != FormatHTML || len(m.Subquestions) != 2 || !m.ShuffleAnswers {
		t.Errorf("match: %+v", m)
	}
	if len(res.Problems) != 0 {
		t.Errorf("problems: %+v", res.Problems)
	}
}

func TestParseXMLReportsInvalidQuestionsWithAReasonAndKeepsTheRest(t *testing.T) {
	q := func(typ, body string) string {
		return `<question type="` + typ + `"><name><text>` + typ + `</text></name><questiontext format="html"><text>Soal</text></questiontext>` + body + `</question>`
	}
	cases := []struct {
		name, question, code string
	}{
		{"multichoice with one answer", q("multichoice", `<answer fraction="100"><text>a</text></answer>`), CodeTooFewAnswers},
		{"multichoice answers without text", q("multichoice", `<answer fraction="100"><text></text></answer><answer fraction="0"><text>$@NULL@$</text></answer>`), CodeNoAnswers},
		{"fraction that is not a number", q("multichoice", `<answer fraction="seratus"><text>a</text></answer><answer fraction="0"><text>b</text></answer>`), CodeMalformed},
		{"fraction below -100", q("multichoice", `<single>false</single><answer fraction="100"><text>a</text></answer><answer fraction="-150"><text>b</text></answer>`), CodeFractionOutOfRange},
		{"multiple answers not adding to 100", q("multichoice", `<single>false</single><answer fraction="50"><text>a</text></answer><answer fraction="25"><text>b</text></answer>`), CodeNoCorrectAnswer},
		{"truefalse without answers", q("truefalse", ``), CodeNoAnswers},
		{"truefalse both wrong", q("truefalse", `<answer fraction="0"><text>true</text></answer><answer fraction="0"><text>false</text></answer>`), CodeNoCorrectAnswer},
		{"shortanswer negative", q("shortanswer", `<answer fraction="100"><text>a</text></answer><answer fraction="-10"><text>b</text></answer>`), CodeFractionOutOfRange},
		{"shortanswer partial only", q("shortanswer", `<answer fraction="50"><text>a</text></answer>`), CodeNoCorrectAnswer},
		{"numerical not a number", q("numerical", `<answer fraction="100"><text>dua</text><tolerance>0</tolerance></answer>`), CodeInvalidNumber},
		{"numerical tolerance not a number", q("numerical", `<answer fraction="100"><text>2</text><tolerance>x</tolerance></answer>`), CodeInvalidNumber},
		{"numerical unit multiplier", q("numerical", `<answer fraction="100"><text>2</text></answer><units><unit><multiplier>nol</multiplier><unit_name>m</unit_name></unit></units>`), CodeInvalidNumber},
		{"matching one pair", q("matching", `<subquestion><text>a</text><answer><text>1</text></answer></subquestion><subquestion><text></text><answer><text>2</text></answer></subquestion>`), CodeTooFewAnswers},
		{"matching pair without answer", q("matching", `<subquestion><text>a</text><answer><text>1</text></answer></subquestion><subquestion><text>b</text><answer><text></text></answer></subquestion>`), CodeMalformed},
		{"ordering one item", q("ordering", `<answer fraction="1"><text>a</text></answer>`), CodeTooFewAnswers},
		{"no question text", `<question type="essay"><name><text>E</text></name><questiontext format="html"><text>$@NULL@$</text></questiontext></question>`, CodeEmptyText},
		{"default grade not a number", q("essay", `<defaultgrade>sepuluh</defaultgrade>`), CodeMalformed},
		{"broken embedded file", `<question type="essay"><name><text>E</text></name><questiontext format="html"><text>T</text><file name="a.png" path="/" encoding="base64">***</file></questiontext></question>`, CodeInvalidFile},
		{"calculated", q("calculated", `<answer fraction="100"><text>{a}+{b}</text></answer>`), CodeUnsupportedType},
		{"drag and drop onto image", q("ddimageortext", ``), CodeUnsupportedType},
		{"gapselect", q("gapselect", ``), CodeUnsupportedType},
		{"randomsamatch", q("randomsamatch", ``), CodeUnsupportedType},
		{"multianswer keeps its name", q("multianswer", ``), CodeUnsupportedType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			good := q("essay", "")
			doc := "<quiz>" + good + c.question + good + "</quiz>"
			res, err := ParseXML(strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Questions) != 3 {
				t.Fatalf("%d questions", len(res.Questions))
			}
			checkProblems(t, res, map[int]string{1: c.code})
		})
	}
}

func TestParseXMLKeepsUnsupportedTypeNames(t *testing.T) {
	doc := `<quiz><question type="multianswer"><name><text>M</text></name><questiontext><text>{1:SA:=a}</text></questiontext></question>
<question type="calculatedmulti"><name><text>C</text></name><questiontext><text>x</text></questiontext></question></quiz>`
	res, err := ParseXML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if res.Questions[0].Type != "multianswer" || res.Questions[1].Type != TypeCalculatedMulti {
		t.Fatalf("%v %v", res.Questions[0].Type, res.Questions[1].Type)
	}
}

func TestSplitCategoryDropsTheContextAndTop(t *testing.T) {
	cases := map[string][]string{
		"$course$/top/Literasi Digital/Keamanan": {"Literasi Digital", "Keamanan"},
		"$system$/top":                           nil,
		"$course$/Default for SPBE":              {"Default for SPBE"},
		"Literasi Digital/Keamanan":              {"Literasi Digital", "Keamanan"},
		"$course$/top/TIK//Jaringan/Dasar":       {"TIK/Jaringan", "Dasar"},
		"":                                       nil,
		" top / A ":                              {"A"},
	}
	for in, want := range cases {
		if got := SplitCategory(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitCategory(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustBase64(t *testing.T, s string) []byte {
	t.Helper()
	f, err := decodeFile(xmlFile{Name: "x", Data: s})
	if err != nil {
		t.Fatal(err)
	}
	return f.Data
}

func TestParseXMLDecodesEmbeddedImagesFromEveryText(t *testing.T) {
	doc := `<quiz><question type="multichoice"><name><text>Gambar</text></name>
<questiontext format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/a.png">]]></text>
<file name="a.png" path="/" encoding="base64">` + pngBase64[:40] + "\n" + pngBase64[40:] + `</file>
</questiontext>
<generalfeedback format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/b.png">]]></text><file name="b.png" path="/" encoding="base64">aGFsbw==</file></generalfeedback>
<answer fraction="100" format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/c.png">]]></text><file name="c.png" encoding="base64">aGFsbw</file><feedback><text></text></feedback></answer>
<answer fraction="0" format="html"><text>b</text><feedback format="html"><text>x</text><file name="a.png" path="/" encoding="base64">aGFsbw==</file></feedback></answer>
</question></quiz>`
	res, err := ParseXML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 {
		t.Fatalf("%+v", res.Problems)
	}
	files := res.Questions[0].Files
	if len(files) != 3 {
		t.Fatalf("%d files: %+v", len(files), files)
	}
	if files[0].Name != "a.png" || !bytes.Equal(files[0].Data, mustBase64(t, pngBase64)) || !bytes.HasPrefix(files[0].Data, []byte("\x89PNG")) {
		t.Errorf("a.png: %+v", files[0])
	}
	if files[1].Name != "b.png" || string(files[1].Data) != "halo" || files[2].Name != "c.png" || string(files[2].Data) != "halo" || files[2].Path != "/" {
		t.Errorf("files: %+v", files)
	}
}
