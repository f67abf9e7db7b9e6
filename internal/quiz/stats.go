package quiz

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/queue"
)

// Jobs records background work for its starter to poll; the job service
// provides it.
type Jobs interface {
	Create(ctx context.Context, kind string, perm authz.Permission, orgID uuid.UUID, params any) (job.Job, error)
	Start(ctx context.Context, id uuid.UUID) (job.Job, error)
	Progress(ctx context.Context, id uuid.UUID, done, total int) error
	Succeed(ctx context.Context, id uuid.UUID, result any, resultKey, errorReportKey string) error
	Fail(ctx context.Context, id uuid.UUID, msg string) error
	Get(ctx context.Context, id uuid.UUID) (job.Job, error) // a job of the caller's, for the import pages
}

// SetJobs plugs in the job service, which statistics need. Call it before serving.
func (s *Service) SetJobs(j Jobs) { s.jobs = j }

// JobKindStatistics is the kind of a quiz statistics job.
const JobKindStatistics = "quiz_statistics"

// TypeStatistics is the outbox job computing a quiz's statistics.
const TypeStatistics = "quiz:statistics"

// StatisticsPayload is the payload of TypeStatistics.
type StatisticsPayload struct {
	JobID  uuid.UUID `json:"job_id"`
	QuizID uuid.UUID `json:"quiz_id"`
}

// Statistics is what a statistics job finds over the graded attempts of a
// quiz in every class: the score distribution and, per question, its
// facility (the mean share of its marks earned), its discrimination (the
// correlation of its score with the rest of the attempt's, corrected
// point-biserial) and how often each option was chosen.
type Statistics struct {
	Attempts          int                  `json:"attempts"`
	MeanPercent       float64              `json:"mean_percent"`
	ScoreDistribution []ScoreBucket        `json:"score_distribution"`
	Questions         []QuestionStatistics `json:"questions"`
}

// ScoreBucket counts the attempts whose percent lies in [From, To) (the last
// bucket includes 100).
type ScoreBucket struct {
	From  int `json:"from"`
	To    int `json:"to"`
	Count int `json:"count"`
}

// QuestionStatistics are one question's figures.
type QuestionStatistics struct {
	QuestionID     uuid.UUID      `json:"question_id"`
	Type           Type           `json:"type"`
	Answers        int            `json:"answers"`
	Facility       *float64       `json:"facility"`
	Discrimination *float64       `json:"discrimination"`
	Options        map[string]int `json:"options,omitempty"`
}

// StartStatistics queues the statistics of a quiz for the course's staff
// and returns the job to poll.
func (s *Service) StartStatistics(ctx context.Context, quizID uuid.UUID) (job.Job, error) {
	sc, err := s.quizScope(ctx, quizID)
	if err != nil {
		return job.Job{}, err
	}
	if !sc.actor.Can(authz.CourseRead, sc.path) {
		return job.Job{}, ErrQuizNotFound
	}
	if _, err := s.store.quiz(ctx, quizID, false); err != nil {
		return job.Job{}, err
	}
	var j job.Job
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if j, err = s.jobs.Create(ctx, JobKindStatistics, authz.CourseRead, sc.item.OrgID, StatisticsPayload{QuizID: quizID}); err != nil {
			return err
		}
		_, err = s.outbox.Add(ctx, queue.Job{Type: TypeStatistics, Queue: queue.Low, Payload: StatisticsPayload{JobID: j.ID, QuizID: quizID}})
		return err
	})
	return j, err
}

// HandleStatistics computes a statistics job; a job already over does nothing.
func (s *Service) HandleStatistics(ctx context.Context, t *asynq.Task) error {
	var p StatisticsPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	if _, ok, err := job.BeginTask(ctx, s.jobs, TypeStatistics, p.JobID); !ok {
		return err
	}
	st, err := s.ComputeStatistics(ctx, p.QuizID)
	if err != nil {
		return err
	}
	return s.jobs.Succeed(ctx, p.JobID, st, "", "")
}

// ComputeStatistics computes a quiz's statistics in the database, in a few
// aggregate statements whatever the number of attempts.
func (s *Service) ComputeStatistics(ctx context.Context, quizID uuid.UUID) (Statistics, error) {
	return s.store.statistics(ctx, quizID)
}

