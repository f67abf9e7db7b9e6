package certificate

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

func completedTask(t testing.TB, enrolmentID uuid.UUID) *asynq.Task {
	t.Helper()
	b, err := json.Marshal(map[string]any{"enrolment_id": enrolmentID})
	if err != nil {
		t.Fatal(err)
	}
	return asynq.NewTask(EventEnrolmentCompleted+"@"+ConsumerCompletion, b)
}

func TestACompletedEnrolmentGetsOneSignedCertificateWithItsPDF(t *testing.T) {
	f := newFixture(t)
	c := f.completed(t, "Budi Santoso", true)
	cert := f.issueOnCompletion(t, c)
	if cert.Serial != "BPSDM-JABAR/2026/000001" {
		t.Errorf("serial = %q, want BPSDM-JABAR/2026/000001", cert.Serial)
	}
	again := f.issueOnCompletion(t, c) // the task delivered twice
	if again.ID != cert.ID {
		t.Errorf("a repeated completion task issued %s besides %s", again.ID, cert.ID)
	}
	obj, err := f.objects.Open(context.Background(), cert.PDFKey)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	pdf, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	if PDFDigest(pdf) != cert.PDFSHA256 || string(pdf[:5]) != "%PDF-" {
		t.Errorf("stored PDF (sha256 %s) is not the certificate's (%s)", PDFDigest(pdf), cert.PDFSHA256)
	}
	v, err := f.svc.Verify(context.Background(), URLSerial(cert.Serial))
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusValid || !v.SignatureValid || v.Facts.Learner.Name != "Budi Santoso" || v.Facts.CourseOwner.Code != "BPSDM-KEMENDAGRI" {
		t.Errorf("Verify = %+v, want valid, signed, Budi's, owned by the national institute", v)
	}
}

func TestIssuingByHandNeedsACompletedEnrolmentAndOnlyOnce(t *testing.T) {
	f := newFixture(t)
	ctx := f.registrar()
	incomplete := f.completed(t, "Rina", false)
	done := f.completed(t, "Fajar", true)
	if _, err := f.svc.Issue(ctx, incomplete.EnrolmentID, "sertifikat hilang"); !errors.Is(err, ErrNotCompleted) {
		t.Errorf("Issue(incomplete) = %v, want ErrNotCompleted", err)
	}
	if _, err := f.svc.Issue(ctx, done.EnrolmentID, " "); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("Issue(no reason) = %v, want invalid", err)
	}
	if _, err := f.svc.Issue(ctx, done.EnrolmentID, "tugas penerbitan hilang"); err != nil {
		t.Fatalf("Issue = %v", err)
	}
	if _, err := f.svc.Issue(ctx, done.EnrolmentID, "lagi"); !errors.Is(err, ErrAlreadyIssued) {
		t.Errorf("Issue(second) = %v, want ErrAlreadyIssued", err)
	}
	var n int64
	f.db.Conn(context.Background()).Table("certificates").Count(&n)
	if n != 1 {
		t.Errorf("%d certificates, want 1", n)
	}
}

