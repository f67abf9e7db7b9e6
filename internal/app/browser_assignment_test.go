package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An instructor grades an assignment with a rubric (issue 11): a learner
// hands in a file that goes straight to the object store with a progress
// bar, the instructor grades it by the rubric and releases it, and the
// learner reads the rubric's result and their grade in the gradebook.
func TestALearnerHandsInAFileAndAnInstructorGradesItByRubricInChromium(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	w := newWorld(t)
	srv := w.srv
	ra := w.rubricAssignment(t, "TUGAS-CHROMIUM")
	page := srv.URL + "/classes/" + ra.class + "/assignments/" + ra.item
	// The worker carries the released grade to the gradebook and writes the export.
	workerCtx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); _ = srv.App.RunWorker(workerCtx) }()
	t.Cleanup(func() { stopWorker(); <-workerDone })

	// A PDF of 600 KB, large enough for the upload to report progress.
	file := filepath.Join(t.TempDir(), "rencana-layanan.pdf")
	body := append(pdf("rencana layanan"), bytes.Repeat([]byte("% isi rencana layanan digital\n"), 600<<10/30)...)
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}

	// The learner reaches the assignment from the class page and the course player.
	signInChromium(t, ctx, srv.URL, "budi@diskominfo.bandung.go.id")
	step(t, ctx, "open the class", chromedp.Navigate(srv.URL+"/classes/"+ra.class), chromedp.WaitVisible(chromedp.CSS(`a[href^="/learn/"]`)))
	step(t, ctx, "open the course", chromedp.Click(chromedp.CSS(`a[href^="/learn/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/assignments/`+ra.item+`"]`)))
	step(t, ctx, "open the assignment", chromedp.Click(chromedp.CSS(`a[href$="/assignments/`+ra.item+`"]`)), chromedp.WaitVisible(chromedp.ID("files")))
	checkAccessibility(t, ctx, "learner assignment")
	screenshot(t, ctx, "assignment")

	// The file goes to the object store; the page counts the bytes as they go.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.progressSeen = [];
		const send = XMLHttpRequest.prototype.send;
		XMLHttpRequest.prototype.send = function (b) {
			this.upload.addEventListener("progress", e => window.progressSeen.push(e.loaded));
			return send.call(this, b);
		}; true`)); err != nil {
		t.Fatalf("watch the upload: %v", err)
	}
	step(t, ctx, "choose the file", chromedp.SetUploadFiles(chromedp.ID("files"), []string{file}))
	waitFor(t, ctx, "the file uploaded", `!!document.querySelector('#uploads .state-saved') && !!document.querySelector('input[name="file_id"]')`, 30*time.Second)
	progress, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.progressSeen`))
	if err != nil || len(progress) == 0 || progress[len(progress)-1] != float64(len(body)) {
		t.Errorf("upload progress = %v (%v), want events up to %d bytes", progress, err, len(body))
	}
	if full, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`const p = document.querySelector("#uploads progress"); p.value === p.max`)); !full {
		t.Errorf("the progress bar did not reach its end")
	}
	screenshot(t, ctx, "assignment-uploaded")

	// Handed in with a text, pressed twice: one version.
	step(t, ctx, "write the text", chromedp.SendKeys(chromedp.ID("text"), "Rencana perizinan daring untuk unit kami."))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`const f = document.getElementById("submit-form");
		f.requestSubmit(); f.requestSubmit(); true`)); err != nil {
		t.Fatalf("hand in twice: %v", err)
	}
	waitFor(t, ctx, "the version in the history", `!!document.getElementById("submitted") && document.getElementById("history") !== null &&
		document.body.textContent.includes("rencana-layanan.pdf")`, 20*time.Second)
	var versions int64
	if err := srv.Deps.DB.Conn(context.Background()).Table("assignment_submissions").Where("class_id = ?", ra.class).Count(&versions).Error; err != nil || versions != 1 {
		t.Errorf("versions = %d (%v), want one for two presses", versions, err)
	}
	checkAccessibility(t, ctx, "learner assignment with its history")

	// The instructor grades by the rubric from the course player's link of the class.
	signInChromium(t, ctx, srv.URL, jabarInstructorEmail)
	step(t, ctx, "open the course for the class", chromedp.Navigate(srv.URL+"/learn/"+ra.version+"?class="+ra.class),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/grading"]`)))
	step(t, ctx, "open the grading queue", chromedp.Click(chromedp.CSS(`a[href$="/grading"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/grade"]`)))
	checkAccessibility(t, ctx, "grading queue")
	screenshot(t, ctx, "assignment-grading-queue")
	step(t, ctx, "open the submission", chromedp.Click(chromedp.CSS(`a[href$="/grade"]`)), chromedp.WaitVisible(chromedp.ID("grade-form")))
	step(t, ctx, "choose the levels",
		chromedp.Click(chromedp.CSS(`input[name="level-analisis"][value="baik"]`)),
		chromedp.Click(chromedp.CSS(`input[name="level-solusi"][value="kurang"]`)))
	waitFor(t, ctx, "the computed score", `document.getElementById("score-value").textContent === "60"`, 5*time.Second)
	step(t, ctx, "write the feedback", chromedp.SendKeys(chromedp.ID("feedback"), "Analisis tajam; solusinya perlu rinci."))
	step(t, ctx, "attach a feedback file", chromedp.SetUploadFiles(chromedp.ID("feedback-files"), []string{file}))
	waitFor(t, ctx, "the feedback file uploaded", `!!document.querySelector('#feedback-uploads .state-saved') && !!document.querySelector('input[name="feedback_file_id"]')`, 30*time.Second)
	checkAccessibility(t, ctx, "grading page")
	screenshot(t, ctx, "assignment-grade")
	step(t, ctx, "save the grade", chromedp.Click(chromedp.ID("save-grade")), chromedp.WaitVisible(chromedp.ID("saved")))
	step(t, ctx, "release", chromedp.Click(chromedp.ID("release")), chromedp.WaitVisible(chromedp.ID("release-summary")))

	// The learner reads the rubric's result and the grade in the gradebook.
	signInChromium(t, ctx, srv.URL, "budi@diskominfo.bandung.go.id")
	step(t, ctx, "open the assignment again", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("result")))
	result, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("result")))
	for _, want := range []string{"60 / 100", "Analisis masalah", "Baik", "Kurang", "Analisis tajam"} {
		if err != nil || !strings.Contains(result, want) {
			t.Errorf("the result reads %q (%v), want %q", result, err, want)
		}
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#result a[href^="http"]').length`)); err != nil || n != 1 {
		t.Errorf("feedback file links = %d (%v), want the one the grader attached", n, err)
	}
	checkAccessibility(t, ctx, "learner assignment with its result")
	screenshot(t, ctx, "assignment-result")
	deadline := time.Now().Add(30 * time.Second)
	for {
		step(t, ctx, "open my grades", chromedp.Navigate(srv.URL+"/classes/"+ra.class+"/grades"), chromedp.WaitVisible(chromedp.ID("grades")))
		grades, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("grades")))
		if strings.Contains(grades, "60.0%") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("my grades read %q, want the assignment at 60.0%%", grades)
		}
		time.Sleep(500 * time.Millisecond)
	}
	checkAccessibility(t, ctx, "my grades")
	screenshot(t, ctx, "gradebook-learner")

	// The instructor exports the class's gradebook and is offered the file.
	signInChromium(t, ctx, srv.URL, jabarInstructorEmail)
	step(t, ctx, "open the class gradebook", chromedp.Navigate(srv.URL+"/classes/"+ra.class+"/gradebook"), chromedp.WaitVisible(chromedp.ID("gradebook")))
	checkAccessibility(t, ctx, "class gradebook")
	step(t, ctx, "export it", chromedp.Click(chromedp.ID("start-export")), chromedp.WaitVisible(chromedp.ID("export-state")))
	waitFor(t, ctx, "the export's download", `!!document.getElementById("export-download")`, 60*time.Second)
	checkAccessibility(t, ctx, "class gradebook with its export")
	screenshot(t, ctx, "gradebook-class")
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("export-download").href`))
	if err != nil || !strings.Contains(href, "/gradebook/exports/") {
		t.Errorf("the download link = %q (%v)", href, err)
	}
}
