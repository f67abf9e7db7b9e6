package certificate

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
)

func TestAClassCertificatesAreListedToItsInstitutesIssuersOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	budi := f.issueOnCompletion(t, f.completed(t, "Budi Santoso", true))
	rina := f.issueOnCompletion(t, f.completed(t, "Rina Marlina", true))
	other := f.addOrg(t, "BPSDM-JATIM", "BPSDM Provinsi Jawa Timur")
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		want   int
		refuse error
	}{
		{"a registrar of the institute", f.registrar(), 2, nil},
		{"the holder of one of them", asLearner(budi.UserID), 0, ErrClassNotFound},
		{"a registrar of another institute", authz.WithActor(context.Background(), &authz.Actor{UserID: uuid.Must(uuid.NewV7()),
			Grants: []authz.Grant{{Role: authz.RoleRegistrar, OrgID: other.ID, OrgPath: other.Path}}}), 0, ErrClassNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.svc.ClassCertificates(tc.ctx, f.class)
			if !errors.Is(err, tc.refuse) || len(got) != tc.want {
				t.Fatalf("ClassCertificates = %d, %v; want %d, %v", len(got), err, tc.want, tc.refuse)
			}
			if tc.want == 2 && (got[0].Serial > got[1].Serial || FactsOf(got[0]).Learner != "Budi Santoso" || got[1].ID != rina.ID) {
				t.Errorf("listed %s, %s; want both by serial with their names", got[0].Serial, got[1].Serial)
			}
		})
	}
	if _, err := f.svc.ClassCertificates(f.registrar(), uuid.Must(uuid.NewV7())); !errors.Is(err, ErrClassNotFound) {
		t.Errorf("an unknown class = %v, want ErrClassNotFound", err)
	}
}

func TestATemplatePreviewFillsEveryPlaceholderItKnows(t *testing.T) {
	t.Parallel()
	p := preview(Template{TitleID: "SERTIFIKAT {serial}", TitleEN: "CERTIFICATE", BodyID: "{learner} ({nip}) — {course}, {jp} JP, {completed_on}",
		BodyEN: "{learner} completed {course} on {completed_on}"})
	if p.TitleID != "SERTIFIKAT BPSDM-CONTOH/2026/000123" || p.BodyID != "Budi Santoso (199204172019031004) — Etika dan Integritas ASN, 24 JP, 17 Agustus 2026" ||
		p.BodyEN != "Budi Santoso completed Etika dan Integritas ASN on 17 August 2026" {
		t.Errorf("preview = %+v", p)
	}
}
