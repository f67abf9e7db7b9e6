package moodleformat

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func mustParseGIFTFile(t *testing.T, name string) Result {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ParseGIFT(f)
	if err != nil {
		t.Fatalf("ParseGIFT(%s): %v", name, err)
	}
	return res
}

func parseGIFTString(t *testing.T, s string) Result {
	t.Helper()
	res, err := ParseGIFT(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func compareQuestions(t *testing.T, got []Question, want []Question) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d questions, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("question %d (%s):\n got %#v\nwant %#v", i, want[i].Name, got[i], want[i])
		}
	}
}

func TestParseGIFTReadsAMoodleGIFTExport(t *testing.T) {
	res := mustParseGIFTFile(t, "testdata/literasi_digital.gift.txt")
	g := func(q Question) Question { // GIFT's defaults
		if q.DefaultGrade == 0 && q.Type != TypeDescription {
			q.DefaultGrade = 1
		}
		if q.Penalty == 0 && q.Type != TypeDescription {
			q.Penalty = DefaultPenalty
		}
		return q
	}
	want := []Question{
		g(Question{
			Name: "LD-01 Pengertian literasi digital", Type: TypeMultichoice, TextFormat: FormatHTML,
			Text:            `<p dir="ltr" style="text-align: left;">Apa yang dimaksud dengan <strong>literasi digital</strong>?</p>`,
			GeneralFeedback: "<p>Literasi digital mencakup kecakapan, etika, budaya, dan keamanan digital.</p>",
			Answers: []Answer{
				{Text: "<p>Kemampuan menggunakan teknologi digital secara <em>cakap</em>, etis, dan aman</p>", Fraction: 1, Feedback: "<p>Tepat &amp; lengkap.</p>"},
				{Text: "<p>Kemampuan mengetik cepat</p>"},
				{Text: "<p>Kemampuan membuat akun media sosial</p>"},
			},
			Single: true, ShuffleAnswers: true, Category: catLiterasi, IDNumber: "LD-01",
			Tags: []string{"literasi digital", "kompetensi:pilar-1"},
		}),
		g(Question{
			Name: "LD-02 Pilar literasi digital (jawaban ganda)", Type: TypeMultichoice, TextFormat: FormatHTML,
			Text: "<p>Manakah yang termasuk empat pilar literasi digital menurut Kominfo? Pilih semua yang benar.</p>",
			Answers: []Answer{
				{Text: "Digital skills (cakap digital)", Fraction: 0.3333333},
				{Text: "Digital ethics (etika digital)", Fraction: 0.3333333},
				{Text: "Digital safety (aman digital)", Fraction: 0.3333334},
				{Text: "Digital <em>marketing</em>", Fraction: -0.5, Feedback: "<p>Pemasaran digital bukan salah satu pilar.</p>"},
				{Text: "Digital gaming", Fraction: -0.5},
			},
			ShuffleAnswers: true, Category: catLiterasi,
		}),
		g(Question{
			Name: "LD-03 Hoaks", Type: TypeTrueFalse, TextFormat: FormatMoodle, Penalty: 1,
			Text:            "Menyebarkan informasi yang belum diverifikasi di grup WhatsApp kantor termasuk perilaku bijak bermedia sosial.",
			GeneralFeedback: "Selalu saring sebelum sharing.",
			Answers: []Answer{
				{Text: "true", Feedback: "<p>Keliru: verifikasi dulu sebelum membagikan.</p>"},
				{Text: "false", Fraction: 1, Feedback: "Benar."},
			},
			Category: catLiterasi,
		}),
		g(Question{
			Name: "LD-04 Singkatan SPBE", Type: TypeShortAnswer, TextFormat: FormatHTML,
			Text: "<p>Tuliskan kepanjangan dari singkatan <b>SPBE</b>.</p>",
			Answers: []Answer{
				{Text: "Sistem Pemerintahan Berbasis Elektronik", Fraction: 1, Feedback: "Tepat, sesuai Perpres 95/2018."},
				{Text: "*Pemerintahan*Elektronik*", Fraction: 0.5, Feedback: "Hampir tepat."},
			},
			Category: catLiterasi,
		}),
		g(Question{
			Name: "KS-01 Panjang kata sandi", Type: TypeNumerical, TextFormat: FormatHTML,
			Text: "<p>Berapa jumlah karakter <em>minimum</em> kata sandi yang dianjurkan BSSN untuk akun layanan SPBE?</p>",
			Answers: []Answer{
				{Text: "12", Fraction: 1, Feedback: "Benar."},
				{Text: "10", Fraction: 0.5, Feedback: "Mendekati.", Tolerance: 2},
				{Text: "*", Feedback: "Bacalah pedoman manajemen kata sandi."},
			},
			Category: catKeamanan,
		}),
		g(Question{
			Name: "KS-03 Jenis serangan", Type: TypeMatching, TextFormat: FormatHTML,
			Text: "<p>Pasangkan jenis serangan siber dengan contohnya.</p>", ShuffleAnswers: true,
			Subquestions: []Subquestion{
				{Text: "<p>Phishing</p>", Answer: "Surel palsu yang meminta kata sandi"},
				{Text: "<p>Ransomware</p>", Answer: "Berkas dienkripsi dan dimintai tebusan"},
				{Text: "<p>DDoS</p>", Answer: "Situs layanan publik dibanjiri lalu lintas"},
				{Text: "", Answer: "Pembaruan perangkat lunak resmi"},
			},
			Category: catKeamanan,
		}),
		g(Question{
			Name: "KS-04 Penanganan insiden", Type: TypeOrdering, TextFormat: FormatHTML,
			Text: "<p>Urutkan langkah penanganan insiden keamanan informasi.</p>",
			Answers: []Answer{
				{Text: "Identifikasi"}, {Text: "Penahanan (containment)"}, {Text: "Pemberantasan"}, {Text: "Pemulihan"},
			},
			Category: catKeamanan,
		}),
		g(Question{
			Name: "KS-05 Rencana keamanan unit", Type: TypeEssay, TextFormat: FormatHTML,
			Text:     "<p>Jelaskan tiga langkah yang akan Anda terapkan untuk mengamankan data pribadi warga di unit kerja Anda.</p>",
			Category: catKeamanan,
		}),
		{
			Name: "KS-00 Pengantar bagian keamanan", Type: TypeDescription, TextFormat: FormatHTML,
			Text:     "<h4>Bagian B: Keamanan Siber</h4><p>Bagian ini tidak dinilai.</p>",
			Category: catKeamanan,
		},
		g(Question{
			Name: "KS-08 Soal tanpa pilihan", Type: TypeNumerical, TextFormat: FormatHTML,
			Text:     "<p>Apa fungsi VPN bagi pegawai yang bekerja dari rumah?</p>",
			Category: catKeamanan,
		}),
	}
	compareQuestions(t, res.Questions, want)
	checkProblems(t, res, map[int]string{9: CodeNoAnswers})
}

