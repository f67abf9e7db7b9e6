// Package csvio reads the CSV files people export from spreadsheets and HR
// systems, and writes CSV that spreadsheets open safely. It is the one home
// of both rules for every slice: a reader that strips the byte-order mark,
// finds the delimiter, looks columns up by name and reports a bad line
// without giving up on the file; a writer that defuses cells a spreadsheet
// would run as formulas (CSV injection, as OWASP describes it).
package csvio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrEmpty is returned by NewReader for a file without a header row.
var ErrEmpty = errors.New("csvio: empty file")

// LineError is a line that cannot be read; reading may go on with the next.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Reader reads a CSV file with a header row.
type Reader struct {
	cr     *csv.Reader
	header []string
}

// NewReader reads the header of r. A UTF-8 byte-order mark is skipped; the
// delimiter is the one the header line uses most of a comma, the semicolon
// of spreadsheets in Indonesian locale, and a tab. Records may have any
// number of fields, and the slice Read returns is reused.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("csvio: read header: %w", err)
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(br)
	cr.Comma = ','
	for _, d := range []rune{';', '\t'} {
		if bytes.Count(head, []byte(string(d))) > bytes.Count(head, []byte(string(cr.Comma))) {
			cr.Comma = d
		}
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, fmt.Errorf("csvio: read header: %w", err)
	}
	return &Reader{cr: cr, header: append([]string(nil), header...)}, nil
}

// Header returns the names of the columns as the file writes them.
func (r *Reader) Header() []string { return r.header }

// Delimiter returns the delimiter the file uses.
func (r *Reader) Delimiter() rune { return r.cr.Comma }

// NormalizeName folds a column name for lookup: trimmed, lower case, with
// spaces, hyphens and dots as underscores ("Kode Unit" → "kode_unit").
func NormalizeName(name string) string {
	return strings.NewReplacer(" ", "_", "-", "_", ".", "_").Replace(strings.ToLower(strings.TrimSpace(name)))
}

// Column returns the index of the first column whose normalized name is
// one of names, or -1.
func (r *Reader) Column(names ...string) int {
	for i, h := range r.header {
		h = NormalizeName(h)
		for _, n := range names {
			if h == NormalizeName(n) {
				return i
			}
		}
	}
	return -1
}

// Read returns the next record and the line it starts on. io.EOF ends the
// file; a *LineError is a line that cannot be read (a stray quote), after
// which Read may be called again; any other error ends reading.
func (r *Reader) Read() (record []string, line int, err error) {
	rec, err := r.cr.Read()
	var parseErr *csv.ParseError
	switch {
	case err == nil:
		line, _ = r.cr.FieldPos(0)
		return rec, line, nil
	case errors.As(err, &parseErr) && (errors.Is(parseErr.Err, csv.ErrBareQuote) || errors.Is(parseErr.Err, csv.ErrQuote) ||
		errors.Is(parseErr.Err, csv.ErrFieldCount)):
		return nil, parseErr.StartLine, &LineError{Line: parseErr.StartLine, Err: parseErr.Err}
	default:
		return nil, 0, err
	}
}

// Writer writes CSV whose cells a spreadsheet shows as text: a cell that
// starts with = + - @, a tab or a carriage return gets a leading apostrophe,
// so it is never evaluated as a formula.
type Writer struct{ w *csv.Writer }

// NewWriter returns a writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, each cell escaped.
func (w *Writer) Write(cells ...string) error {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = Escape(c)
	}
	return w.w.Write(out)
}

// Flush writes buffered records to the underlying writer.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports an error of an earlier Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }

// Escape defuses a cell a spreadsheet would run as a formula.
func Escape(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