func (s store) statistics(ctx context.Context, quizID uuid.UUID) (Statistics, error) {
	conn := s.db.Conn(ctx)
	st := Statistics{ScoreDistribution: []ScoreBucket{}, Questions: []QuestionStatistics{}}
	var summary struct {
		Attempts int
		Mean     *float64
	}
	if err := conn.Raw(`SELECT count(*) AS attempts, avg(score / NULLIF(max_score, 0) * 100) AS mean
		FROM quiz_attempts WHERE quiz_id = ? AND state = 'graded'`, quizID).Scan(&summary).Error; err != nil {
		return st, fmt.Errorf("quiz statistics: %w", err)
	}
	st.Attempts = summary.Attempts
	if summary.Mean != nil {
		st.MeanPercent = round3(*summary.Mean)
	}
	var buckets []struct{ Bucket, Count int }
	if err := conn.Raw(`SELECT LEAST(width_bucket(score / NULLIF(max_score, 0) * 100, 0, 100, 10), 10) AS bucket, count(*) AS count
		FROM quiz_attempts WHERE quiz_id = ? AND state = 'graded' AND max_score > 0 GROUP BY 1`, quizID).Scan(&buckets).Error; err != nil {
		return st, fmt.Errorf("score distribution: %w", err)
	}
	counts := map[int]int{}
	for _, b := range buckets {
		counts[b.Bucket] = b.Count
	}
	for i := 1; i <= 10; i++ {
		st.ScoreDistribution = append(st.ScoreDistribution, ScoreBucket{From: (i - 1) * 10, To: i * 10, Count: counts[i]})
	}
	var qs []struct {
		QuestionID     uuid.UUID
		Type           string
		Answers        int
		Facility       *float64
		Discrimination *float64
	}
	if err := conn.Raw(`SELECT v.question_id, min(s.type) AS type, count(*) AS answers,
			avg(s.score / s.points) AS facility,
			corr(s.score / s.points, (a.score - s.score) / NULLIF(a.max_score - s.points, 0)) AS discrimination
		FROM quiz_attempts a
		JOIN quiz_attempt_slots s ON s.attempt_id = a.id
		JOIN question_versions v ON v.id = s.question_version_id
		WHERE a.quiz_id = ? AND a.state = 'graded' AND s.points > 0 AND s.score IS NOT NULL
		GROUP BY v.question_id ORDER BY v.question_id`, quizID).Scan(&qs).Error; err != nil {
		return st, fmt.Errorf("question statistics: %w", err)
	}
	var opts []struct {
		QuestionID uuid.UUID
		Option     string
		Count      int
	}
	if err := conn.Raw(`SELECT v.question_id, o.option, count(*) AS count
		FROM quiz_attempts a
		JOIN quiz_attempt_slots s ON s.attempt_id = a.id
		JOIN question_versions v ON v.id = s.question_version_id
		CROSS JOIN LATERAL (
			SELECT s.response->>'choice' AS option WHERE s.response->>'choice' IS NOT NULL
			UNION ALL SELECT jsonb_array_elements_text(s.response->'choices') WHERE jsonb_typeof(s.response->'choices') = 'array'
			UNION ALL SELECT (s.response->>'value') WHERE s.type = 'true_false'
		) o
		WHERE a.quiz_id = ? AND a.state = 'graded' AND s.type IN ('single_choice', 'multiple_choice', 'true_false')
		GROUP BY 1, 2`, quizID).Scan(&opts).Error; err != nil {
		return st, fmt.Errorf("option distribution: %w", err)
	}
	byQuestion := map[uuid.UUID]map[string]int{}
	for _, o := range opts {
		if byQuestion[o.QuestionID] == nil {
			byQuestion[o.QuestionID] = map[string]int{}
		}
		byQuestion[o.QuestionID][o.Option] = o.Count
	}
	for _, q := range qs {
		qst := QuestionStatistics{QuestionID: q.QuestionID, Type: Type(q.Type), Answers: q.Answers, Options: byQuestion[q.QuestionID]}
		if q.Facility != nil {
			f := round3(*q.Facility)
			qst.Facility = &f
		}
		if q.Discrimination != nil {
			d := round3(*q.Discrimination)
			qst.Discrimination = &d
		}
		st.Questions = append(st.Questions, qst)
	}
	return st, nil
}
