package gradebook

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

// The targets: a class of 5,000 learners × 40 items recomputes
// after one grade change in under 200 ms, and exports to XLSX in under 30 s
// in the worker. See docs/performance.md for the figures.
const (
	benchLearners = 5000
	benchQuizzes  = 20
	benchProjects = 20
)

// newBenchClass seeds the fixture's class with every learner graded on
// every quiz and assignment, settings of two weighted categories with
// drop-lowest, and every row computed.
func newBenchClass(b *testing.B) (*fixture, []uuid.UUID) {
	b.Helper()
	f := newFixture(b, benchQuizzes, benchProjects)
	users := make([]uuid.UUID, benchLearners)
	for i := range users {
		users[i] = uuid.Must(uuid.NewV7())
	}
	var keys, kinds []string
	var quizzes, projects []string
	for _, it := range f.items[:benchQuizzes+benchProjects] {
		keys, kinds = append(keys, it.Key), append(kinds, it.Kind)
		if it.Kind == KindQuiz {
			quizzes = append(quizzes, it.Key)
		} else {
			projects = append(projects, it.Key)
		}
	}
	f.exec(`INSERT INTO gradebook_grades (class_id, user_id, item, kind, percent, passed, released_at)
		SELECT ?, u, i.key, i.kind, round((random() * 100)::numeric, 3), true, ?
		FROM unnest(?::uuid[]) AS u CROSS JOIN unnest(?::text[], ?::text[]) AS i(key, kind)`,
		f.classID, t0, database.UUIDArray(users), database.Array[string](keys), database.Array[string](kinds))
	st := Settings{Configured: true, PassMark: 60, Revision: 1, Categories: []Category{
		{Key: "kuis", Name: "Kuis", Weight: 40, DropLowest: 2, Items: quizzes},
		{Key: "proyek", Name: "Proyek", Weight: 60, DropLowest: 1, Items: projects},
	}}
	if _, err := f.svc.store.saveSettings(context.Background(), f.classID, f.actor["instructor"].UserID, st, t0); err != nil {
		b.Fatal(err)
	}
	if err := f.svc.RecomputeClass(context.Background(), f.classID); err != nil {
		b.Fatal(err)
	}
	return f, users
}

// BenchmarkRecomputeAfterOneGradeChange: a quiz grade of one learner
// changes (as its event arrives) and their row is recomputed and saved,
// with the result event when it changes.
func BenchmarkRecomputeAfterOneGradeChange(b *testing.B) {
	f, users := newBenchClass(b)
	ctx := context.Background()
	quiz := f.items[0]
	at := t0
	i := 0
	for b.Loop() {
		at = at.Add(time.Second)
		g := Grade{Item: quiz.Key, Kind: quiz.Kind, Percent: float64(i % 100), Passed: true, ReleasedAt: at}
		if err := f.svc.RecordGrade(ctx, f.classID, users[i%len(users)], g); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRecomputeClassAfterASettingsChange: every row of the class, as
// the job a settings change of a large class runs.
func BenchmarkRecomputeClassAfterASettingsChange(b *testing.B) {
	f, _ := newBenchClass(b)
	ctx := context.Background()
	for b.Loop() {
		if err := f.svc.RecomputeClass(ctx, f.classID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportXLSX: the worker's part of an export of the class: the
// file written and stored in the object store.
func BenchmarkExportXLSX(b *testing.B) {
	f, _ := newBenchClass(b)
	ctx := context.Background()
	for b.Loop() {
		body, contentType, err := f.svc.Export(ctx, f.classID, FormatXLSX)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.objects.Put(ctx, "exports/bench.xlsx", bytes.NewReader(body), int64(len(body)), contentType); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(body))/1e6, "MB/file")
	}
}
