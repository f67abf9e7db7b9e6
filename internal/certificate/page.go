package certificate

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
)

//go:embed verify.html
var verifyHTML string

// pageRenderer renders the public verification page, self-contained (no
// external assets), in Indonesian or English.
type pageRenderer struct{ tmpl *template.Template }

func newPageRenderer() *pageRenderer {
	return &pageRenderer{tmpl: template.Must(template.New("verify").Parse(verifyHTML))}
}

// pageText is the page's wording in one language.
type pageText struct {
	Lang, Title, Valid, Revoked, Expired, Superseded, Unknown, Malformed                 string
	Serial, Learner, NIP, Course, Institute, Owner, Completed, Issued, Expires, Grade    string
	Signature, SignatureOK, SignatureBad, RevokedOn, Reason, ReplacedBy, CheckPDF, Hours string
}

var pageTexts = map[string]pageText{
	"id": {Lang: "id", Title: "Verifikasi Sertifikat", Valid: "SAH — sertifikat ini asli dan berlaku.",
		Revoked: "DICABUT — sertifikat ini tidak berlaku lagi.", Expired: "KEDALUWARSA — masa berlaku sertifikat ini sudah habis.",
		Superseded: "DIGANTI — sertifikat ini diganti dengan terbitan perbaikan.", Unknown: "TIDAK DIKENAL — tidak ada sertifikat dengan nomor ini.",
		Malformed: "Nomor sertifikat tidak sah. Bentuknya KODE-LEMBAGA/TAHUN/NOMOR.", Serial: "Nomor", Learner: "Nama", NIP: "NIP",
		Course: "Pelatihan", Institute: "Penyelenggara", Owner: "Pemilik program", Completed: "Selesai", Issued: "Diterbitkan",
		Expires: "Berlaku sampai", Grade: "Nilai akhir", Signature: "Tanda tangan digital", SignatureOK: "cocok dengan kunci lembaga",
		SignatureBad: "TIDAK cocok — data sertifikat telah diubah", RevokedOn: "Dicabut pada", Reason: "Alasan",
		ReplacedBy: "Diganti oleh", CheckPDF: "Periksa berkas PDF: kirim ke POST /api/v1/verify/{nomor}/pdf", Hours: "JP"},
	"en": {Lang: "en", Title: "Certificate Verification", Valid: "VALID — this certificate is genuine and in force.",
		Revoked: "REVOKED — this certificate is no longer valid.", Expired: "EXPIRED — this certificate's validity has ended.",
		Superseded: "SUPERSEDED — this certificate was replaced by a corrected issue.", Unknown: "UNKNOWN — there is no certificate with this number.",
		Malformed: "The certificate number is malformed. It reads INSTITUTE-CODE/YEAR/NUMBER.", Serial: "Number", Learner: "Name", NIP: "NIP",
		Course: "Training", Institute: "Held by", Owner: "Programme owner", Completed: "Completed", Issued: "Issued",
		Expires: "Valid until", Grade: "Final grade", Signature: "Digital signature", SignatureOK: "matches the institute's key",
		SignatureBad: "does NOT match — the certificate's data was altered", RevokedOn: "Revoked on", Reason: "Reason",
		ReplacedBy: "Replaced by", CheckPDF: "Check a PDF file: send it to POST /api/v1/verify/{number}/pdf", Hours: "training hours"},
}

type pageData struct {
	T       pageText
	Asked   string
	Found   bool
	Verdict string
	Tone    string // valid, bad
	V       Verification
	JP      string
	Grade   string
}

func (p *pageRenderer) render(lang, asked string, v Verification, status int) ([]byte, error) {
	t, ok := pageTexts[lang]
	if !ok {
		t = pageTexts["id"]
	}
	d := pageData{T: t, Asked: asked, V: v, Tone: "bad"}
	switch {
	case status == http.StatusBadRequest:
		d.Verdict = t.Malformed
	case status == http.StatusNotFound:
		d.Verdict = t.Unknown
	default:
		d.Found = true
		d.JP = strconv.FormatFloat(v.Facts.Course.JP, 'f', -1, 64)
		if v.Facts.Grade != nil {
			d.Grade = strconv.FormatFloat(*v.Facts.Grade, 'f', 1, 64)
		}
		d.Verdict = map[Status]string{StatusValid: t.Valid, StatusRevoked: t.Revoked, StatusExpired: t.Expired, StatusSuperseded: t.Superseded}[v.Status]
		if v.Status == StatusValid && v.SignatureValid {
			d.Tone = "valid"
		}
	}
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("render verification page: %w", err)
	}
	return buf.Bytes(), nil
}
