package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTheCertificateVerificationAnswersWithoutSignIn(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	anyone := anonymous(t, srv)
	for _, tc := range []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"an unknown serial", "GET", "/api/v1/verify/BPSDM-JABAR-2026-999999", nil, http.StatusNotFound},
		{"a malformed serial", "GET", "/api/v1/verify/not-a-serial", nil, http.StatusBadRequest},
		{"a PDF digest of an unknown serial", "POST", "/api/v1/verify/BPSDM-JABAR-2026-999999/pdf",
			map[string]string{"sha256": strings.Repeat("ab", 32)}, http.StatusNotFound},
		{"a malformed digest", "POST", "/api/v1/verify/BPSDM-JABAR-2026-999999/pdf", map[string]string{"sha256": "abc"}, http.StatusUnprocessableEntity},
	} {
		if got := anyone.do(tc.method, tc.path, tc.body, nil); got != tc.want {
			t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, got, tc.want)
		}
	}
	for _, tc := range []struct{ lang, want string }{{"id", "TIDAK DIKENAL"}, {"en", "UNKNOWN"}} {
		req, _ := http.NewRequest("GET", srv.URL+"/verify/BPSDM-JABAR-2026-999999", nil)
		req.Header.Set("Accept-Language", tc.lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), tc.want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("page in %s = %d %s, want 404 HTML saying %q", tc.lang, resp.StatusCode, resp.Header.Get("Content-Type"), tc.want)
		}
	}
}

// readAll fetches url and returns the body.
func readAll(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestACompletedClassGetsItsCertificateFromTheWorkerAndAnyoneVerifiesIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	budi := w.as[mLearner]
	class := w.newClass(t, "open")
	var e idResponse
	w.must(t, budi, "POST", "/api/v1/classes/"+class+"/enrolments", nil, &e, 201)
	for _, item := range []string{w.docItem, w.textItem} {
		w.must(t, budi, "POST", "/api/v1/enrolments/"+e.ID+"/progress", map[string]any{"item_id": item, "event": "viewed"}, nil, 200)
	}
	completed := time.Now()
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.srv.App.RunWorker(ctx) }()
	t.Cleanup(func() { stop(); <-stopped })

	var mine struct {
		Items []struct {
			ID, Serial, Status string
			VerifyURL          string `json:"verify_url"`
			PDFSHA256          string `json:"pdf_sha256"`
		} `json:"items"`
	}
	for budi.do("GET", "/api/v1/me/certificates", nil, &mine); len(mine.Items) == 0; budi.do("GET", "/api/v1/me/certificates", nil, &mine) {
		if time.Since(completed) > 15*time.Second {
			t.Fatal("no certificate 15 s after the completion")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("completion to downloadable certificate: %s", time.Since(completed))
	cert := mine.Items[0]
	if !strings.HasPrefix(cert.Serial, "BPSDM-JABAR/") || cert.Status != "valid" {
		t.Errorf("certificate = %+v, want a valid BPSDM-JABAR serial", cert)
	}
	var link struct{ URL string }
	w.must(t, budi, "GET", "/api/v1/certificates/"+cert.ID+"/download", nil, &link, 200)
	req, _ := http.NewRequest("GET", link.URL, nil)
	status, pdf := readAll(t, req)
	if sum := sha256.Sum256(pdf); status != 200 || hex.EncodeToString(sum[:]) != cert.PDFSHA256 {
		t.Fatalf("download = %d, %d bytes; want the PDF of sha256 %s", status, len(pdf), cert.PDFSHA256)
	}

	dashed := strings.ReplaceAll(cert.Serial, "/", "-")
	escaped := url.PathEscape(cert.Serial)
	anyone := anonymous(t, w.srv)
	for _, form := range []string{dashed, escaped} {
		var v struct {
			Status         string `json:"status"`
			SignatureValid bool   `json:"signature_valid"`
		}
		if s := anyone.do("GET", "/api/v1/verify/"+form, nil, &v); s != 200 || v.Status != "valid" || !v.SignatureValid {
			t.Errorf("verify %s without sign-in = %d %+v, want valid and signed", form, s, v)
		}
	}
	page, _ := http.NewRequest("GET", w.srv.URL+"/verify/"+dashed, nil)
	page.Header.Set("Accept-Language", "id")
	if s, body := readAll(t, page); s != 200 || !strings.Contains(string(body), "SAH") || !strings.Contains(string(body), cert.Serial) {
		t.Errorf("verification page = %d, want 200 saying SAH with the serial", s)
	}
	tampered := append([]byte{}, pdf...)
	tampered[len(tampered)/2] ^= 1
	for _, tc := range []struct {
		name     string
		body     []byte
		original bool
	}{{"the original", pdf, true}, {"a PDF with one byte changed", tampered, false}} {
		req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/verify/"+dashed+"/pdf", bytes.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/pdf")
		status, body := readAll(t, req)
		var got struct{ Original bool }
		if err := json.Unmarshal(body, &got); status != 200 || err != nil || got.Original != tc.original {
			t.Errorf("check %s = %d %s, want original %v", tc.name, status, body, tc.original)
		}
	}
	if s := anyone.do("GET", "/api/v1/issuers/"+w.bpsdmJabar+"/jwks.json", nil, nil); s != 200 {
		t.Errorf("the institute's JWKS = %d, want 200", s)
	}
}

func TestCertificateTemplatesRefuseUnknownPlaceholdersAndStaleUpdates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.clients["platform admin"]
	templates := "/api/v1/organizations/" + f.org["BPSDM-JABAR"] + "/certificate-templates"
	bad := certificateTemplate("Salah")
	bad["body_id"] = "Diberikan kepada {peserta}."
	if s := admin.do("POST", templates, bad, nil); s != http.StatusUnprocessableEntity {
		t.Errorf("a template with an unknown placeholder = %d, want 422", s)
	}
	var list struct{ Items []idResponse }
	if s := admin.do("GET", templates, nil, &list); s != 200 || len(list.Items) != 0 {
		t.Errorf("templates after the refusal = %d %v, want none written", s, list.Items)
	}
	var created idResponse
	if s := admin.do("POST", templates, certificateTemplate("Bawaan"), &created); s != http.StatusCreated {
		t.Fatalf("create template = %d", s)
	}
	path := "/api/v1/certificate-templates/" + created.ID
	for _, tc := range []struct {
		ifMatch string
		want    int
	}{{`"7"`, http.StatusPreconditionFailed}, {`"1"`, http.StatusOK}, {`"1"`, http.StatusPreconditionFailed}} {
		if s := admin.doWith(map[string]string{"If-Match": tc.ifMatch}, "PUT", path, certificateTemplate("Diperbarui"), nil); s != tc.want {
			t.Errorf("PUT with If-Match %s = %d, want %d", tc.ifMatch, s, tc.want)
		}
	}
}
