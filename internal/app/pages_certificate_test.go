package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestALearnerDownloadsAndSharesTheirCertificateAndAnyoneVerifiesIt(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	hendra := newBrowser(t, srv)
	hendra.signIn("kabid@diskominfo.bandung.go.id")
	s, _, body := hendra.get("/my/certificates")
	if s != http.StatusOK || !strings.Contains(body, "Etika dan Integritas ASN") || !strings.Contains(body, "badge-valid") {
		t.Fatalf("my certificates = %d, want the demo certificate, valid: %s", s, body)
	}
	share := firstMatch(t, `id="share-[0-9a-f-]+" value="([^"]+)"`, body)
	download := firstMatch(t, `href="(/certificates/[0-9a-f-]+/download)"`, body)
	if !strings.HasPrefix(share, srv.App.deps.Config.HTTP.PublicURL+"/verify/BPSDM-JABAR-") {
		t.Errorf("share link = %s, want the public verification page", share)
	}
	if s, path, pdf := hendra.get(download); s != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") || strings.HasPrefix(path, "/certificates/") {
		t.Errorf("download = %d at %s, want the PDF from the object store", s, path)
	}
	verifyPath := share[strings.Index(share, "/verify/"):]
	for _, tc := range []struct{ lang, want string }{{"id", "SAH"}, {"en", "VALID"}} {
		anyone := newBrowser(t, srv)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+verifyPath, nil)
		req.Header.Set("Accept-Language", tc.lang)
		s, _, body := anyone.send(req)
		if s != http.StatusOK || !strings.Contains(body, `data-status="valid"`) || !strings.Contains(body, tc.want) || !strings.Contains(body, "Hendra Wijaya") ||
			!strings.Contains(body, `href="/static/corpu.css"`) {
			t.Errorf("the verification page in %s without a session = %d, want it valid on the site's layout: %s", tc.lang, s, body)
		}
		if !regexp.MustCompile(`</dt><dd>\d{2}-\d{2}-\d{4}</dd>\s*<dt>(Diterbitkan|Issued)`).MatchString(body) {
			t.Errorf("the completion date is not written as the pages write dates: %s", body)
		}
	}
	// Another learner neither downloads it nor lists it.
	budi := newBrowser(t, srv)
	budi.signIn("budi@diskominfo.bandung.go.id")
	if s, _, _ := budi.get(download); s != http.StatusNotFound {
		t.Errorf("another learner's download = %d, want 404", s)
	}
	if _, _, body := budi.get("/my/certificates"); strings.Contains(body, "Etika dan Integritas ASN") {
		t.Errorf("another learner lists Hendra's certificate: %s", body)
	}
	if s, _, body := newBrowser(t, srv).get("/verify/not-a-serial"); s != http.StatusBadRequest || !strings.Contains(body, `data-status="malformed"`) {
		t.Errorf("a malformed serial = %d, want 400 saying so: %s", s, body)
	}
}

func TestARegistrarRevokesAndReissuesInThePagesAndTheVerificationPageFollows(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	registrar := newBrowser(t, srv)
	registrar.signIn("registrar@bpsdm.jabarprov.go.id")
	s, _, body := registrar.get("/institute/certificates")
	if s != http.StatusOK {
		t.Fatalf("institute certificates = %d: %s", s, body)
	}
	classPage := firstMatch(t, `href="(/institute/classes/[0-9a-f-]+/certificates)">Etika`, body)
	_, _, body = registrar.get(classPage)
	revoke := firstMatch(t, `action="(/institute/certificates/[0-9a-f-]+/revoke)"`, body)
	reissue := strings.TrimSuffix(revoke, "/revoke") + "/reissue"
	verifyPath := firstMatch(t, `<td><a href="https?://[^/]+(/verify/[^"]+)">`, body)

	// Another institute's staff and a learner elsewhere see no such class.
	for _, login := range []string{"instruktur@bpsdm.kemendagri.go.id", "fajar@bappeda.sidoarjokab.go.id"} {
		other := newBrowser(t, srv)
		other.signIn(login)
		if s, _, _ := other.get(classPage); s != http.StatusNotFound {
			t.Errorf("%s opening the class's certificates = %d, want 404", login, s)
		}
		if s, _, _ := other.post(revoke, url.Values{"reason": {"iseng"}}); s != http.StatusNotFound {
			t.Errorf("%s revoking = %d, want 404", login, s)
		}
	}
	if s, _, _ := registrar.post(revoke, url.Values{"reason": {"tanpa token"}, "csrf_token": {"forged-token-forged-token-forged-token-00"}}); s != http.StatusForbidden {
		t.Errorf("a revocation without the CSRF token = %d, want 403", s)
	}
	// The holder cannot revoke their own.
	hendra := newBrowser(t, srv)
	hendra.signIn("kabid@diskominfo.bandung.go.id")
	if s, _, _ := hendra.post(revoke, url.Values{"reason": {"sendiri"}}); s != http.StatusForbidden {
		t.Errorf("the holder revoking = %d, want 403", s)
	}
	registrar.get(classPage)
	s, _, body = registrar.post(revoke, url.Values{"reason": {"  "}})
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `-error">Alasan wajib diisi`) || !strings.Contains(body, "<details open>") {
		t.Fatalf("a revocation without a reason = %d, want the error next to the reason: %s", s, body)
	}
	if s, _, body = registrar.post(reissue, url.Values{"reason": {"Nama salah eja"}}); s != http.StatusOK || !strings.Contains(body, "badge-superseded") {
		t.Fatalf("re-issue = %d, want the old one superseded: %s", s, body)
	}
	if _, _, body := newBrowser(t, srv).get(verifyPath); !strings.Contains(body, `data-status="superseded"`) {
		t.Errorf("the old serial after re-issue: %s", body)
	}
	newVerify := firstMatch(t, `<td><a href="https?://[^/]+(/verify/[^"]+)">[^<]+</a></td>\s*<td>Hendra Wijaya[^<]*<span class="meta">[0-9]+</span></td>\s*<td><span class="badge badge-valid">`, body)
	newRevoke := firstMatch(t, `action="(/institute/certificates/[0-9a-f-]+/revoke)"`, body)
	if s, _, body = registrar.post(newRevoke, url.Values{"reason": {"Data kelulusan keliru"}}); s != http.StatusOK || !strings.Contains(body, "Data kelulusan keliru") {
		t.Fatalf("revoke = %d, want it revoked with its reason: %s", s, body)
	}
	if s, _, body := newBrowser(t, srv).get(newVerify); s != http.StatusOK || !strings.Contains(body, `data-status="revoked"`) || !strings.Contains(body, "Data kelulusan keliru") {
		t.Errorf("the revoked certificate's page = %d, want it revoked with the reason: %s", s, body)
	}
	// A bulk issue starts a job the class page follows.
	if s, path, body := registrar.post(strings.TrimSuffix(classPage, "/certificates")+"/certificates/issue", nil); s != http.StatusOK || !strings.Contains(path, "?job=") || !strings.Contains(body, "data-job=") && !strings.Contains(body, `id="bulk-result"`) {
		t.Errorf("bulk issue = %d at %s, want the class page following the job: %s", s, path, body)
	}
}

