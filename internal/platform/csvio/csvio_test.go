package csvio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReaderStripsTheBOMFindsTheDelimiterAndColumns(t *testing.T) {
	tests := []struct {
		name, body string
		delim      rune
	}{
		{"comma with BOM", "\xef\xbb\xbfNIP,Nama Lengkap\n1,Ani\n", ','},
		{"semicolon", "NIP;Nama Lengkap\n1;Ani\n", ';'},
		{"tab", "NIP\tNama Lengkap\n1\tAni\n", '\t'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.body))
			if err != nil {
				t.Fatalf("NewReader = %v", err)
			}
			if r.Delimiter() != tt.delim {
				t.Errorf("Delimiter() = %q, want %q", r.Delimiter(), tt.delim)
			}
			if got := r.Column("nip"); got != 0 {
				t.Errorf("Column(nip) = %d, want 0 (the BOM must not stick to the name)", got)
			}
			if got := r.Column("name", "nama_lengkap"); got != 1 {
				t.Errorf("Column(name, nama_lengkap) = %d, want 1", got)
			}
			if got := r.Column("email"); got != -1 {
				t.Errorf("Column(email) = %d, want -1", got)
			}
			rec, line, err := r.Read()
			if err != nil || line != 2 || rec[1] != "Ani" {
				t.Errorf("Read() = %q, %d, %v; want [1 Ani], 2, nil", rec, line, err)
			}
		})
	}
}

func TestReaderReportsABadLineAndGoesOn(t *testing.T) {
	r, err := NewReader(strings.NewReader("a,b\n1,2\n3,\"x\"y\n5,6\n"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	var bad []int
	for {
		_, line, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			bad = append(bad, le.Line)
			continue
		}
		if err != nil {
			t.Fatalf("Read() = %v", err)
		}
		lines = append(lines, line)
	}
	if len(bad) != 1 || bad[0] != 3 || len(lines) != 2 || lines[1] != 4 {
		t.Errorf("good lines %v, bad lines %v; want [2 4] and [3]", lines, bad)
	}
}

func TestReaderRefusesAnEmptyFile(t *testing.T) {
	if _, err := NewReader(strings.NewReader("")); !errors.Is(err, ErrEmpty) {
		t.Errorf("NewReader(empty) = %v, want ErrEmpty", err)
	}
}

func TestWriterDefusesFormulas(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"plain", "plain"},
		{"", ""},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Write("=1+1", "ok"); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if got := buf.String(); got != "'=1+1,ok\n" {
		t.Errorf("written %q, want %q", got, "'=1+1,ok\n")
	}
}
