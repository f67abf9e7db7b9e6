package app

import (
	"fmt"
	"sync"
	"testing"
)

// certificateWorld is what the tenancy matrix needs of certificates: Budi's
// enrolment in a class of BPSDM Jawa Barat, completed, with the certificate
// the platform admin issued for it (no worker runs in the matrix); a second
// one that the revocation and the re-issue change, in whichever order they
// run; and a template of the institute.
type certificateWorld struct {
	class, enrolment, certificate, changed, template string
}

var certificateWorldOnce sync.Mutex

// certificates builds the certificate world on first use.
func (w *world) certificates(t *testing.T) *certificateWorld {
	t.Helper()
	certificateWorldOnce.Lock()
	defer certificateWorldOnce.Unlock()
	if w.certs != nil {
		return w.certs
	}
	cw := &certificateWorld{class: w.newClass(t, "open")}
	cw.enrolment, cw.certificate = w.certifiedEnrolment(t, cw.class)
	_, cw.changed = w.certifiedEnrolment(t, w.newClass(t, "open"))
	var tmpl idResponse
	w.must(t, w.as[mAdmin], "POST", "/api/v1/organizations/"+w.bpsdmJabar+"/certificate-templates", certificateTemplate("Bawaan"), &tmpl, 201)
	cw.template = tmpl.ID
	w.certs = cw
	return cw
}

// certifiedEnrolment is Budi's enrolment in the class, completed, and its certificate.
func (w *world) certifiedEnrolment(t *testing.T, class string) (enrolment, certificate string) {
	t.Helper()
	var e, cert idResponse
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+class+"/enrolments", nil, &e, 201)
	for _, item := range []string{w.docItem, w.textItem} {
		w.must(t, w.as[mLearner], "POST", "/api/v1/enrolments/"+e.ID+"/progress", map[string]any{"item_id": item, "event": "viewed"}, nil, 200)
	}
	w.must(t, w.as[mAdmin], "POST", "/api/v1/certificates", map[string]any{"enrolment_id": e.ID, "reason": "Matriks"}, &cert, 201)
	return e.ID, cert.ID
}

func certificateTemplate(name string) map[string]any {
	return map[string]any{"name": name, "orientation": "landscape", "title_id": "SERTIFIKAT", "title_en": "CERTIFICATE",
		"body_id": "Diberikan kepada {learner} atas {course} ({jp} JP).", "body_en": "Awarded to {learner} for {course}.",
		"signatories": []map[string]any{{"name": "Dr. Siti Rahma", "title": "Kepala BPSDM"}}, "validity_months": 24}
}

func (w *world) certificateCall(method string, path func(*certificateWorld) string, body any) func(*testing.T, string) call {
	return func(t *testing.T, _ string) call {
		return call{method: method, path: path(w.certificates(t)), body: body}
	}
}

// certificateMatrix is the certificate rows. Only the platform admin among
// the matrix's actors issues for BPSDM Jawa Barat (registrars do, and are
// not actors here); staff who see the institute are forbidden, others are
// told nothing exists. A certificate is read by its holder (Budi) and its
// issuers only: it is a personal document, not the class's.
func (w *world) certificateMatrix() map[string]matrixCase {
	seesInstitute := is(mAdmin, ok, mOrgAdmin, forbidden, mInstructor, forbidden, mToken, forbidden)
	holderOrIssuer := is(mAdmin, ok, mLearner, ok)
	holderForbidden := is(mAdmin, ok, mLearner, forbidden)
	orgPath := func(rest string) func(*certificateWorld) string {
		return func(*certificateWorld) string { return "/api/v1/organizations/" + w.bpsdmJabar + rest }
	}
	certPath := func(rest string) func(*certificateWorld) string {
		return func(c *certificateWorld) string { return "/api/v1/certificates/" + c.certificate + rest }
	}
	changedPath := func(rest string) func(*certificateWorld) string {
		return func(c *certificateWorld) string { return "/api/v1/certificates/" + c.changed + rest }
	}
	templatePath := func(c *certificateWorld) string { return "/api/v1/certificate-templates/" + c.template }
	return map[string]matrixCase{
		"listMyCertificates": {build: w.certificateCall("GET", func(*certificateWorld) string { return "/api/v1/me/certificates" }, nil),
			want: want(ok, is(mToken, forbidden))},
		// The enrolment is certified already: the admin reaches the 409.
		"issueCertificate": {build: func(t *testing.T, _ string) call {
			return call{method: "POST", path: "/api/v1/certificates", body: map[string]any{"enrolment_id": w.certificates(t).enrolment, "reason": "Ulang"}}
		},
			want: want(hidden, is(mAdmin, allowed, mOrgAdmin, forbidden, mInstructor, forbidden, mToken, forbidden))},
		"getCertificate":           {build: w.certificateCall("GET", certPath(""), nil), want: want(hidden, holderOrIssuer)},
		"downloadCertificate":      {build: w.certificateCall("GET", certPath("/download"), nil), want: want(hidden, holderOrIssuer)},
		"getCertificateCredential": {build: w.certificateCall("GET", certPath("/credential"), nil), want: want(hidden, holderOrIssuer)},
		// These change the second certificate: the admin's re-issue or revocation,
		// whichever runs first, leaves the other one allowed.
		"reissueCertificate": {build: w.certificateCall("POST", changedPath("/reissue"), map[string]any{"reason": "Nama salah eja"}),
			want: want(hidden, holderForbidden)},
		"revokeCertificate": {build: w.certificateCall("POST", changedPath("/revoke"), map[string]any{"reason": "Salah kelas"}),
			want: want(hidden, is(mAdmin, allowed, mLearner, forbidden))},
		"issueClassCertificates": {build: w.certificateCall("POST", func(c *certificateWorld) string { return "/api/v1/classes/" + c.class + "/certificates" }, nil),
			want: want(hidden, seesInstitute)},
		"listExpiringCertificates": {build: w.certificateCall("GET", orgPath("/certificates/expiring?within_days=800"), nil),
			// 800 days is out of range: the admin reaches the 422, everyone else the access check first.
			want: want(hidden, is(mAdmin, badRef, mOrgAdmin, forbidden, mInstructor, forbidden, mToken, forbidden))},
		"rotateCertificateKey":     {build: w.certificateCall("POST", orgPath("/certificate-keys/rotate"), nil), want: want(hidden, seesInstitute)},
		"listCertificateTemplates": {build: w.certificateCall("GET", orgPath("/certificate-templates"), nil), want: want(hidden, seesInstitute)},
		"createCertificateTemplate": {build: func(t *testing.T, _ string) call {
			return call{method: "POST", path: orgPath("/certificate-templates")(w.certificates(t)), body: certificateTemplate(fmt.Sprintf("Templat %d", w.seq()))}
		}, want: want(hidden, seesInstitute)},
		"getCertificateTemplate":    {build: w.certificateCall("GET", templatePath, nil), want: want(hidden, seesInstitute)},
		"updateCertificateTemplate": {build: w.certificateCall("PUT", templatePath, certificateTemplate("Diperbarui")), want: want(hidden, seesInstitute)},
		"deleteCertificateTemplate": {build: func(t *testing.T, actor string) call {
			// A fresh template per actor, so that the admin's delete leaves the others one to reach.
			var tmpl idResponse
			w.must(t, w.as[mAdmin], "POST", orgPath("/certificate-templates")(w.certificates(t)), certificateTemplate(fmt.Sprintf("Hapus %d", w.seq())), &tmpl, 201)
			return call{method: "DELETE", path: "/api/v1/certificate-templates/" + tmpl.ID}
		}, want: want(hidden, seesInstitute)},
	}
}
