package certificate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/corpu/corpu/assets"
)

// sheet is what one certificate PDF shows: the facts through a template,
// and the link its QR code carries.
type sheet struct {
	facts     Facts
	template  Template
	images    sheetImages
	verifyURL string
}

// placeholderValues are the values of a template's placeholders for facts.
func placeholderValues(f Facts, lang string) map[string]string {
	values := map[string]string{
		"learner": f.Learner.Name, "nip": f.Learner.NIP, "course": f.Course.Title, "class": f.Class.Title,
		"jp": strconv.FormatFloat(f.Course.JP, 'f', -1, 64), "grade": "",
		"completed_on": longDate(f.CompletedOn, lang), "issued_on": longDate(f.IssuedAt.Format(time.DateOnly), lang),
		"expires_on": "", "competencies": strings.Join(f.Course.Competencies, ", "),
		"institute": f.Institute.Name, "course_owner": f.CourseOwner.Name, "serial": f.Serial,
	}
	if f.Grade != nil {
		values["grade"] = strconv.FormatFloat(*f.Grade, 'f', 1, 64)
	}
	if f.ExpiresAt != nil {
		values["expires_on"] = longDate(f.ExpiresAt.Format(time.DateOnly), lang)
	}
	return values
}

var monthsID = [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}

// longDate writes a YYYY-MM-DD date as "17 Agustus 2026" or "17 August 2026".
func longDate(date, lang string) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	if lang == "en" {
		return d.Format("2 January 2006")
	}
	return fmt.Sprintf("%d %s %d", d.Day(), monthsID[d.Month()-1], d.Year())
}

// fonts are the certificate fonts cut to the characters certificates use:
// Latin-1 and Latin Extended-A (every letter of Indonesian and of the names
// and words it borrows) and typographic punctuation. Parsing the cut fonts
// for each PDF costs a fraction of parsing the whole families.
type fonts struct{ regular, bold []byte }

// certificateCharset is the characters the cut fonts keep.
func certificateCharset() string {
	var b strings.Builder
	for r := rune(0x20); r <= 0x17F; r++ {
		if r < 0x7F || r >= 0xA0 {
			b.WriteRune(r)
		}
	}
	b.WriteString("‐‑‒–—―‘’‚“”„†‡•…‰′″‹›€™")
	return b.String()
}

func newFonts() fonts {
	cut := certificateCharset()
	return fonts{regular: fpdf.UTF8CutFont(assets.CertificateFont, cut), bold: fpdf.UTF8CutFont(assets.CertificateFontBold, cut)}
}

