package app

import (
	"context"
	_ "embed"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/corpu/corpu/internal/identity"
)

// axeSource is axe-core, vendored for the tests (testdata/axe/README.md).
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// chromiumPath finds Debian's Chromium (.ci/chromium.sh installs it). Without
// it the browser tests skip on a developer's machine and fail in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed; .ci/chromium.sh installs it")
	}
	t.Skip("Chromium is not installed (make test installs it with .ci/chromium.sh)")
	return ""
}

// newChromium starts a headless Chromium with a fresh profile and nothing
// that calls out to the network (the test machine has none).
func newChromium(t *testing.T) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// step runs browser actions and fails the test with what it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// setOffline cuts or restores the page's network, as a dropped mobile
// connection would, and tells the page (navigator.onLine and its events).
func setOffline(t *testing.T, ctx context.Context, offline bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("network.enable: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatalf("emulate offline=%v: %v", offline, err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		t.Fatalf("override network state offline=%v: %v", offline, err)
	}
}

// waitFor polls a JavaScript condition on the page, through the page's own
// navigations (a submit, a refresh while grading).
func waitFor(t *testing.T, ctx context.Context, what, expression string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expression))
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waiting for %s (%s): %v", what, expression, lastErr)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAccessibility runs axe-core on the page and fails on a serious or
// critical violation of WCAG 2 A/AA.
func checkAccessibility(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](axeSource, chromedp.EvalIgnoreExceptions)); err != nil {
		t.Fatalf("load axe-core on %s: %v", page, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", page, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		t.Fatalf("axe result on %s: %v", page, err)
	}
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: %s violation %s (%s) at %v", page, v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
}

// screenshot saves the page under CORPU_SCREENSHOT_DIR (make screenshots).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CORPU_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatalf("save screenshot %s: %v", name, err)
	}
}

