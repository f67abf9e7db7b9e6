package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestTheCertificatesPublicPageVerifiesInChromium(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The holder opens My certificates and copies the share link.
	signInChromium(t, ctx, srv.URL, "kabid@diskominfo.bandung.go.id")
	step(t, ctx, "open my certificates", chromedp.Navigate(srv.URL+"/my/certificates"), chromedp.WaitVisible(chromedp.CSS(".certificate")))
	checkAccessibility(t, ctx, "my certificates")
	screenshot(t, ctx, "my-certificates")
	step(t, ctx, "copy the share link", chromedp.Click(chromedp.CSS("button[data-copy]")))
	waitFor(t, ctx, "the copy confirmed", `document.querySelector("[data-role=copied]").textContent.length > 0`, 5*time.Second)
	share, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("a.share").getAttribute("href")`))
	if err != nil || !strings.Contains(share, "/verify/BPSDM-JABAR-") {
		t.Fatalf("share link = %q (%v), want the public verification page", share, err)
	}
	verifyURL := srv.URL + share[strings.Index(share, "/verify/"):]

	// Someone without an account follows it in a browser of their own.
	anon, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	step(t, anon, "open the shared link without a session", chromedp.Navigate(verifyURL), chromedp.WaitVisible(chromedp.ID("verdict")))
	verdict, err := chromedp.Run(anon, chromedp.Evaluate[string](`document.getElementById("verdict").dataset.status + " " + document.getElementById("verdict").textContent +
		" " + (document.querySelector('a[href="/sign-in"]') ? "anonymous" : "signed-in")`))
	if err != nil || !strings.HasPrefix(verdict, "valid VALID") || !strings.HasSuffix(verdict, "anonymous") {
		t.Fatalf("the public page says %q (%v), want it valid to an anonymous visitor", verdict, err)
	}
	checkAccessibility(t, anon, "verification page")
	screenshot(t, anon, "verify")

	// The institute's registrar revokes it; the public page follows.
	signInChromium(t, ctx, srv.URL, "registrar@bpsdm.jabarprov.go.id")
	step(t, ctx, "open the institute's certificates", chromedp.Navigate(srv.URL+"/institute/certificates"), chromedp.WaitVisible(chromedp.CSS(`a[href^="/institute/classes/"]`)))
	checkAccessibility(t, ctx, "institute certificates")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll('a[href^="/institute/classes/"]')).find(a => a.textContent.includes("Etika")).click(); true`)); err != nil {
		t.Fatalf("open the class's certificates: %v", err)
	}
	step(t, ctx, "see the class's certificates", chromedp.WaitVisible(chromedp.CSS("table")))
	step(t, ctx, "open revoke", chromedp.Click(chromedp.CSS("tbody details summary")), chromedp.WaitVisible(chromedp.CSS(`input[id^="revoke-"]`)))
	checkAccessibility(t, ctx, "class certificates")
	screenshot(t, ctx, "class-certificates")
	step(t, ctx, "revoke with a reason",
		chromedp.SendKeys(chromedp.CSS(`input[id^="revoke-"]`), "Kelulusan dibatalkan"),
		chromedp.Submit(chromedp.CSS(`input[id^="revoke-"]`)), chromedp.WaitVisible(chromedp.CSS(".badge-revoked")))
	step(t, anon, "reload the shared link", chromedp.Navigate(verifyURL), chromedp.WaitVisible(chromedp.CSS(`#verdict[data-status="revoked"]`)))
	text, err := chromedp.Run(anon, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(text, "REVOKED") || !strings.Contains(text, "Kelulusan dibatalkan") {
		t.Errorf("the revoked certificate's page reads %q (%v), want REVOKED with the reason", text, err)
	}
	checkAccessibility(t, anon, "revoked verification page")
}

func TestARegistrarIssuesForAClassAndWritesATemplateInChromium(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	runWorker(t, srv)
	signInChromium(t, ctx, srv.URL, "registrar@bpsdm.jabarprov.go.id")
	// A bulk issue for the class follows its job to the result.
	step(t, ctx, "open the institute's certificates", chromedp.Navigate(srv.URL+"/institute/certificates"), chromedp.WaitVisible(chromedp.CSS(`a[href^="/institute/classes/"]`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll('a[href^="/institute/classes/"]')).find(a => a.textContent.includes("Etika")).click(); true`)); err != nil {
		t.Fatalf("open the class's certificates: %v", err)
	}
	step(t, ctx, "issue for the class", chromedp.WaitVisible(chromedp.ID("issue-all")), chromedp.Click(chromedp.ID("issue-all")))
	waitOrDump(t, ctx, "the bulk issue's result", `!!document.getElementById("bulk-result")`, 60*time.Second)
	checkAccessibility(t, ctx, "bulk issue result")

	// The template editor.
	step(t, ctx, "open a new template", chromedp.Navigate(srv.URL+"/institute/certificates"),
		chromedp.Click(chromedp.CSS(`a[href$="/certificate-templates/new"]`)), chromedp.WaitVisible(chromedp.ID("body_id")))
	step(t, ctx, "save it with an unknown placeholder",
		chromedp.SendKeys(chromedp.ID("name"), "Templat uji"), chromedp.SendKeys(chromedp.ID("body_id"), " {salah}"),
		chromedp.Submit(chromedp.ID("name")), chromedp.WaitVisible(chromedp.ID("body_id-error")))
	checkAccessibility(t, ctx, "template form with an error")
	screenshot(t, ctx, "certificate-template")
}