func TestARegistrarWritesATemplateWithPlaceholdersAndSeesItsPreview(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.App.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	registrar := newBrowser(t, srv)
	registrar.signIn("registrar@bpsdm.jabarprov.go.id")
	_, _, body := registrar.get("/institute/certificates")
	newForm := firstMatch(t, `href="(/institute/[0-9a-f-]+/certificate-templates/new)"`, body)
	_, _, body = registrar.get(newForm)
	action := firstMatch(t, `<form method="post" action="(/institute/[0-9a-f-]+/certificate-templates)"`, body)
	form := url.Values{"name": {"Templat Jabar"}, "orientation": {"landscape"}, "title_id": {"SERTIFIKAT"}, "title_en": {"CERTIFICATE"},
		"body_id": {"Diberikan kepada {learner} atas {pelatihan}"}, "body_en": {"Awarded to {learner} for {course}"},
		"signatories": {"Dr. Ani | Kepala BPSDM"}, "validity_months": {"dua"}}
	s, _, body := registrar.post(action, form)
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="validity_months-error"`) || !strings.Contains(body, `value="dua"`) {
		t.Fatalf("a template with a word for its validity = %d, want the error next to it and the typed value kept: %s", s, body)
	}
	form.Set("validity_months", "24")
	s, _, body = registrar.post(action, form)
	if s != http.StatusUnprocessableEntity || !strings.Contains(body, `id="body_id-error">Tempat isian tidak dikenal: {pelatihan}`) || !strings.Contains(body, "Diberikan kepada {learner} atas {pelatihan}") {
		t.Fatalf("an unknown placeholder = %d, want the error next to the body: %s", s, body)
	}
	form.Set("body_id", "Diberikan kepada {learner} atas pelatihan {course} ({jp} JP)")
	s, path, body := registrar.post(action, form)
	if s != http.StatusOK || !strings.HasPrefix(path, "/institute/certificate-templates/") || !strings.Contains(body, "Diberikan kepada Budi Santoso atas pelatihan Etika dan Integritas ASN (24 JP)") {
		t.Fatalf("a valid template = %d at %s, want its page with the preview: %s", s, path, body)
	}
	edit := strings.TrimSuffix(path, "?saved=1")
	form.Set("name", "Templat Jabar 2026")
	form.Set("revision", "1")
	if s, _, body := registrar.post(edit, form); s != http.StatusOK || !strings.Contains(body, "Templat Jabar 2026") || !strings.Contains(body, `name="revision" value="2"`) {
		t.Errorf("an edit = %d, want the new name and revision: %s", s, body)
	}
	if s, _, body := registrar.post(edit, form); s != http.StatusPreconditionFailed || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "Templat Jabar 2026") {
		t.Errorf("an edit of a stale revision = %d, want the form with why: %s", s, body)
	}
	other := newBrowser(t, srv)
	other.signIn("fajar@bappeda.sidoarjokab.go.id")
	if s, _, _ := other.get(edit); s != http.StatusNotFound {
		t.Errorf("another institute opening the template = %d, want 404", s)
	}
	form.Del("csrf_token") // the registrar's
	if s, _, _ := other.post(action, form); s != http.StatusNotFound {
		t.Errorf("another institute creating a template here = %d, want 404", s)
	}
}
