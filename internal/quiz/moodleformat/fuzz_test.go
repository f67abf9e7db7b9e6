package moodleformat

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func addSeeds(f *testing.F, pattern string, extra ...string) {
	files, _ := filepath.Glob(pattern)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// checkResult holds for every parse: problems point at questions, in order, once.
func checkResult(t *testing.T, res Result) {
	t.Helper()
	last := -1
	for _, p := range res.Problems {
		if p.Index <= last || p.Index >= len(res.Questions) {
			t.Fatalf("problem index %d out of order or range (%d questions)", p.Index, len(res.Questions))
		}
		last = p.Index
		q := res.Questions[p.Index]
		if p.Name != q.Name || p.Type != q.Type || p.Code == "" || p.Reason == "" || p.ReasonID == "" {
			t.Fatalf("problem %+v does not describe question %q/%q", p, q.Name, q.Type)
		}
	}
}

func FuzzParseXML(f *testing.F) {
	addSeeds(f, "testdata/*.xml",
		`<quiz><question type="category"><category><text>$course$/top/A</text></category></question></quiz>`,
		`<quiz><question type="numerical"><answer fraction="1e309">x<tolerance>-1</tolerance></answer><units><unit/></units></question></quiz>`,
		`<quiz><question type="truefalse"><answer fraction="100"/><answer/><answer/></question></quiz>`,
		`<quiz><question type="matching"><subquestion><answer/></subquestion></question></quiz>`,
		`<quiz><question type="essay"><questiontext><text>a</text><file name="x" encoding="base64">!!</file></questiontext></question></quiz>`,
		`<?xml version="1.0" encoding="latin1"?><quiz/>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseXML(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkResult(t, res)
		// Whatever was read can be written, and what is written is a Moodle XML
		// file that reads back without error; a valid question reads back equal.
		var buf bytes.Buffer
		if err := WriteXML(&buf, "", res.Questions); err != nil {
			t.Fatal(err)
		}
		again, err := ParseXML(&buf)
		if err != nil {
			t.Fatalf("written file does not parse: %v\n%s", err, buf.String())
		}
		if len(again.Questions) != len(res.Questions) {
			t.Fatalf("%d questions written, %d read back", len(res.Questions), len(again.Questions))
		}
		for i, q := range res.Questions {
			if res.ProblemAt(i) != nil {
				continue
			}
			if !reflect.DeepEqual(again.Questions[i], q) {
				t.Fatalf("question %d changed:\n got %#v\nwant %#v", i, again.Questions[i], q)
			}
		}
	})
}

func FuzzParseGIFT(f *testing.F) {
	addSeeds(f, "testdata/*.gift.txt",
		"::a::b{=c ~d}", "{", "}", "::", "::::", "{#}", "{#..}", "{#1..}", "{#:}", "{>}", "{>\n}",
		"{=a->}", "{~%%}", "{~%-%}", "\\", "x\\", "$CATEGORY:", "$CATEGORY: a\n::b::{T#}",
		"a{T#b#c#d####e}", "[html", "[html]", "::n::[markdown]{}", "{####}", "a {=b} c {=d}",
		"{\n\n~a\n\n~b}", "// [tag:a] [id:b]\nq{T}",
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseGIFT(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err) // only read errors fail a GIFT parse
		}
		checkResult(t, res)
		var buf bytes.Buffer
		if err := WriteGIFT(&buf, res.Questions); err != nil {
			t.Fatal(err)
		}
		again, err := ParseGIFT(&buf)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, again)
	})
}

// FuzzGIFTEscaping: escaping then reading gives the text back (carriage returns go).
func FuzzGIFTEscaping(f *testing.F) {
	for _, s := range []string{"", "a:b", `\`, `\\n`, "{=~#}", "baris\nbaru\r\n", `\:`, "π ∑ 😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Invalid UTF-8 bytes come back as U+FFFD, one each.
		want := strings.ReplaceAll(string([]rune(s)), "\r", "")
		if got := unescapeGIFT(escapeGIFT(s)).String(); got != want {
			t.Fatalf("%q → %q → %q", s, escapeGIFT(s), got)
		}
	})
}
