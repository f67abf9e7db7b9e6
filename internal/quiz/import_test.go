package quiz

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/quiz/moodleformat"
	"github.com/corpu/corpu/internal/upload"
)

// importFixture is the quiz fixture with real uploads, object store and jobs.
type importFixture struct {
	*fixture
	uploads *upload.Service
	jobs    *job.Service
}

func newImportFixture(t *testing.T) *importFixture {
	t.Helper()
	f := newFixture(t)
	objects := objectstore.NewTestStore(t)
	f.svc.SetJobs(job.NewService(f.db, objects))
	uploads := upload.NewService(f.db, objects, tableOrgPaths{db: f.db})
	f.svc.SetImportFiles(uploads, objects)
	return &importFixture{fixture: f, uploads: uploads, jobs: job.NewService(f.db, objects)}
}

// upload sends a file through the upload flow as the actor, for purpose.
func (f *importFixture) upload(actor string, purpose upload.Purpose, name string, body []byte) uuid.UUID {
	f.t.Helper()
	ctx := f.as(actor)
	ct := "text/plain"
	if purpose != upload.PurposeQuestionImport {
		ct = "application/pdf"
	}
	p, err := f.uploads.Create(ctx, upload.Input{Purpose: purpose, Filename: name, ContentType: ct,
		Size: int64(len(body)), OrgID: f.org["A"]})
	if err != nil {
		f.t.Fatalf("upload Create: %v", err)
	}
	req, err := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("PUT: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("PUT = %d", resp.StatusCode)
	}
	file, err := f.uploads.Complete(ctx, p.UploadID, "")
	if err != nil {
		f.t.Fatalf("upload Complete: %v", err)
	}
	return file.ID
}

// runImport starts an import as authorA, runs its outbox task and returns the job.
func (f *importFixture) runImport(bankID, fileID uuid.UUID, format string, dryRun bool) (job.Job, ImportResult) {
	f.t.Helper()
	j, err := f.svc.StartImport(f.as("authorA"), bankID, ImportInput{FileID: fileID, Format: format, DryRun: dryRun, Lang: "en"})
	if err != nil {
		f.t.Fatalf("StartImport: %v", err)
	}
	var p ImportPayload
	if err := f.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ? ORDER BY id DESC LIMIT 1",
		TypeImportQuestions).Row().Scan(&rawBytes{&p}); err != nil {
		f.t.Fatal(err)
	}
	if p.JobID != j.ID {
		f.t.Fatalf("outbox names job %s, want %s", p.JobID, j.ID)
	}
	body, _ := json.Marshal(p)
	if err := f.svc.HandleImportQuestions(context.Background(), asynqTask(TypeImportQuestions, body)); err != nil {
		f.t.Fatalf("HandleImportQuestions: %v", err)
	}
	done, err := f.jobs.Get(f.as("authorA"), j.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var res ImportResult
	if done.Status == job.StatusSucceeded {
		if err := json.Unmarshal(done.Result, &res); err != nil {
			f.t.Fatal(err)
		}
	}
	return done, res
}