// renderPDF draws one A4 page. The creation date is the issue time and the
// catalogue is sorted, so the same certificate always renders to the same bytes.
func renderPDF(p sheet, f fonts) ([]byte, error) {
	orientation := "L"
	if p.template.Orientation == Portrait {
		orientation = "P"
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: orientation, UnitStr: "mm", SizeStr: "A4"})
	pdf.SetCreationDate(p.facts.IssuedAt)
	pdf.SetModificationDate(p.facts.IssuedAt)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(p.facts.Serial, true)
	pdf.SetAuthor(p.facts.Institute.Name, true)
	pdf.SetCreator("Corpu", false)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("serif", "", f.regular)
	pdf.AddUTF8FontFromBytes("serif", "B", f.bold)
	pdf.AddPage()
	w, h := pdf.GetPageSize()
	drawImage(pdf, "background", p.images.background, 0, 0, w, h)
	drawImage(pdf, "logo", p.images.logo, 16, 14, 0, 22)

	pdf.SetDrawColor(30, 64, 120)
	pdf.SetLineWidth(1.2)
	pdf.Rect(8, 8, w-16, h-16, "D")
	pdf.SetLineWidth(0.3)
	pdf.Rect(11, 11, w-22, h-22, "D")

	id, en := placeholderValues(p.facts, "id"), placeholderValues(p.facts, "en")
	pdf.SetTextColor(30, 64, 120)
	pdf.SetXY(20, 20)
	pdf.SetFont("serif", "B", 14)
	pdf.CellFormat(w-40, 8, p.facts.Institute.Name, "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "B", 30)
	pdf.SetX(20)
	pdf.CellFormat(w-40, 16, fill(p.template.TitleID, id), "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "", 14)
	pdf.SetX(20)
	pdf.CellFormat(w-40, 8, fill(p.template.TitleEN, en), "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "", 11)
	pdf.SetX(20)
	pdf.CellFormat(w-40, 7, "No. "+p.facts.Serial, "", 1, "C", false, 0, "")

	pdf.Ln(4)
	pdf.SetTextColor(20, 20, 20)
	pdf.SetFont("serif", "B", 24)
	pdf.SetX(20)
	pdf.CellFormat(w-40, 13, p.facts.Learner.Name, "", 1, "C", false, 0, "")
	if p.facts.Learner.NIP != "" {
		pdf.SetFont("serif", "", 11)
		pdf.SetX(20)
		pdf.CellFormat(w-40, 6, "NIP "+p.facts.Learner.NIP, "", 1, "C", false, 0, "")
	}
	pdf.Ln(4)
	pdf.SetFont("serif", "", 12)
	pdf.SetX(30)
	pdf.MultiCell(w-60, 6.5, fill(p.template.BodyID, id), "", "C", false)
	pdf.Ln(2)
	pdf.SetFont("serif", "", 10)
	pdf.SetTextColor(80, 80, 80)
	pdf.SetX(30)
	pdf.MultiCell(w-60, 5.5, fill(p.template.BodyEN, en), "", "C", false)
	if p.facts.CourseOwner.ID != p.facts.Institute.ID {
		pdf.SetFont("serif", "", 9)
		pdf.SetX(30)
		pdf.CellFormat(w-60, 6, "Pemilik program / Programme owner: "+p.facts.CourseOwner.Name, "", 1, "C", false, 0, "")
	}
	if p.facts.Grade != nil {
		pdf.SetFont("serif", "", 11)
		pdf.SetX(30)
		pdf.CellFormat(w-60, 7, "Nilai akhir / Final grade: "+id["grade"], "", 1, "C", false, 0, "")
	}

	drawSignatories(pdf, p.template.Signatories, p.images.signatures, w, h)
	if err := drawQR(pdf, p, h); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render certificate %s: %w", p.facts.Serial, err)
	}
	return buf.Bytes(), nil
}

// drawSignatories puts each signatory's line, name and title side by side
// along the bottom right.
func drawSignatories(pdf *fpdf.Fpdf, sigs []Signatory, images []*image, w, h float64) {
	if len(sigs) == 0 {
		return
	}
	// Right of the QR code (which takes the left 55 mm), 70 mm each at most.
	slot := min(70.0, (w-75)/float64(len(sigs)))
	x := w - 20 - slot*float64(len(sigs))
	pdf.SetTextColor(20, 20, 20)
	for i, s := range sigs {
		if i < len(images) {
			drawImage(pdf, fmt.Sprintf("signature-%d", i), images[i], x+slot/2-15, h-60, 0, 17)
		}
		pdf.SetDrawColor(60, 60, 60)
		pdf.Line(x+8, h-42, x+slot-8, h-42)
		pdf.SetXY(x, h-40)
		pdf.SetFont("serif", "B", 10)
		pdf.CellFormat(slot, 5, s.Name, "", 2, "C", false, 0, "")
		pdf.SetFont("serif", "", 9)
		pdf.CellFormat(slot, 5, s.Title, "", 0, "C", false, 0, "")
		x += slot
	}
}

// drawImage draws img at x, y sized w × h (a zero keeps the aspect ratio);
// nil draws nothing.
func drawImage(pdf *fpdf.Fpdf, name string, img *image, x, y, w, h float64) {
	if img == nil {
		return
	}
	opts := fpdf.ImageOptions{ImageType: img.kind}
	pdf.RegisterImageOptionsReader(name, opts, bytes.NewReader(img.data))
	pdf.ImageOptions(name, x, y, w, h, false, opts, 0, "")
}

// drawQR puts the QR code of the verification page, with the link written
// under it for those who type rather than scan.
func drawQR(pdf *fpdf.Fpdf, p sheet, h float64) error {
	png, err := qrcode.Encode(p.verifyURL, qrcode.Medium, 256)
	if err != nil {
		return fmt.Errorf("QR code of %s: %w", p.facts.Serial, err)
	}
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("qr", opts, bytes.NewReader(png))
	pdf.ImageOptions("qr", 20, h-52, 30, 30, false, opts, 0, "")
	pdf.SetXY(20, h-21)
	pdf.SetFont("serif", "", 7)
	pdf.SetTextColor(80, 80, 80)
	pdf.CellFormat(120, 4, "Verifikasi / Verify: "+p.verifyURL, "", 0, "L", false, 0, "")
	return pdf.Error()
}
