// Package certificate issues, renders, signs, verifies and revokes training
// certificates: one per completed enrolment, numbered per institute and
// year, signed with the institute's Ed25519 key, rendered as a PDF with a QR
// code to the public verification page, and exported as an Open Badges 3.0
// credential.
package certificate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Source says how a certificate came to be.
type Source string

// The sources of a certificate.
const (
	SourceCompletion Source = "completion" // the completion event of the enrolment
	SourceBulk       Source = "bulk"       // a registrar's bulk issue for a class
	SourceManual     Source = "manual"     // a registrar's manual issue, with a reason
	SourceReissue    Source = "reissue"    // a correction of an earlier certificate
)

// Certificate is an issued certificate.
type Certificate struct {
	ID               uuid.UUID
	Serial           string
	OrgID            uuid.UUID // the institute that ran the class and signs
	EnrolmentID      uuid.UUID
	ClassID          uuid.UUID
	CourseID         uuid.UUID
	UserID           uuid.UUID
	TemplateID       *uuid.UUID
	Source           Source
	Reason           string
	Facts            []byte // the canonical JSON signed, byte for byte
	KeyID            string
	Signature        string // base64url Ed25519 signature of Facts
	PDFKey           string
	PDFSHA256        string
	IssuedBy         *uuid.UUID
	IssuedAt         time.Time
	ExpiresAt        *time.Time
	RevokedAt        *time.Time
	RevokedBy        *uuid.UUID
	RevocationReason string
	ReplacesID       *uuid.UUID
	SupersededBy     *uuid.UUID
	RemindedAt       *time.Time
}

// Status is what a verifier is told about a certificate.
type Status string

// The statuses of a certificate at a moment.
const (
	StatusValid      Status = "valid"
	StatusRevoked    Status = "revoked"
	StatusExpired    Status = "expired"
	StatusSuperseded Status = "superseded" // replaced by a corrected certificate
)

// StatusAt is the certificate's status at now.
func (c Certificate) StatusAt(now time.Time) Status {
	switch {
	case c.RevokedAt != nil:
		return StatusRevoked
	case c.SupersededBy != nil:
		return StatusSuperseded
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return StatusExpired
	}
	return StatusValid
}

// The errors of the certificate domain.
var (
	ErrNotFound = apperr.New(apperr.KindNotFound, "certificate.not_found",
		"Sertifikat tidak ditemukan.", "Certificate not found.")
	ErrTemplateNotFound = apperr.New(apperr.KindNotFound, "certificate.template_not_found",
		"Templat sertifikat tidak ditemukan.", "Certificate template not found.")
	ErrEnrolmentNotFound = apperr.New(apperr.KindNotFound, "certificate.enrolment_not_found",
		"Pendaftaran tidak ditemukan.", "Enrolment not found.")
	ErrClassNotFound = apperr.New(apperr.KindNotFound, "certificate.class_not_found",
		"Kelas tidak ditemukan.", "Class not found.")
	ErrNotCompleted = apperr.New(apperr.KindInvalid, "certificate.enrolment_not_completed",
		"Pendaftaran ini belum selesai; sertifikat belum dapat diterbitkan.",
		"The enrolment is not completed; no certificate can be issued yet.")
	ErrOwnCertificate = apperr.New(apperr.KindForbidden, "certificate.own",
		"Sertifikat Anda sendiri diterbitkan, dicabut atau diterbitkan ulang oleh petugas lain.",
		"Your own certificate is issued, revoked or re-issued by another registrar.")
	ErrAlreadyIssued = apperr.New(apperr.KindConflict, "certificate.already_issued",
		"Pendaftaran ini sudah memiliki sertifikat.", "The enrolment already has a certificate.")
	ErrRevoked = apperr.New(apperr.KindConflict, "certificate.revoked",
		"Sertifikat ini sudah dicabut.", "The certificate is revoked.")
	ErrSuperseded = apperr.New(apperr.KindConflict, "certificate.superseded",
		"Sertifikat ini sudah diganti dengan terbitan baru.", "The certificate has been replaced by a new issue.")
	ErrMalformedSerial = apperr.New(apperr.KindMalformed, "certificate.malformed_serial",
		"Nomor sertifikat tidak sah; bentuknya KODE-LEMBAGA/TAHUN/NOMOR, mis. BPSDM-JABAR/2026/000123.",
		"The certificate number is malformed; it reads INSTITUTE-CODE/YEAR/NUMBER, e.g. BPSDM-JABAR/2026/000123.")
	ErrPDFTooLarge = apperr.New(apperr.KindTooLarge, "certificate.pdf_too_large",
		"Berkas PDF terlalu besar untuk diperiksa.", "The PDF is too large to check.")
	ErrNotPDF = apperr.New(apperr.KindUnsupported, "certificate.not_pdf",
		"Kirim berkas PDF (application/pdf) atau JSON {\"sha256\": …}.",
		"Send a PDF file (application/pdf) or JSON {\"sha256\": …}.")
)

// serialPattern is an institute code, a year and a six-digit number.
var serialPattern = regexp.MustCompile(`^([A-Z0-9][A-Z0-9-]{0,39})/(\d{4})/(\d{6,9})$`)

// FormatSerial is the readable serial of the n-th certificate of an
// institute in a year: "BPSDM-JABAR/2026/000123".
func FormatSerial(orgCode string, year, n int) string {
	return fmt.Sprintf("%s/%04d/%06d", strings.ToUpper(orgCode), year, n)
}

// ParseSerial reads a serial as printed ("BPSDM-JABAR/2026/000123") or in
// its URL form ("BPSDM-JABAR-2026-000123", see URLSerial). An institute code
// may contain dashes, so the URL form is read from the right: the last two
// dash-separated parts are the year and the number.
func ParseSerial(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !strings.Contains(s, "/") {
		number := strings.LastIndexByte(s, '-')
		if number <= 0 {
			return "", ErrMalformedSerial
		}
		year := strings.LastIndexByte(s[:number], '-')
		if year <= 0 {
			return "", ErrMalformedSerial
		}
		s = s[:year] + "/" + s[year+1:number] + "/" + s[number+1:]
	}
	m := serialPattern.FindStringSubmatch(s)
	if m == nil {
		return "", ErrMalformedSerial
	}
	if y, _ := strconv.Atoi(m[2]); y < 2000 {
		return "", ErrMalformedSerial
	}
	return s, nil
}

// URLSerial is the serial as it appears in URLs and QR codes: slashes
// become dashes ("BPSDM-JABAR-2026-000123"), so that the serial is one path
// segment with no escaping that proxies or scanners might undo.
func URLSerial(serial string) string { return strings.ReplaceAll(serial, "/", "-") }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
