package quiz

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// BenchmarkStatisticsOver100kAttempts computes the statistics of a
// 20-question quiz with 100,000 graded attempts (CORPU_BENCH_ATTEMPTS to
// change it), as the statistics job does. The attempts are seeded in the
// database by two INSERT … SELECT over generate_series (2M slots), each
// learner with an ability of their own so that discrimination means
// something. One op is one whole computation; the target is under 30 s.
//
//	go test -run XXX -bench StatisticsOver100k -benchtime 3x ./internal/quiz/
func BenchmarkStatisticsOver100kAttempts(b *testing.B) {
	attempts := 100_000
	if n, err := strconv.Atoi(os.Getenv("CORPU_BENCH_ATTEMPTS")); err == nil && n > 0 {
		attempts = n
	}
	f := newFixture(b)
	ctx := f.as("authorA")
	bank, err := f.svc.CreateBank(ctx, BankInput{OrgID: f.org["A"], Name: ptr("Bank Ujian")})
	if err != nil {
		b.Fatal(err)
	}
	qs, _ := benchAttempt()
	rows := make([]string, len(qs))
	ids := make([]uuid.UUID, len(qs))
	maxScore := 0.0
	for i := range qs {
		c := qs[i]
		q, err := f.svc.CreateQuestion(ctx, bank.ID, QuestionInput{Content: &c})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = q.ID
		rows[i] = fmt.Sprintf("(%d, '%s'::uuid, '%s', %g::numeric)", i+1, q.VersionID, c.Type, c.Points)
		maxScore += c.Points
	}
	f.setQuiz(QuizInput{AttemptsAllowed: ptr(0)}, ids...)
	seed := time.Now()
	f.exec(`INSERT INTO quiz_attempts (id, quiz_id, class_id, user_id, number, state, started_at, finished_at, score, max_score, graded_at)
		SELECT gen_random_uuid(), ?, ?, gen_random_uuid(), 1, 'graded', now(), now(), 0, ?, now() FROM generate_series(1, ?)`,
		f.quizID, f.classID, maxScore, attempts)
	// A learner's ability is drawn from their attempt's id; each slot is
	// right with that chance, and its answer says so.
	f.exec(`INSERT INTO quiz_attempt_slots (attempt_id, slot, question_version_id, type, points, response, seq, saved_at, score, graded_at)
		SELECT a.id, q.slot, q.version_id, q.type, q.points,
			CASE q.type
				WHEN 'single_choice' THEN jsonb_build_object('choice', CASE WHEN r.ok THEN 'a' WHEN r.x < 0.5 THEN 'b' ELSE 'c' END)
				WHEN 'multiple_choice' THEN CASE WHEN r.ok THEN '{"choices":["a","b"]}'::jsonb ELSE '{"choices":["a","c"]}'::jsonb END
				WHEN 'true_false' THEN jsonb_build_object('value', r.ok)
				ELSE '{"text":"jawaban"}'::jsonb END,
			1, now(), CASE WHEN r.ok THEN q.points ELSE 0 END, now()
		FROM quiz_attempts a
		CROSS JOIN (VALUES `+strings.Join(rows, ", ")+`) AS q(slot, version_id, type, points)
		CROSS JOIN LATERAL (SELECT random() AS x, random() < 0.2 + 0.7 * ((hashtext(a.id::text) & 1023) / 1023.0) AS ok
			WHERE a.id IS NOT NULL) r
		WHERE a.quiz_id = ?`, f.quizID)
	f.exec(`UPDATE quiz_attempts a SET score = t.total, passed = t.total >= a.max_score * 0.6
		FROM (SELECT attempt_id, sum(score) AS total FROM quiz_attempt_slots GROUP BY attempt_id) t
		WHERE t.attempt_id = a.id`)
	f.exec(`VACUUM ANALYZE quiz_attempts`)
	f.exec(`VACUUM ANALYZE quiz_attempt_slots`)
	b.Logf("seeded %d attempts (%d slots) in %s", attempts, attempts*len(qs), time.Since(seed).Round(time.Millisecond))
	b.ResetTimer()
	var st Statistics
	for i := 0; i < b.N; i++ {
		if st, err = f.svc.ComputeStatistics(context.Background(), f.quizID); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st.Attempts != attempts || len(st.Questions) != len(qs) {
		b.Fatalf("statistics over %d attempts and %d questions, want %d and %d", st.Attempts, len(st.Questions), attempts, len(qs))
	}
	for _, q := range st.Questions {
		if q.Facility == nil || q.Discrimination == nil || *q.Discrimination <= 0 {
			b.Fatalf("question %s: facility %v, discrimination %v; want both, discrimination positive", q.QuestionID, q.Facility, q.Discrimination)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
}
