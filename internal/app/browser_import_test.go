package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestAQuestionImportAndALessonsDocumentGoStraightToTheObjectStoreInChromium(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	runWorker(t, srv)
	gift, err := filepath.Abs("../quiz/moodleformat/testdata/literasi_digital.gift.txt")
	if err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(t.TempDir(), "maklumat.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n%maklumat pelayanan\n"+strings.Repeat("0", 4096)+"\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// An author imports a GIFT file into a question bank.
	signInChromium(t, ctx, srv.URL, "instruktur@bpsdm.kemendagri.go.id")
	step(t, ctx, "open the question banks", chromedp.Navigate(srv.URL+"/teach/banks"), chromedp.WaitVisible(chromedp.CSS(`a[href^="/teach/banks/"]`)))
	step(t, ctx, "open a bank", chromedp.Click(chromedp.CSS(`ul a[href^="/teach/banks/"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/import"]`)))
	step(t, ctx, "open its import page", chromedp.Click(chromedp.CSS(`a[href$="/import"]`)), chromedp.WaitVisible(chromedp.ID("file")))
	checkAccessibility(t, ctx, "question import")
	screenshot(t, ctx, "question-import")
	step(t, ctx, "send no file", chromedp.Click(chromedp.CSS(`#import button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("file-error")))
	step(t, ctx, "send the GIFT file",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{gift}), chromedp.SetValue(chromedp.ID("format"), "gift"),
		chromedp.Click(chromedp.CSS(`#import button[type=submit]`)))
	waitOrDump(t, ctx, "the import's report", `location.pathname.includes("/imports/") && !!document.getElementById("import-summary")`, 60*time.Second)
	report, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(report, "Imported") || !strings.Contains(report, "skipped") {
		t.Errorf("the import report reads %q (%v), want imported and skipped questions", report, err)
	}
	checkAccessibility(t, ctx, "question import report")
	screenshot(t, ctx, "question-import-report")

	// The same author adds a document to a lesson with the progress bar.
	step(t, ctx, "open my courses", chromedp.Navigate(srv.URL+"/teach/courses"), chromedp.WaitVisible(chromedp.ID("code")))
	step(t, ctx, "create a course", chromedp.SendKeys(chromedp.ID("code"), "MEDIA-1"), chromedp.SendKeys(chromedp.ID("title"), "Kursus Bermedia"),
		chromedp.Submit(chromedp.ID("title")), chromedp.WaitVisible(chromedp.ID("module-title")))
	step(t, ctx, "add a module", chromedp.SendKeys(chromedp.ID("module-title"), "Modul satu"), chromedp.Submit(chromedp.ID("module-title")),
		chromedp.WaitVisible(chromedp.CSS(`input[id^="lesson-title-"]`)))
	// The media link is in the version's header, there before the lesson:
	// waiting for it let the click land on the page still submitting the
	// lesson. The new-item form of a lesson (its body-<lesson> text area)
	// comes only with the page that has the lesson.
	step(t, ctx, "add a lesson", chromedp.SendKeys(chromedp.CSS(`input[id^="lesson-title-"]`), "Pelajaran satu"),
		chromedp.Submit(chromedp.CSS(`input[id^="lesson-title-"]`)), chromedp.WaitReady(chromedp.CSS(`textarea[id^="body-"]`)))
	step(t, ctx, "open the media page", chromedp.Click(chromedp.CSS(`a[href$="/media"]`)), chromedp.WaitVisible(chromedp.CSS(`input[id^="file-new-"]`)))
	checkAccessibility(t, ctx, "media")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new MutationObserver(function () { var p = document.querySelector('form[data-upload="by-kind"] progress'); if (p && !p.hidden && p.value > 0) sessionStorage.setItem("progressSeen", "1"); })
			.observe(document.querySelector('form[data-upload="by-kind"]'), {subtree: true, attributes: true, childList: true, characterData: true}); true`)); err != nil {
		t.Fatalf("watch the progress bar: %v", err)
	}
	step(t, ctx, "send a document",
		chromedp.SetValue(chromedp.CSS(`select[id^="kind-"]`), "document"), chromedp.SendKeys(chromedp.CSS(`input[id^="title-"]`), "Maklumat pelayanan"),
		chromedp.SendKeys(chromedp.CSS(`input[id^="minutes-"]`), "10"), chromedp.SetUploadFiles(chromedp.CSS(`input[id^="file-new-"]`), []string{pdf}),
		chromedp.Click(chromedp.CSS(`form[data-upload="by-kind"] button[type=submit]`)))
	waitOrDump(t, ctx, "the document item", `!!document.querySelector(".media-item") && document.querySelector(".media-item").textContent.includes("Maklumat pelayanan")`, 30*time.Second)
	if seen, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`sessionStorage.getItem("progressSeen") === "1"`)); err != nil || !seen {
		t.Errorf("the progress bar never moved during the upload (%v)", err)
	}
	screenshot(t, ctx, "media")
}

func TestAnHRImportGoesStraightToTheObjectStoreAndShowsTheRefusedRowsInChromium(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	runWorker(t, srv)
	csv := filepath.Join(t.TempDir(), "pegawai.csv")
	if err := os.WriteFile(csv, []byte("nip,nama,email,kode_unit\n"+
		"199001012015011001,Asep Sunandar,asep@diskominfo.bandung.go.id,DISKOMINFO-BANDUNG\n"+
		"12345,NIP Keliru,keliru@diskominfo.bandung.go.id,DISKOMINFO-BANDUNG\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An organisation admin imports people and reads the refused row.
	signInChromium(t, ctx, srv.URL, "admin.jabar@jabarprov.go.id")
	step(t, ctx, "open the HR import", chromedp.Navigate(srv.URL+"/admin/imports"), chromedp.WaitVisible(chromedp.ID("file")))
	checkAccessibility(t, ctx, "HR import")
	step(t, ctx, "send the CSV", chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv}), chromedp.Click(chromedp.CSS(`#import button[type=submit]`)))
	waitOrDump(t, ctx, "the refused row", `!!document.getElementById("import-errors") && document.getElementById("import-errors").textContent.includes("12345")`, 60*time.Second)
	checkAccessibility(t, ctx, "HR import report")
	screenshot(t, ctx, "hr-import-report")
}

// waitOrDump waits as waitFor does and, when the page never gets there,
// fails with what it shows.
func waitOrDump(t *testing.T, ctx context.Context, what, expression string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expression)); err == nil && ok {
			return
		}
	}
	page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
	t.Fatalf("waiting for %s (%s); the page shows: %s", what, expression, page)
}