func TestALearnerTakesAQuizThroughALostConnectionInChromium(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The worker grades the submitted attempt, as in production.
	workerCtx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); _ = srv.App.RunWorker(workerCtx) }()
	t.Cleanup(func() { stopWorker(); <-workerDone })

	// Signing in from the page asked for, and back to it.
	step(t, ctx, "open the catalogue", chromedp.Navigate(srv.URL+"/catalogue"), chromedp.WaitVisible(chromedp.ID("login")))
	checkAccessibility(t, ctx, "sign-in")
	screenshot(t, ctx, "sign-in")
	step(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("login"), "budi@diskominfo.bandung.go.id"),
		chromedp.SendKeys(chromedp.ID("password"), identity.DemoPassword),
		chromedp.Submit(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("q")))

	// Finding the demo course and enrolling in its class.
	step(t, ctx, "search the catalogue",
		chromedp.SendKeys(chromedp.ID("q"), "literasi"), chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/courses/"]`)))
	checkAccessibility(t, ctx, "catalogue")
	screenshot(t, ctx, "catalogue")
	step(t, ctx, "open the demo course", chromedp.Click(chromedp.CSS(`a[href^="/courses/"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/classes?course_id="]`)))
	step(t, ctx, "see its classes", chromedp.Click(chromedp.CSS(`a[href^="/classes?course_id="]`)), chromedp.WaitVisible(chromedp.CSS(`.card a[href^="/classes/"]`)))
	step(t, ctx, "open the class", chromedp.Click(chromedp.CSS(`.card a[href^="/classes/"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/enrol"] button`)))
	step(t, ctx, "enrol", chromedp.Click(chromedp.CSS(`form[action$="/enrol"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/learn/"]`)))
	checkAccessibility(t, ctx, "class")
	screenshot(t, ctx, "class")
	step(t, ctx, "open the course", chromedp.Click(chromedp.CSS(`a[href^="/learn/"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/attempts"] button`)))
	checkAccessibility(t, ctx, "player")
	screenshot(t, ctx, "player")
	step(t, ctx, "start the quiz", chromedp.Click(chromedp.CSS(`form[action$="/attempts"] button`)), chromedp.WaitVisible(chromedp.ID("quiz")))
	waitFor(t, ctx, "the server's clock and the time left", `document.getElementById("remaining").textContent.indexOf(":") > 0`, 5*time.Second)
	checkAccessibility(t, ctx, "quiz")

	// The first answer (a wrong one, changed later) is saved at once.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll("#q-1 label")).find(l => !l.textContent.includes("Berbasis Elektronik")).querySelector("input").click(); true`)); err != nil {
		t.Fatalf("answer question 1: %v", err)
	}
	waitFor(t, ctx, "question 1 saved", `document.getElementById("state-1").classList.contains("state-saved")`, 10*time.Second)

	// The connection drops; the learner keeps answering.
	setOffline(t, ctx, true)
	correct := `Array.from(document.querySelectorAll("#q-1 label")).find(l => l.textContent.includes("Sistem Pemerintahan Berbasis Elektronik")).querySelector("input").click();
		document.querySelector('#q-2 input[value="false"]').click();
		Array.from(document.querySelectorAll("#q-3 label")).filter(l => !l.textContent.includes("Surat fisik")).forEach(l => l.querySelector("input").click());
		true`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](correct)); err != nil {
		t.Fatalf("answer offline: %v", err)
	}
	waitFor(t, ctx, "answers waiting while offline",
		`["1","2","3"].every(s => document.getElementById("state-" + s).classList.contains("state-waiting")) && !document.getElementById("offline").hidden`, 10*time.Second)
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](`localStorage.getItem("corpu.attempt." + document.getElementById("quiz").dataset.attempt)`))
	if err != nil || !strings.Contains(kept, `"2":{"seq":1`) || !strings.Contains(kept, `"waiting"`) {
		t.Fatalf("the queue in localStorage = %s (%v), want the offline answers with their seq", kept, err)
	}
	screenshot(t, ctx, "quiz-offline")

	// The connection is back: everything waiting is sent.
	setOffline(t, ctx, false)
	waitFor(t, ctx, "every answer saved after the connection came back",
		`["1","2","3"].every(s => document.getElementById("state-" + s).classList.contains("state-saved"))`, 20*time.Second)

	// The access token is lost (expired): the script renews the session
	// with the refresh token and the save goes through.
	if _, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "corpu_access", URL: srv.URL}); err != nil {
		t.Fatalf("drop the access cookie: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#q-2 input[value="true"]').click();
		setTimeout(() => document.querySelector('#q-2 input[value="false"]').click(), 300); true`)); err != nil {
		t.Fatalf("change question 2: %v", err)
	}
	waitFor(t, ctx, "question 2 saved again after the session was renewed",
		`document.querySelector('#q-2').dataset.seq === "3" && document.getElementById("state-2").classList.contains("state-saved")`, 20*time.Second)
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL}})
	if err != nil || !slices.ContainsFunc(cookies.Cookies, func(c *network.Cookie) bool { return c.Name == "corpu_access" && c.HTTPOnly }) {
		t.Fatalf("cookies after renewal = %v (%v), want a new HttpOnly access cookie", cookies, err)
	}

	// Submit, pressed twice.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`const f = document.getElementById("quiz");
		f.requestSubmit(); f.requestSubmit(); true`)); err != nil {
		t.Fatalf("submit twice: %v", err)
	}
	waitFor(t, ctx, "the grade", `!!document.getElementById("grade") && document.getElementById("grade").textContent.includes("3 / 3")`, 60*time.Second)
	checkAccessibility(t, ctx, "result")
	screenshot(t, ctx, "quiz-result")
	grade, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("grade")))
	if !strings.Contains(grade, "Passed") { // the browser asks for English
		t.Errorf("grade = %q, want 3 / 3 and passed", grade)
	}
	var attempts int64
	if err := srv.Deps.DB.Conn(context.Background()).Table("quiz_attempts").Count(&attempts).Error; err != nil || attempts != 1 {
		t.Errorf("attempts = %d (%v), want the one attempt", attempts, err)
	}
	for _, page := range []string{"/my/classes", "/my/jp"} {
		step(t, ctx, "open "+page, chromedp.Navigate(srv.URL+page), chromedp.WaitVisible(chromedp.CSS("h1")))
		checkAccessibility(t, ctx, page)
		screenshot(t, ctx, strings.ReplaceAll(strings.TrimPrefix(page, "/"), "/", "-"))
	}
	// The language switch keeps the learner on the page.
	step(t, ctx, "switch to Indonesian", chromedp.Click(chromedp.CSS(`a[hreflang="id"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="id"] a[hreflang="en"]`)))
	if h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Jam pelajaran") {
		t.Errorf("after the switch the page reads %q, want My JP in Indonesian", h1)
	}
}

// signInChromium signs a demo user in through the sign-in page.
func signInChromium(t *testing.T, ctx context.Context, base, login string) {
	t.Helper()
	step(t, ctx, "sign in as "+login, chromedp.Navigate(base+"/sign-in"), chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), login), chromedp.SendKeys(chromedp.ID("password"), identity.DemoPassword),
		chromedp.Submit(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("q")))
}

func TestTheStaffPagesPassAxeInChromium(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	signInChromium(t, ctx, srv.URL, "instruktur@bpsdm.kemendagri.go.id")
	step(t, ctx, "open my courses", chromedp.Navigate(srv.URL+"/teach/courses"), chromedp.WaitVisible(chromedp.ID("code")))
	checkAccessibility(t, ctx, "my courses")
	screenshot(t, ctx, "teach-courses")
	step(t, ctx, "create a course with no title",
		chromedp.SendKeys(chromedp.ID("code"), "AXE-1"), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("title-error")))
	checkAccessibility(t, ctx, "a refused form")
	step(t, ctx, "create the course",
		chromedp.SendKeys(chromedp.ID("title"), "Kursus Aksesibel"), chromedp.Submit(chromedp.ID("title")), chromedp.WaitVisible(chromedp.ID("module-title")))
	step(t, ctx, "add a module", chromedp.SendKeys(chromedp.ID("module-title"), "Modul satu"), chromedp.Submit(chromedp.ID("module-title")),
		chromedp.WaitVisible(chromedp.CSS(`input[id^="lesson-title-"]`)))
	checkAccessibility(t, ctx, "draft")
	screenshot(t, ctx, "draft")

	signInChromium(t, ctx, srv.URL, "reviewer@bpsdm.kemendagri.go.id")
	step(t, ctx, "open the review queue", chromedp.Navigate(srv.URL+"/review"), chromedp.WaitVisible(chromedp.CSS("h1")))
	checkAccessibility(t, ctx, "review queue")
}
