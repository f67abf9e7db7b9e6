package app

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// The author's and the class staff's assignment pages pass axe-core, a
// refused rubric too (issue 11).
func TestTheAssignmentSettingsPagesAreAccessibleInChromium(t *testing.T) {
	t.Parallel()
	ctx := newChromium(t)
	w := newWorld(t)
	srv := w.srv
	ra := w.rubricAssignment(t, "TUGAS-PENULIS-CHROMIUM")
	_, draftItem := w.draftAssignment(t, "TUGAS-PENULIS-DRAF-CHROMIUM")

	signInChromium(t, ctx, srv.URL, jabarInstructorEmail)
	step(t, ctx, "open the author page", chromedp.Navigate(srv.URL+"/teach/assignments/"+draftItem), chromedp.WaitVisible(chromedp.ID("rubric")))
	checkAccessibility(t, ctx, "assignment settings")
	step(t, ctx, "type a rubric line without levels", chromedp.SendKeys(chromedp.ID("rubric"), "Analisis masalah"),
		chromedp.Click(chromedp.ID("save-assignment")), chromedp.WaitVisible(chromedp.ID("rubric-error")))
	checkAccessibility(t, ctx, "assignment settings with a refused rubric")
	screenshot(t, ctx, "assignment-settings")
	step(t, ctx, "open the class's dates", chromedp.Navigate(srv.URL+"/classes/"+ra.class+"/assignments/"+ra.item+"/settings"),
		chromedp.WaitVisible(chromedp.ID("save-extension")))
	checkAccessibility(t, ctx, "assignment dates in the class")
	screenshot(t, ctx, "assignment-class-settings")
}