func TestParseGIFTReadsAWindowsFileWithByteOrderMarkTheSame(t *testing.T) {
	unix := mustParseGIFTFile(t, "testdata/literasi_digital.gift.txt")
	windows := mustParseGIFTFile(t, "testdata/literasi_digital_windows.gift.txt")
	if !reflect.DeepEqual(unix, windows) {
		t.Fatal("the CRLF + BOM file reads differently from the LF file")
	}
}

func TestParseGIFTReadsAHandWrittenFile(t *testing.T) {
	res := mustParseGIFTFile(t, "testdata/ditulis_tangan.gift.txt")
	const cat = "$course$/top/SPBE/Dasar Hukum"
	base := func(name string, typ QuestionType, text string) Question {
		return Question{Name: name, Type: typ, Text: text, TextFormat: FormatMoodle,
			DefaultGrade: 1, Penalty: DefaultPenalty, Category: cat}
	}
	tf := func(q Question, correct bool, right, wrong string) Question {
		q.Penalty = 1
		t, f := Answer{Text: "true"}, Answer{Text: "false"}
		if correct {
			t.Fraction, t.Feedback, f.Feedback = 1, right, wrong
		} else {
			f.Fraction, f.Feedback, t.Feedback = 1, right, wrong
		}
		q.Answers = []Answer{t, f}
		return q
	}
	with := func(q Question, edit func(*Question)) Question { edit(&q); return q }
	want := []Question{
		tf(base("Perpres Nomor 95 Tahun 2018 mengatur Sistem Pemerintahan Berbasis Elektronik.", TypeTrueFalse,
			"Perpres Nomor 95 Tahun 2018 mengatur Sistem Pemerintahan Berbasis Elektronik."), true, "", ""),
		tf(base("Arsitektur SPBE", TypeTrueFalse, "Arsitektur SPBE nasional disusun untuk jangka waktu 5 tahun."),
			true, "Benar.", "Bukan, jangkanya 10 tahun."),
		tf(base("Domain", TypeTrueFalse, "Domain pemerintah bukan go.id."), false, "", ""),
		with(base("Missing word", TypeMultichoice, "Portal layanan publik terintegrasi disebut _____ dalam rencana SPBE."), func(q *Question) {
			q.Single, q.ShuffleAnswers = true, true
			q.Answers = []Answer{{Text: "Mal Pelayanan Publik Digital", Fraction: 1}, {Text: "Portal Kepegawaian"}, {Text: "Sistem Arsip"}}
		}),
		with(base("Tahun", TypeNumerical, "Pada tahun berapa Perpres SPBE diterbitkan?"), func(q *Question) {
			q.Answers = []Answer{{Text: "2018", Fraction: 1}}
		}),
		with(base("Indeks SPBE", TypeNumerical, "Target indeks SPBE nasional berada pada rentang berapa?"), func(q *Question) {
			q.Answers = []Answer{{Text: "3.05", Fraction: 1, Tolerance: 0.45}}
		}),
		with(base("Pi", TypeNumerical, "Tuliskan nilai π sampai dua desimal."), func(q *Question) {
			q.Answers = []Answer{{Text: "3.14", Fraction: 1, Tolerance: 0.01}}
		}),
		with(base("Beberapa angka", TypeNumerical, "Sebutkan satu tahun penetapan regulasi SPBE."), func(q *Question) {
			q.Answers = []Answer{
				{Text: "2018", Fraction: 1, Feedback: "Perpres 95/2018."},
				{Text: "2019", Fraction: 0.5, Feedback: "Hampir, itu tahun Perpres Satu Data."},
			}
		}),
		with(base("Lembaga", TypeShortAnswer, "Lembaga yang membina keamanan siber nasional adalah ..."), func(q *Question) {
			q.Answers = []Answer{{Text: "BSSN", Fraction: 1}, {Text: "Badan Siber dan Sandi Negara", Fraction: 1, Feedback: "Lengkap sekali!"}}
		}),
		with(base("Pasangan", TypeMatching, "Pasangkan singkatan dengan kepanjangannya."), func(q *Question) {
			q.ShuffleAnswers = true
			q.Subquestions = []Subquestion{
				{Text: "SPBE", Answer: "Sistem Pemerintahan Berbasis Elektronik"},
				{Text: "TIK", Answer: "Teknologi Informasi dan Komunikasi"},
				{Text: "ASN", Answer: "Aparatur Sipil Negara"},
			}
		}),
		with(base("Esai", TypeEssay, "Uraikan **manfaat** SPBE bagi pelayanan publik di daerah Anda."), func(q *Question) {
			q.TextFormat = FormatMarkdown
			q.GeneralFeedback = "Perhatikan efisiensi, transparansi, dan kolaborasi."
		}),
		with(base("Keterangan", TypeDescription, "Bagian berikut membahas keamanan siber."), func(q *Question) {
			q.TextFormat, q.DefaultGrade, q.Penalty = FormatPlain, 0, 0
		}),
		with(base("Escapes", TypeMultichoice,
			"Karakter khusus GIFT: titik dua, = sama dengan, ~ tilde, # pagar, {kurung kurawal}, garis miring terbalik \\ dan baris\nbaru."),
			func(q *Question) {
				q.Single, q.ShuffleAnswers = true, true
				q.Answers = []Answer{
					{Text: `a = b ~ c # d {e} f: g \ h`, Fraction: 1, Feedback: "umpan balik # dengan {kurung}"},
					{Text: `bukan \ ini`},
				}
			}),
		with(base("Blank line di dalam kurung", TypeMultichoice, "Mana yang termasuk data pribadi spesifik?"), func(q *Question) {
			q.ShuffleAnswers = true
			q.Answers = []Answer{{Text: "Data kesehatan", Fraction: 0.5}, {Text: "Data biometrik", Fraction: 0.5}, {Text: "Nama instansi", Fraction: -1}}
		}),
		with(base("Tanpa jawaban benar", TypeMultichoice, "Siapa penanggung jawab SPBE di instansi?"), func(q *Question) {
			q.ShuffleAnswers = true
			q.Answers = []Answer{{Text: "Sekretaris"}, {Text: "Bendahara"}}
		}),
		with(base("Kurung tak tertutup", "", ""), func(q *Question) {}),
	}
	compareQuestions(t, res.Questions, want)
	checkProblems(t, res, map[int]string{14: CodeNoCorrectAnswer, 15: CodeMalformed})
}