func (f *importFixture) count(table string, bankID uuid.UUID) int {
	var n int64
	if err := f.db.Conn(context.Background()).Table(table).Where("bank_id = ?", bankID).Count(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

func TestImportOfMoodleFilesKeepsEverySupportedQuestionAndSaysWhyOthersAreSkipped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, format string }{
		{"literasi_digital.xml", FormatMoodleXML},
		{"literasi_digital_windows.xml", FormatMoodleXML},
		{"literasi_digital.gift.txt", FormatGIFT},
		{"literasi_digital_windows.gift.txt", FormatGIFT},
		{"ditulis_tangan.gift.txt", FormatGIFT},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join("moodleformat", "testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			parse := moodleformat.ParseXML
			if tc.format == FormatGIFT {
				parse = moodleformat.ParseGIFT
			}
			parsed, err := parse(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			f := newImportFixture(t)
			b, err := f.svc.CreateBank(f.as("authorA"), BankInput{OrgID: f.org["A"], Name: ptr("Bank Impor")})
			if err != nil {
				t.Fatal(err)
			}
			fileID := f.upload("authorA", upload.PurposeQuestionImport, tc.file, body)

			// A dry run reports everything and writes nothing.
			j, dry := f.runImport(b.ID, fileID, tc.format, true)
			if j.Status != job.StatusSucceeded {
				t.Fatalf("dry run job = %s (%s), want succeeded", j.Status, j.Error)
			}
			if n := f.count("questions", b.ID) + f.count("question_categories", b.ID); n != 0 {
				t.Errorf("a dry run wrote %d questions and categories, want none", n)
			}

			j, res := f.runImport(b.ID, fileID, tc.format, false)
			if j.Status != job.StatusSucceeded {
				t.Fatalf("import job = %s (%s), want succeeded", j.Status, j.Error)
			}
			t.Logf("%s: %d imported, %d skipped, %d categories", tc.file, res.Imported, res.Skipped, res.Categories)
			wantSkipped := len(parsed.Problems)
			wantImported := len(parsed.Questions) - wantSkipped
			for _, r := range []ImportResult{dry, res} {
				if r.Imported != wantImported || r.Skipped != wantSkipped || len(r.Questions) != len(parsed.Questions) {
					t.Errorf("dry %v: imported %d, skipped %d of %d, want %d and %d", r.DryRun, r.Imported, r.Skipped,
						len(r.Questions), wantImported, wantSkipped)
				}
			}
			for _, q := range res.Questions {
				if p := parsed.ProblemAt(q.Index); p != nil {
					if q.Status != ImportStatusSkipped || q.Reason != p.Reason || q.QuestionID != nil {
						t.Errorf("question %d (%s) = %+v, want skipped because %q", q.Index, q.Name, q, p.Reason)
					}
				} else if q.Status != ImportStatusImported || q.QuestionID == nil {
					t.Errorf("question %d (%s) = %+v, want imported", q.Index, q.Name, q)
				}
			}
			if n := f.count("questions", b.ID); n != wantImported {
				t.Errorf("the bank holds %d questions, want %d", n, wantImported)
			}
			// Categories: every path of the file exists, nested under the bank's top.
			cats, err := f.svc.Categories(f.as("authorA"), b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if res.Categories != len(cats) || dry.Categories != len(cats) {
				t.Errorf("result says %d (dry %d) categories created, the bank has %d", res.Categories, dry.Categories, len(cats))
			}
			byID := map[uuid.UUID]Category{}
			for _, c := range cats {
				byID[c.ID] = c
			}
			pathOf := func(id *uuid.UUID) string {
				var names []string
				for id != nil {
					c := byID[*id]
					names = append([]string{c.Name}, names...)
					id = c.ParentID
				}
				return strings.Join(names, "/")
			}
			for _, r := range res.Questions {
				if r.QuestionID == nil {
					continue
				}
				q, err := f.svc.Question(f.as("authorA"), b.ID, *r.QuestionID)
				if err != nil {
					t.Fatal(err)
				}
				want := strings.Join(moodleformat.SplitCategory(parsed.Questions[r.Index].Category), "/")
				if got := pathOf(q.CategoryID); got != want {
					t.Errorf("question %d is in category %q, want %q", r.Index, got, want)
				}
			}
		})
	}
}

func TestImportMapsMoodleTypesOntoCorpuQuestions(t *testing.T) {
	t.Parallel()
	gift := `// Moodle writes these
$CATEGORY: $course$/top/Dasar/Angka

::Ibu kota:: Ibu kota Indonesia adalah {=Jakarta ~Bandung ~Surabaya}

::Pilih dua:: Pilih bilangan prima {~%50%2 ~%50%3 ~%-100%4}

::Benar:: Bumi bulat. {T}

::Isian:: Nama presiden pertama? {=Soekarno =%50%Sukarno}

::Angka:: Berapa pi? {#=3.14:0.01 =%50%3.1:0.1}

::Jodohkan:: Jodohkan {=Aceh -> Banda Aceh =Bali -> Denpasar =Jawa Barat -> Bandung}

::Esai:: Jelaskan pelayanan publik. {}

::Kloze:: Tidak ada jawaban sama sekali {}{
`
	f := newImportFixture(t)
	b, err := f.svc.CreateBank(f.as("authorA"), BankInput{OrgID: f.org["A"], Name: ptr("Bank Peta")})
	if err != nil {
		t.Fatal(err)
	}
	fileID := f.upload("authorA", upload.PurposeQuestionImport, "peta.gift.txt", []byte(gift))
	j, res := f.runImport(b.ID, fileID, FormatGIFT, false)
	if j.Status != job.StatusSucceeded {
		t.Fatalf("job = %s (%s)", j.Status, j.Error)
	}
	want := map[string]Type{"Ibu kota": TypeSingleChoice, "Pilih dua": TypeMultipleChoice, "Benar": TypeTrueFalse,
		"Isian": TypeShortAnswer, "Angka": TypeNumeric, "Jodohkan": TypeMatching, "Esai": TypeEssay}
	got := map[string]Question{}
	for _, r := range res.Questions {
		if r.QuestionID == nil {
			continue
		}
		q, err := f.svc.Question(f.as("authorA"), b.ID, *r.QuestionID)
		if err != nil {
			t.Fatal(err)
		}
		got[q.Name] = q
	}
	for name, typ := range want {
		if q, ok := got[name]; !ok || q.Content.Type != typ {
			t.Errorf("%s imported as %q (found %v), want %s; result %+v", name, q.Content.Type, ok, typ, res.Questions)
		}
	}
	if q := got["Pilih dua"]; len(q.Content.Body.Options) == 3 && q.Content.Body.Options[2].Weight != -1 {
		t.Errorf("multiple choice weights = %+v, want the fractions", q.Content.Body.Options)
	}
	if q := got["Benar"]; q.Content.Body.Correct == nil || !*q.Content.Body.Correct {
		t.Errorf("true/false correct = %v, want true", q.Content.Body.Correct)
	}
	if q := got["Angka"]; len(q.Content.Body.Numeric) != 2 || q.Content.Body.Numeric[1].Credit != 0.5 {
		t.Errorf("numeric answers = %+v, want two with credits 1 and 0.5", q.Content.Body.Numeric)
	}
	if q := got["Jodohkan"]; len(q.Content.Body.Prompts) != 3 || len(q.Content.Body.Options) != 3 {
		t.Errorf("matching = %+v, want 3 prompts and 3 options", q.Content.Body)
	}
	// The answers grade as the file meant.
	if q := got["Isian"]; q.Content.Body.Match != MatchNormalized {
		t.Errorf("short answer match = %q, want normalized", q.Content.Body.Match)
	}
}

func TestAFileThatIsNotMoodleXMLFailsTheImport(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	b, err := f.svc.CreateBank(f.as("authorA"), BankInput{OrgID: f.org["A"], Name: ptr("Bank Rusak")})
	if err != nil {
		t.Fatal(err)
	}
	fileID := f.upload("authorA", upload.PurposeQuestionImport, "rusak.xml", []byte("<?xml version=\"1.0\"?>\n<kuis><question></kuis>"))
	j, _ := f.runImport(b.ID, fileID, FormatMoodleXML, false)
	if j.Status != job.StatusFailed || !strings.Contains(j.Error, "Moodle XML") {
		t.Errorf("job = %s %q, want failed naming Moodle XML", j.Status, j.Error)
	}
	if n := f.count("questions", b.ID); n != 0 {
		t.Errorf("a failed import wrote %d questions", n)
	}
}

func TestOnlyAuthorsOfTheBankStartAnImport(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	b, err := f.svc.CreateBank(f.as("authorA"), BankInput{OrgID: f.org["A"], Name: ptr("Bank Rahasia")})
	if err != nil {
		t.Fatal(err)
	}
	fileID := f.upload("authorA", upload.PurposeQuestionImport, "a.gift.txt", []byte("::S:: Soal {T}\n"))
	for _, tc := range []struct {
		actor string
		kind  apperr.Kind
	}{
		{"learnerA1", apperr.KindNotFound},
		{"authorB", apperr.KindNotFound},
		{"reviewerA", apperr.KindForbidden},
	} {
		_, err := f.svc.StartImport(f.as(tc.actor), b.ID, ImportInput{FileID: fileID, Format: FormatGIFT})
		wantKind(t, "StartImport as "+tc.actor, err, tc.kind)
	}
	// An author may not import someone else's upload, nor a file of another purpose, nor in an unknown format.
	other := f.upload("authorA", upload.PurposeAssignmentSubmission, "a.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	for _, in := range []ImportInput{
		{FileID: other, Format: FormatGIFT},
		{FileID: uuid.Must(uuid.NewV7()), Format: FormatGIFT},
		{FileID: fileID, Format: "csv"},
	} {
		_, err := f.svc.StartImport(f.as("authorA"), b.ID, in)
		wantKind(t, "StartImport with a wrong file or format", err, apperr.KindInvalid)
	}
	if n := f.countOutbox(TypeImportQuestions); n != 0 {
		t.Errorf("refused imports wrote %d outbox rows", n)
	}
}
