package assignment

import (
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/platform/apperr"
)

func TestARubricTypedOneCriterionALineIsReadOrToldWhichLineIsWrong(t *testing.T) {
	current := []Criterion{{ID: "analisis", Title: "Analisis masalah", Description: "Akar masalah layanan",
		Levels: []Level{{ID: "baik", Title: "Baik", Description: "Tiga akar masalah", Points: 5}}}}
	for _, tc := range []struct {
		name   string
		text   string
		ids    string // criterion:level ids, as read
		points float64
		err    string // the Indonesian message, empty when read
	}{
		{"empty text grades by points", " \n\n", "", 0, ""},
		{"a known title keeps its id, a new one takes its title's", "Analisis masalah | Baik = 5 | Kurang = 1\n\nRencana Aksi (utama) | Baik = 2,5",
			"analisis:baik,kurang rencana-aksi-utama:baik", 7.5, ""},
		{"the same title twice gets a second id", "Solusi | Baik = 1 | Baik = 2\nSolusi | Ya = 1", "solusi:baik,baik-2 solusi-2:ya", 3, ""},
		{"a line without levels", "Analisis | Baik = 5\nSolusi", "", 0, "baris 2: tulis judul kriteria"},
		{"a level without points", "Analisis | Baik", "", 0, `baris 1: tulis setiap tingkat sebagai Judul = poin ("Baik")`},
		{"points that are no number", "Analisis | Baik = lima", "", 0, `baris 1: poin tingkat "Baik" harus berupa angka`},
		{"points out of range, told by line", "A | x = 1\n\nB | y = 5000", "", 0, "baris 3: harus 0 sampai 1000"},
		{"a rubric worth nothing", "A | x = 0", "", 0, "rubrik harus bernilai lebih dari 0 poin"},
		{"every mistake at once", "A\nB | y", "", 0, "baris 1: tulis judul kriteria lalu tingkatnya, dipisah | (Kriteria | Baik = 5 | Kurang = 1); baris 2: tulis setiap tingkat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRubric(tc.text, current)
			if tc.err != "" {
				e := apperr.As(err)
				if err == nil || len(e.Fields) != 1 || e.Fields[0].Field != "rubric" || !strings.Contains(e.Fields[0].Message.ID, tc.err) {
					t.Fatalf("parse %q = %v, want the rubric's error %q", tc.text, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse %q: %v", tc.text, err)
			}
			var ids []string
			for _, c := range got {
				if c.ID == "analisis" && (c.Description != "Akar masalah layanan" || c.Levels[0].Description != "Tiga akar masalah") {
					t.Errorf("a kept criterion lost its descriptions: %+v", c)
				}
				var levels []string
				for _, l := range c.Levels {
					levels = append(levels, l.ID)
				}
				ids = append(ids, c.ID+":"+strings.Join(levels, ","))
			}
			if strings.Join(ids, " ") != tc.ids || (Rubric{Criteria: got}).MaxPoints() != tc.points {
				t.Errorf("parse %q = %v worth %v, want %s worth %v", tc.text, ids, (Rubric{Criteria: got}).MaxPoints(), tc.ids, tc.points)
			}
			if back, _ := parseRubric(rubricText(&Rubric{Criteria: got}), got); rubricText(&Rubric{Criteria: back}) != rubricText(&Rubric{Criteria: got}) {
				t.Errorf("the rubric does not read back as written: %q", rubricText(&Rubric{Criteria: got}))
			}
		})
	}
}