func TestParseGIFTUnescapesEverySpecialCharacterWhereverItStands(t *testing.T) {
	cases := []struct {
		name, in  string
		wantName  string
		wantType  QuestionType
		wantText  string
		wantFirst Answer
	}{
		{"colon in a name", `::Judul\: sub::Teks{T}`, "Judul: sub", TypeTrueFalse, "Teks", Answer{Text: "true", Fraction: 1}},
		{"braces in a description", `Teks dengan \{kurung\} saja.`, "Teks dengan {kurung} saja.", TypeDescription, "Teks dengan {kurung} saja.", Answer{}},
		{"equals and tilde", `::Q::Nilai \= 5?{=\~5 ~6}`, "Q", TypeMultichoice, "Nilai = 5?", Answer{Text: "~5", Fraction: 1}},
		{"hash in an answer", `::Q::Pagar \#1{=satu\#dua#umpan}`, "Q", TypeShortAnswer, "Pagar #1", Answer{Text: "satu#dua", Fraction: 1, Feedback: "umpan"}},
		{"backslash", `::Q::Garis \\{=a\\b}`, "Q", TypeShortAnswer, `Garis \`, Answer{Text: `a\b`, Fraction: 1}},
		{"escaped backslash then escaped brace", `::Q::X \\\{ y{=z}`, "Q", TypeShortAnswer, `X \{ y`, Answer{Text: "z", Fraction: 1}},
		{"newline", `::Q::Baris\nbaru{}`, "Q", TypeEssay, "Baris\nbaru", Answer{}},
		{"other backslashes stay", `::Q::C:\Windows \d \(x\){T}`, "Q", TypeTrueFalse, `C:\Windows \d \(x\)`, Answer{Text: "true", Fraction: 1}},
		{"slashes inside a line are text", `::Q::Lihat https://jdih.go.id {F}`, "Q", TypeTrueFalse, "Lihat https://jdih.go.id", Answer{Text: "true"}},
		{"comment line inside a question", "::Q::Soal\n// catatan penulis\n{TRUE}", "Q", TypeTrueFalse, "Soal", Answer{Text: "true", Fraction: 1}},
		{"unknown format marker is text", `::Q::[catatan] teks{T}`, "Q", TypeTrueFalse, "[catatan] teks", Answer{Text: "true", Fraction: 1}},
		{"lower-case true", `::Q::Teks{true}`, "Q", TypeTrueFalse, "Teks", Answer{Text: "true", Fraction: 1}},
		{"name without end", `::Nama tanpa akhir{T}`, "Nama tanpa akhir", TypeTrueFalse, "Nama tanpa akhir", Answer{Text: "true", Fraction: 1}},
		{"escaped tilde does not make a choice", `::Q::Tilde{=a\~b}`, "Q", TypeShortAnswer, "Tilde", Answer{Text: "a~b", Fraction: 1}},
		{"escaped arrow side is not matching", `::Q::M{=a\-\>b}`, "Q", TypeShortAnswer, "M", Answer{Text: `a\-\>b`, Fraction: 1}},
		{"weight without digits is text", `::Q::W{~%abc%x =y}`, "Q", TypeMultichoice, "W", Answer{Text: "%abc%x"}},
		{"decimal weight", `::Q::W{~%12.5%x ~%87.5%y}`, "Q", TypeMultichoice, "W", Answer{Text: "x", Fraction: 0.125}},
		{"html marker on general feedback", "::Q::[html]<p>T</p>{T####<b>ok</b>}", "Q", TypeTrueFalse, "<p>T</p>", Answer{Text: "true", Fraction: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := parseGIFTString(t, c.in)
			if len(res.Questions) != 1 {
				t.Fatalf("%d questions", len(res.Questions))
			}
			q := res.Questions[0]
			if q.Name != c.wantName || q.Type != c.wantType || q.Text != c.wantText {
				t.Errorf("got name %q type %q text %q", q.Name, q.Type, q.Text)
			}
			if c.wantFirst != (Answer{}) && (len(q.Answers) == 0 || q.Answers[0] != c.wantFirst) {
				t.Errorf("answers %+v, want first %+v", q.Answers, c.wantFirst)
			}
		})
	}
}

func TestParseGIFTReportsBrokenQuestionsAndKeepsTheRest(t *testing.T) {
	cases := []struct{ name, in, code string }{
		{"unclosed brace", "::Q::Soal {=a", CodeMalformed},
		{"closing brace only", "::Q::Soal =a}", CodeMalformed},
		{"matching pair without arrow", "::Q::Pasangkan{=a -> 1 =b -> 2 =c}", CodeMalformed},
		{"numeric range not numbers", "::Q::Berapa?{#satu..dua}", CodeMalformed},
		{"numeric answer not a number", "::Q::Berapa?{#dua}", CodeInvalidNumber},
		{"numeric tolerance not a number", "::Q::Berapa?{#2:kira}", CodeInvalidNumber},
		{"numeric without answers", "::Q::Berapa?{#}", CodeNoAnswers},
		{"one choice", "::Q::Pilih{~a}", CodeTooFewAnswers},
		{"weight out of range", "::Q::Pilih{~%150%a ~b}", CodeFractionOutOfRange},
		{"choices not adding to 100", "::Q::Pilih{~%50%a ~%20%b ~c}", CodeNoCorrectAnswer},
		{"short answer partial only", "::Q::Isi{=%50%a}", CodeNoCorrectAnswer},
		{"matching with one pair", "::Q::Pasangkan{=a -> 1 = -> 2}", CodeTooFewAnswers},
		{"no text", "::Q::{T}", CodeEmptyText},
		{"ordering with one item", "::Q::Urutkan{>1\nsatu\n}", CodeTooFewAnswers},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := parseGIFTString(t, "::Baik::Soal baik{T}\n\n"+c.in+"\n\n::Baik juga::Soal{F}\n")
			if len(res.Questions) != 3 {
				t.Fatalf("%d questions: %+v", len(res.Questions), res.Questions)
			}
			checkProblems(t, res, map[int]string{1: c.code})
		})
	}
}

func TestParseGIFTCategoriesApplyToTheQuestionsThatFollow(t *testing.T) {
	in := "::A::a{T}\n\n$CATEGORY: $course$/top/Literasi Digital\n::B::b{T}\n\n::C::c{T}\n\n// ganti\n$CATEGORY:   Keamanan  \n\n::D::d{T}\n"
	res := parseGIFTString(t, in)
	got := []string{}
	for _, q := range res.Questions {
		got = append(got, q.Name+"="+q.Category)
	}
	want := []string{"A=", "B=$course$/top/Literasi Digital", "C=$course$/top/Literasi Digital", "D=Keamanan"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestParseGIFTReadsNothingFromAnEmptyOrCommentOnlyFile(t *testing.T) {
	for _, in := range []string{"", "\n\n", "// hanya komentar\n// lagi\n", "\xef\xbb\xbf"} {
		res := parseGIFTString(t, in)
		if len(res.Questions) != 0 || len(res.Problems) != 0 {
			t.Errorf("%q: %+v", in, res)
		}
	}
}

func TestParseGIFTReportsAReadError(t *testing.T) {
	if _, err := ParseGIFT(iotest.ErrReader(errors.New("putus"))); err == nil {
		t.Fatal("no error")
	}
	if _, err := ParseXML(iotest.ErrReader(errors.New("putus"))); err == nil {
		t.Fatal("no error")
	}
}

func TestParseGIFTReadsOrderingInEveryHeaderForm(t *testing.T) {
	cases := map[string][]string{
		"{>3 ALL VERTICAL ABSOLUTE_POSITION SHOW\nsatu\ndua\ntiga\n}": {"satu", "dua", "tiga"},
		"{>2\nsatu\ndua}":                    {"satu", "dua"},
		"{>4 RANDOM H REL HIDE satu\ndua\n}": {"satu", "dua"},
		"{> satu\ndua \\} tiga\n}":           {"satu", "dua } tiga"},
	}
	for body, want := range cases {
		res := parseGIFTString(t, "::U::Urutkan"+body)
		q := res.Questions[0]
		var got []string
		for _, a := range q.Answers {
			got = append(got, a.Text)
		}
		if q.Type != TypeOrdering || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: type %s items %q, want %q", body, q.Type, got, want)
		}
	}
}
