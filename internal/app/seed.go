package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/course"
	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
)

// Seed loads the demo data: the government tree and its people, then a
// published blended course of the national institute with an open class at
// the Jawa Barat institute. Running it again changes nothing.
func (a *App) Seed(ctx context.Context) error {
	if err := a.identity.Seed(ctx); err != nil {
		return err
	}
	if err := a.seedDemoCourse(ctx); err != nil {
		return err
	}
	return a.seedDemoCertificate(ctx)
}

// The demo staff, by NIP (see identity's seed).
const (
	demoAuthorNIP   = "197907202003121001" // instructor, BPSDM Kemendagri
	demoReviewerNIP = "198111112006042002" // reviewer, BPSDM Kemendagri
	demoRegionalNIP = "198405052009011003" // instructor, BPSDM Jawa Barat
	demoCourseCode  = "LITDIG-DEMO"
)

// actingAs returns ctx acting as the demo user with nip.
func (a *App) actingAs(ctx context.Context, nip string) (context.Context, *authz.Actor, error) {
	people, err := a.identity.PeopleByNIP(ctx, []string{nip})
	if err != nil {
		return nil, nil, err
	}
	person, ok := people[nip]
	if !ok {
		return nil, nil, fmt.Errorf("demo user %s is missing", nip)
	}
	actor, err := a.identity.Actor(ctx, person.ID)
	if err != nil {
		return nil, nil, err
	}
	return authz.WithActor(ctx, actor), actor, nil
}

func (a *App) seedDemoCourse(ctx context.Context) error {
	authorCtx, author, err := a.actingAs(ctx, demoAuthorNIP)
	if err != nil {
		return err
	}
	existing, err := a.courses.Courses(authorCtx, course.CourseFilter{Query: demoCourseCode}, page.Request{Limit: 1})
	if err != nil || len(existing.Items) > 0 {
		return err
	}
	version, err := a.authorDemoCourse(authorCtx, author.HomeOrgID)
	if err != nil {
		return fmt.Errorf("demo course: %w", err)
	}
	if err := a.publishDemoVersion(ctx, authorCtx, version); err != nil {
		return err
	}
	return a.openDemoClass(ctx, version)
}

// authorDemoCourse builds the draft and returns its version id.
func (a *App) authorDemoCourse(ctx context.Context, orgID uuid.UUID) (uuid.UUID, error) {
	title, summary := "Literasi Digital bagi ASN", "Dasar-dasar transformasi digital pemerintahan dan SPBE untuk aparatur sipil negara."
	mode, level, lang := course.ModeBlended, course.LevelBasic, course.LanguageIndonesian
	objectives := []string{"Menjelaskan arsitektur SPBE", "Menggunakan layanan digital pemerintah dengan aman"}
	tags := []string{"literasi-digital", "spbe", "keamanan-informasi"}
	c, err := a.courses.CreateCourse(ctx, course.NewCourse{OrgID: orgID, Code: demoCourseCode, Sharing: course.SharingNational,
		Version: course.VersionPatch{Title: &title, Summary: &summary, Language: &lang, Objectives: &objectives,
			CompetencyTags: &tags, DeliveryMode: &mode, JPCredit: course.Some(12.0), Level: &level}})
	if err != nil {
		return uuid.Nil, err
	}
	if c.Open == nil {
		return uuid.Nil, fmt.Errorf("course %s has no draft", c.ID)
	}
	versionID := c.Open.ID
	moduleTitle, lessonTitle := "Pengantar SPBE", "Mengapa pemerintahan digital?"
	m, err := a.courses.AddModule(ctx, versionID, course.ModuleInput{Title: &moduleTitle})
	if err != nil {
		return uuid.Nil, err
	}
	l, err := a.courses.AddLesson(ctx, m.ID, course.ModuleInput{Title: &lessonTitle})
	if err != nil {
		return uuid.Nil, err
	}
	yes := true
	items := []course.ItemInput{
		{Kind: course.KindText, Title: ptr("Bacaan: SPBE dalam satu halaman"), Required: &yes, EstimatedMinutes: ptr(20),
			Body: ptr("<p>Sistem Pemerintahan Berbasis Elektronik (SPBE) menyatukan layanan, data dan infrastruktur.</p>")},
		{Kind: course.KindLink, Title: ptr("Peraturan Presiden tentang SPBE"), Required: &yes, EstimatedMinutes: ptr(30),
			URL: course.Some("https://jdih.setkab.go.id/")},
		{Kind: course.KindLiveSession, Title: ptr("Tatap muka: praktik layanan digital"), Required: &yes, EstimatedMinutes: ptr(180)},
	}
	for _, in := range items {
		if _, err := a.courses.AddItem(ctx, l.ID, in); err != nil {
			return uuid.Nil, err
		}
	}
	if err := a.addDemoQuiz(ctx, orgID, l.ID); err != nil {
		return uuid.Nil, err
	}
	return versionID, nil
}

// openDemoClass opens a class of the published course at the Jawa Barat
// institute, with one face-to-face session a week from now.
func (a *App) openDemoClass(ctx context.Context, versionID uuid.UUID) error {
	regionalCtx, regional, err := a.actingAs(ctx, demoRegionalNIP)
	if err != nil {
		return err
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	class, err := a.delivery.CreateClass(regionalCtx, delivery.ClassInput{VersionID: versionID, OrgID: regional.HomeOrgID,
		Code: demoCourseCode + "-JABAR-1", StartsOn: today, EndsOn: today.AddDate(0, 2, 0), Capacity: 40, Waitlist: true,
		Policy: delivery.PolicyOpen, RegionCode: "32"})
	if err != nil {
		return fmt.Errorf("demo class: %w", err)
	}
	kind := delivery.SessionInPerson
	starts := today.AddDate(0, 0, 7).Add(2 * time.Hour) // 09:00 WIB
	ends := starts.Add(3 * time.Hour)
	_, err = a.delivery.CreateSession(regionalCtx, class.ID, delivery.SessionInput{Kind: &kind, Title: ptr("Tatap muka I"),
		StartsAt: &starts, EndsAt: &ends, Venue: ptr("Aula BPSDM Jawa Barat"), Address: ptr("Jl. Windu No. 26, Bandung")}, false)
	if err != nil {
		return fmt.Errorf("demo session: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