func TestCertificatesSignedBeforeAKeyRotationStillVerify(t *testing.T) {
	f := newFixture(t)
	before := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	kid, err := f.svc.RotateKey(f.registrar(), f.institute.ID)
	if err != nil {
		t.Fatal(err)
	}
	after := f.issueOnCompletion(t, f.completed(t, "Rina", true))
	if after.KeyID != kid || before.KeyID == kid {
		t.Errorf("keys: before %s, after %s, want after = new key %s", before.KeyID, after.KeyID, kid)
	}
	for _, c := range []Certificate{before, after} {
		v, err := f.svc.Verify(context.Background(), c.Serial)
		if err != nil || !v.SignatureValid {
			t.Errorf("Verify(%s) = %+v, %v; want a valid signature", c.Serial, v, err)
		}
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	b, err := f.svc.JWKS(context.Background(), f.institute.ID)
	if err != nil || json.Unmarshal(b, &set) != nil || len(set.Keys) != 2 || set.Keys[0].Kid != kid {
		t.Errorf("JWKS = %s, %v; want both keys, the new one first", b, err)
	}
}

func TestATamperedSignatureOrFactsFailVerification(t *testing.T) {
	f := newFixture(t)
	c := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	f.db.Conn(context.Background()).Exec(`UPDATE certificates SET facts = replace(facts, 'Budi', 'Bude') WHERE id = ?`, c.ID)
	v, err := f.svc.Verify(context.Background(), c.Serial)
	if err != nil || v.SignatureValid {
		t.Errorf("Verify(altered facts) = %+v, %v; want the signature to fail", v.SignatureValid, err)
	}
}

func TestATamperedPDFIsNotTheOriginal(t *testing.T) {
	f := newFixture(t)
	c := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	if _, ok, err := f.svc.CheckPDF(context.Background(), c.Serial, c.PDFSHA256); err != nil || !ok {
		t.Errorf("CheckPDF(original) = %v, %v; want the original", ok, err)
	}
	tampered := []byte("%PDF-1.3 not the certificate")
	if _, ok, err := f.svc.CheckPDF(context.Background(), c.Serial, PDFDigest(tampered)); err != nil || ok {
		t.Errorf("CheckPDF(tampered) = %v, %v; want not the original", ok, err)
	}
	if _, _, err := f.svc.CheckPDF(context.Background(), c.Serial, "abc"); !errors.Is(err, ErrMalformedDigest) {
		t.Errorf("CheckPDF(bad digest) = %v, want ErrMalformedDigest", err)
	}
}

func TestSerialsReadInBothTheirPrintedAndURLForms(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"BPSDM-JABAR/2026/000123", "BPSDM-JABAR/2026/000123"},
		{"BPSDM-JABAR-2026-000123", "BPSDM-JABAR/2026/000123"},
		{"bpsdm-jabar-2026-000123", "BPSDM-JABAR/2026/000123"},
		{"X-2026-000001", "X/2026/000001"},
	} {
		if got, err := ParseSerial(tc.in); got != tc.want || err != nil {
			t.Errorf("ParseSerial(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "BPSDM", "BPSDM-2026", "BPSDM/26/000001", "BPSDM/2026/12", "<script>/2026/000001", "BPSDM-JABAR/1999/000001"} {
		if _, err := ParseSerial(bad); !errors.Is(err, ErrMalformedSerial) {
			t.Errorf("ParseSerial(%q) = %v, want ErrMalformedSerial", bad, err)
		}
	}
}

func TestARevokedCertificateVerifiesAsRevokedWithItsReason(t *testing.T) {
	f := newFixture(t)
	c := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	holder := f.people[c.UserID]
	if _, err := f.svc.Revoke(asLearner(holder.ID), c.ID, "salah"); apperr.KindOf(err) != apperr.KindForbidden {
		t.Errorf("Revoke by the holder = %v, want forbidden", err)
	}
	if _, err := f.svc.Revoke(f.registrar(), c.ID, "Diterbitkan untuk kelas yang salah"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Revoke(f.registrar(), c.ID, "lagi"); !errors.Is(err, ErrRevoked) {
		t.Errorf("Revoke twice = %v, want ErrRevoked", err)
	}
	v, err := f.svc.Verify(context.Background(), c.Serial)
	if err != nil || v.Status != StatusRevoked || v.RevocationReason != "Diterbitkan untuk kelas yang salah" || v.RevokedAt == nil {
		t.Errorf("Verify(revoked) = %+v, %v", v, err)
	}
}

func TestAReissueSupersedesTheOldCertificateAndNamesIt(t *testing.T) {
	f := newFixture(t)
	old := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	c, err := f.svc.Reissue(f.registrar(), old.ID, "Nama salah eja")
	if err != nil {
		t.Fatal(err)
	}
	if c.ReplacesID == nil || *c.ReplacesID != old.ID || c.Serial == old.Serial {
		t.Errorf("Reissue = %+v, want a new serial replacing %s", c, old.ID)
	}
	v, err := f.svc.Verify(context.Background(), old.Serial)
	if err != nil || v.Status != StatusSuperseded || v.SupersededBy != c.Serial {
		t.Errorf("Verify(old) = %+v, %v; want superseded by %s", v, err, c.Serial)
	}
	nv, err := f.svc.Verify(context.Background(), c.Serial)
	if err != nil || nv.Facts.Replaces != old.Serial || !nv.SignatureValid {
		t.Errorf("Verify(new) = %+v, %v", nv, err)
	}
}

func TestCertificatesAboutToExpireRemindTheirHolderAndSupervisorOnce(t *testing.T) {
	f := newFixture(t)
	ctx := f.registrar()
	if _, err := f.svc.CreateTemplate(ctx, TemplateInput{OrgID: f.institute.ID, Name: "Berlaku 12 bulan", Orientation: Landscape,
		TitleID: "SERTIFIKAT", TitleEN: "CERTIFICATE", BodyID: "{learner} berlaku sampai {expires_on}", BodyEN: "{learner} until {expires_on}",
		ValidityMonths: 12, RecertificationURL: "https://corpu.example.go.id/paths/recert"}); err != nil {
		t.Fatal(err)
	}
	supervisor := Person{ID: uuid.Must(uuid.NewV7()), Name: "Kabid", Email: "kabid@example.go.id"}
	f.people[supervisor.ID] = supervisor
	comp := f.completed(t, "Budi", true)
	holder := f.people[comp.UserID]
	holder.SupervisorID = &supervisor.ID
	f.people[holder.ID] = holder
	c := f.issueOnCompletion(t, comp)
	if c.ExpiresAt == nil || !c.ExpiresAt.Equal(f.clock.AddDate(1, 0, 0)) {
		t.Fatalf("expires_at = %v, want a year after issue", c.ExpiresAt)
	}
	if n, err := f.svc.RemindExpiring(context.Background()); n != 0 || err != nil {
		t.Errorf("RemindExpiring a year ahead = %d, %v; want none", n, err)
	}
	f.clock = f.clock.AddDate(0, 11, 0)
	if n, err := f.svc.RemindExpiring(context.Background()); n != 1 || err != nil {
		t.Errorf("RemindExpiring a month ahead = %d, %v; want 1", n, err)
	}
	if n, err := f.svc.RemindExpiring(context.Background()); n != 0 || err != nil {
		t.Errorf("RemindExpiring again = %d, %v; want 0 (reminded once)", n, err)
	}
	var mails []string
	f.db.Conn(context.Background()).Table("outbox").Where("task_type = ?", TypeMail).Pluck("convert_from(payload, 'UTF8')::jsonb->>'to'", &mails)
	if len(mails) != 2 {
		t.Errorf("reminder mails to %v, want the holder and the supervisor", mails)
	}
	f.clock = f.clock.AddDate(0, 2, 0)
	if v, _ := f.svc.Verify(context.Background(), c.Serial); v.Status != StatusExpired {
		t.Errorf("status after expiry = %s, want expired", v.Status)
	}
}

func TestATemplateWithAnUnknownPlaceholderIsRefused(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.CreateTemplate(f.registrar(), TemplateInput{OrgID: f.institute.ID, Name: "Salah", Orientation: Portrait,
		TitleID: "SERTIFIKAT", TitleEN: "CERTIFICATE", BodyID: "{peserta} menyelesaikan {course}", BodyEN: "{learner}"})
	ae := apperr.As(err)
	if ae == nil || ae.Kind != apperr.KindInvalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "body_id" {
		t.Errorf("CreateTemplate(unknown placeholder) = %v, want invalid body_id", err)
	}
	var n int64
	f.db.Conn(context.Background()).Table("certificate_templates").Count(&n)
	if n != 0 {
		t.Errorf("%d templates written, want none", n)
	}
}

func TestABulkIssueKilledMidwayEndsWithNoDuplicateAndNoGap(t *testing.T) {
	f := newFixture(t)
	f.svc.bulkPage = 20
	const learners = 60
	for i := range learners {
		f.completed(t, "Peserta "+string(rune('A'+i%26)), true)
	}
	f.completed(t, "Belum selesai", false)
	killed, kill := context.WithCancel(context.Background())
	progress := 0
	_, err := f.svc.certifyClass(killed, f.class, nil, func(done, total int) error {
		progress = done
		kill() // the worker dies after its first page
		return nil
	})
	if err == nil && progress >= learners {
		t.Fatalf("the first run finished (%d) before it was killed", progress)
	}
	res, err := f.svc.certifyClass(context.Background(), f.class, nil, func(int, int) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	var total, distinct int64
	f.db.Conn(context.Background()).Raw(`SELECT count(*), count(DISTINCT enrolment_id) FROM certificates`).Row().Scan(&total, &distinct)
	if total != learners || distinct != learners || res.Total != learners {
		t.Errorf("after a kill and a rerun: %d certificates for %d enrolments (rerun saw %d), want %d each", total, distinct, res.Total, learners)
	}
	var serials int64
	f.db.Conn(context.Background()).Raw(`SELECT count(DISTINCT serial) FROM certificates`).Row().Scan(&serials)
	if serials != learners {
		t.Errorf("%d distinct serials, want %d", serials, learners)
	}
}

func TestAnInstituteSignsWithItsKeyFileAndARotatedFileKeepsOldCertificatesValid(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	f.svc.keys.files.dir = dir
	writeKey := func() string {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		file, err := os.Create(filepath.Join(dir, f.institute.Code+".pem"))
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		if err := token.WritePrivateKeyPEM(file, priv); err != nil {
			t.Fatal(err)
		}
		f.svc.keys.current = map[uuid.UUID]signingKey{} // as after currentTTL
		return keyID(pub)
	}
	first := writeKey()
	before := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	second := writeKey()
	after := f.issueOnCompletion(t, f.completed(t, "Rina", true))
	if before.KeyID != first || after.KeyID != second {
		t.Errorf("signed with %s then %s, want the files' keys %s then %s", before.KeyID, after.KeyID, first, second)
	}
	for _, c := range []Certificate{before, after} {
		if v, err := f.svc.Verify(context.Background(), c.Serial); err != nil || !v.SignatureValid {
			t.Errorf("Verify(%s) = %v, %v; want a valid signature", c.Serial, v.SignatureValid, err)
		}
	}
	if _, err := f.svc.RotateKey(f.registrar(), f.institute.ID); !errors.Is(err, ErrKeyIsAFile) {
		t.Errorf("RotateKey with a key file = %v, want ErrKeyIsAFile", err)
	}
}

func TestATemplateDrawsOnlyItsInstitutesCertificateImages(t *testing.T) {
	f := newFixture(t)
	ctx := f.registrar()
	logo, signature := f.addImage(t, f.institute.ID, true), f.addImage(t, f.institute.ID, true)
	in := TemplateInput{OrgID: f.institute.ID, Name: "Bergambar", Orientation: Landscape, TitleID: "SERTIFIKAT", TitleEN: "CERTIFICATE",
		BodyID: "{learner}", BodyEN: "{learner}", LogoFileID: &logo,
		Signatories: []Signatory{{Name: "Dr. Siti Rahma", Title: "Kepala BPSDM", SignatureFileID: &signature}}}
	for name, id := range map[string]uuid.UUID{
		"another institute's image":   f.addImage(t, f.owner.ID, true),
		"an image for something else": f.addImage(t, f.institute.ID, false),
		"no upload at all":            uuid.Must(uuid.NewV7()),
	} {
		bad := in
		bad.BackgroundFileID = &id
		if _, err := f.svc.CreateTemplate(ctx, bad); apperr.KindOf(err) != apperr.KindInvalid {
			t.Errorf("CreateTemplate with %s as background = %v, want invalid", name, err)
		}
	}
	if _, err := f.svc.CreateTemplate(ctx, in); err != nil {
		t.Fatal(err)
	}
	c := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	obj, err := f.objects.Open(context.Background(), c.PDFKey)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	pdf, _ := io.ReadAll(obj)
	// The QR code, the logo and the signature: three images.
	if n := bytes.Count(pdf, []byte("/Subtype /Image")); n != 3 {
		t.Errorf("the PDF holds %d images, want 3 (QR code, logo, signature)", n)
	}
}

func TestOneEnrolmentThatCannotBeCertifiedDoesNotStopTheOthers(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		f.completed(t, "Peserta", true)
	}
	broken := f.completed(t, "Tanpa data", true)
	delete(f.people, broken.UserID) // the learner cannot be found
	res, err := f.svc.certifyClass(context.Background(), f.class, nil, func(int, int) error { return nil })
	if err == nil || res.Issued != 5 {
		t.Errorf("certifyClass = %+v, %v; want the 5 others issued and the failure reported", res, err)
	}
}

func TestTheSweepIssuesWhatALostCompletionTaskMissed(t *testing.T) {
	f := newFixture(t)
	done := f.issueOnCompletion(t, f.completed(t, "Budi", true))
	lost := f.completed(t, "Rina", true) // its completion task never ran
	f.completed(t, "Belum", false)
	n, err := f.svc.IssueMissed(context.Background(), f.clock.Add(-missedWindow))
	if err != nil || n != 1 {
		t.Fatalf("IssueMissed = %d, %v; want the one lost completion", n, err)
	}
	if c, err := f.svc.store.ofEnrolment(context.Background(), lost.EnrolmentID); err != nil || c.ID == done.ID {
		t.Errorf("the lost completion's certificate = %v, %v", c.Serial, err)
	}
	if n, err := f.svc.IssueMissed(context.Background(), f.clock.Add(-missedWindow)); err != nil || n != 0 {
		t.Errorf("IssueMissed again = %d, %v; want nothing more", n, err)
	}
}

// A registrar who is also the learner does not issue, revoke or re-issue
// their own certificate: a second person is the point of each.
func TestNoRegistrarIssuesRevokesOrReissuesTheirOwnCertificate(t *testing.T) {
	f := newFixture(t)
	registrar := f.registrar()
	me, err := authz.ActorFrom(registrar)
	if err != nil {
		t.Fatal(err)
	}
	mine := f.completed(t, "Rina", true)
	mine.UserID = me.UserID
	f.people[me.UserID] = f.people[f.completed(t, "Rina", true).UserID]
	f.enrolments.add(mine)
	if _, err := f.svc.Issue(registrar, mine.EnrolmentID, "Tidak terbit otomatis"); !errors.Is(err, ErrOwnCertificate) {
		t.Errorf("Issue of one's own = %v, want ErrOwnCertificate", err)
	}
	c := f.issueOnCompletion(t, mine)
	for name, act := range map[string]func() error{
		"revoke":  func() error { _, err := f.svc.Revoke(registrar, c.ID, "salah"); return err },
		"reissue": func() error { _, err := f.svc.Reissue(registrar, c.ID, "Nama salah eja"); return err },
	} {
		if err := act(); !errors.Is(err, ErrOwnCertificate) {
			t.Errorf("%s of one's own = %v, want ErrOwnCertificate", name, err)
		}
	}
	if v, err := f.svc.Verify(context.Background(), c.Serial); err != nil || v.Status != StatusValid {
		t.Errorf("Verify after the refusals = %+v, %v; want the certificate still valid", v, err)
	}
}
