package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/course"
	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/platform/page"
)

// The demo certificate: Hendra, the head of division at Diskominfo Kota
// Bandung (a supervisor, and a learner like every civil servant), completed
// a short online class that the Jawa Barat institute ran of a course of the
// national institute, and holds its certificate, so a newcomer has one to
// download and verify. The demo learners Budi and Rina are left with no
// completion of their own, as the walkthroughs expect.
const (
	demoCertCourseCode = "ETIKA-DEMO"
	demoLearnerNIP     = "197812122002121002" // Hendra, Diskominfo Kota Bandung
	demoRegistrarNIP   = "198702142010122001" // registrar, BPSDM Jawa Barat
)

// seedDemoCertificate adds the course, the class, Hendra's completed
// enrolment and its certificate, once.
func (a *App) seedDemoCertificate(ctx context.Context) error {
	authorCtx, author, err := a.actingAs(ctx, demoAuthorNIP)
	if err != nil {
		return err
	}
	regionalCtx, regional, err := a.actingAs(ctx, demoRegionalNIP)
	if err != nil {
		return err
	}
	existing, err := a.courses.Courses(authorCtx, course.CourseFilter{Query: demoCertCourseCode}, page.Request{Limit: 1})
	if err != nil || len(existing.Items) > 0 {
		return err
	}
	title, summary := "Etika dan Integritas ASN", "Nilai dasar BerAKHLAK dan kode etik aparatur sipil negara."
	mode, level, lang := course.ModeOnline, course.LevelBasic, course.LanguageIndonesian
	objectives, tags := []string{"Menerapkan kode etik ASN"}, []string{"etika", "integritas"}
	// Shared with the province only, so that learners elsewhere do not meet
	// a second demo class.
	path := strings.Split(strings.Trim(regional.HomeOrgPath, "/"), "/")
	if len(path) < 2 {
		return fmt.Errorf("demo institute %s has no parent", regional.HomeOrgPath)
	}
	province, err := uuid.Parse(path[len(path)-2])
	if err != nil {
		return fmt.Errorf("demo institute path %s: %w", regional.HomeOrgPath, err)
	}
	c, err := a.courses.CreateCourse(authorCtx, course.NewCourse{OrgID: author.HomeOrgID, Code: demoCertCourseCode,
		Sharing: course.SharingListed, SharedOrgIDs: []uuid.UUID{province},
		Version: course.VersionPatch{Title: &title, Summary: &summary, Language: &lang, Objectives: &objectives,
			CompetencyTags: &tags, DeliveryMode: &mode, JPCredit: course.Some(2.0), Level: &level}})
	if err != nil || c.Open == nil {
		return fmt.Errorf("demo certificate course: %w", err)
	}
	m, err := a.courses.AddModule(authorCtx, c.Open.ID, course.ModuleInput{Title: ptr("Nilai dasar")})
	if err != nil {
		return err
	}
	l, err := a.courses.AddLesson(authorCtx, m.ID, course.ModuleInput{Title: ptr("BerAKHLAK")})
	if err != nil {
		return err
	}
	item, err := a.courses.AddItem(authorCtx, l.ID, course.ItemInput{Kind: course.KindText, Title: ptr("Bacaan: kode etik ASN"),
		Required: ptr(true), EstimatedMinutes: ptr(30), Body: ptr("<p>Berorientasi pelayanan, akuntabel, kompeten, harmonis, loyal, adaptif, kolaboratif.</p>")})
	if err != nil {
		return err
	}
	if err := a.publishDemoVersion(ctx, authorCtx, c.Open.ID); err != nil {
		return err
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	class, err := a.delivery.CreateClass(regionalCtx, delivery.ClassInput{VersionID: c.Open.ID, OrgID: regional.HomeOrgID,
		Code: demoCertCourseCode + "-JABAR-1", StartsOn: today, EndsOn: today.AddDate(0, 1, 0), Capacity: 40,
		Policy: delivery.PolicyOpen, RegionCode: "32"})
	if err != nil {
		return fmt.Errorf("demo certificate class: %w", err)
	}
	learnerCtx, _, err := a.actingAs(ctx, demoLearnerNIP)
	if err != nil {
		return err
	}
	e, _, err := a.delivery.Enrol(learnerCtx, class.ID)
	if err != nil {
		return fmt.Errorf("demo enrolment: %w", err)
	}
	if _, err := a.delivery.RecordProgress(learnerCtx, e.ID, delivery.ProgressInput{ItemID: item.ID, Event: delivery.EventViewed}); err != nil {
		return fmt.Errorf("demo progress: %w", err)
	}
	// The worker would issue it from the completion event; the seed issues
	// it at once so it is there before the worker first runs.
	registrarCtx, _, err := a.actingAs(ctx, demoRegistrarNIP)
	if err != nil {
		return err
	}
	if _, err := a.certs.Issue(registrarCtx, e.ID, "Data demo"); err != nil {
		return fmt.Errorf("demo certificate: %w", err)
	}
	return nil
}

// publishDemoVersion submits a draft and has the demo reviewer approve it.
func (a *App) publishDemoVersion(ctx, authorCtx context.Context, versionID uuid.UUID) error {
	reviewerCtx, _, err := a.actingAs(ctx, demoReviewerNIP)
	if err != nil {
		return err
	}
	if _, _, err := a.courses.Submit(authorCtx, versionID); err != nil {
		return fmt.Errorf("submit demo course: %w", err)
	}
	_, _, err = a.courses.Review(reviewerCtx, versionID, course.ReviewInput{Decision: course.DecisionApprove,
		Checklist: course.Checklist{Objectives: true, Assessment: true, JP: true, Accessibility: true},
		Comments:  "Sesuai standar."})
	if err != nil {
		return fmt.Errorf("publish demo course: %w", err)
	}
	return nil
}
