package assignment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/queue"
)

// TypeCheckSubmission is the outbox job, recorded with each submit, that
// looks for copies among the assignment's other submissions and flags them
// for the graders.
const TypeCheckSubmission = "assignment:check-submission"

// CheckSubmissionPayload is the payload of TypeCheckSubmission.
type CheckSubmissionPayload struct {
	SubmissionID uuid.UUID `json:"submission_id"`
}

// Kinds of similarity flags.
const (
	FlagExactFile = "exact_file" // a file with the same sha256
	FlagNearText  = "near_text"  // text whose shingles mostly agree
)

// Flag is a likeness the worker found between a submission and another
// learner's, for the graders to look at.
type Flag struct {
	SubmissionID      uuid.UUID
	OtherSubmissionID uuid.UUID
	Kind              string
	Score             float64 // 1 for an exact file; the Jaccard similarity for text
}

// Near-duplicate text: word shingles of shingleWords words, compared when a
// text has at least minShingles of them, flagged from nearTextThreshold.
const (
	shingleWords      = 3
	minShingles       = 8
	nearTextThreshold = 0.8
)

// shingles returns the set of a text's runs of shingleWords words, folded
// to lower case and stripped of punctuation.
func shingles(text string) map[string]bool {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := map[string]bool{}
	for i := 0; i+shingleWords <= len(words); i++ {
		out[strings.Join(words[i:i+shingleWords], " ")] = true
	}
	return out
}

// jaccard is the share of two sets' union that both hold.
func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	both := 0
	for s := range a {
		if b[s] {
			both++
		}
	}
	return float64(both) / float64(len(a)+len(b)-both)
}

// similarities compares a submission with the latest work of every other
// learner or group of the same assignment.
func similarities(sub Submission, others []Submission) []Flag {
	var flags []Flag
	mine := shingles(sub.Text)
	sums := map[string]bool{}
	for _, f := range sub.Files {
		sums[f.SHA256] = true
	}
	for _, o := range others {
		if o.OwnerID == sub.OwnerID {
			continue
		}
		for _, f := range o.Files {
			if sums[f.SHA256] {
				flags = append(flags, Flag{SubmissionID: sub.ID, OtherSubmissionID: o.ID, Kind: FlagExactFile, Score: 1})
				break
			}
		}
		theirs := shingles(o.Text)
		if len(mine) < minShingles || len(theirs) < minShingles {
			continue
		}
		if j := jaccard(mine, theirs); j >= nearTextThreshold {
			flags = append(flags, Flag{SubmissionID: sub.ID, OtherSubmissionID: o.ID, Kind: FlagNearText, Score: math.Floor(j*1000) / 1000})
		}
	}
	return flags
}

// afterSubmit records the check of a new submission, in its transaction.
func (s *Service) afterSubmit(ctx context.Context, sub Submission) error {
	_, err := s.outbox.Add(ctx, queue.Job{Type: TypeCheckSubmission, Queue: queue.Low, Payload: CheckSubmissionPayload{SubmissionID: sub.ID}})
	if err != nil {
		return fmt.Errorf("record submission check: %w", err)
	}
	return nil
}

// HandleCheckSubmission flags the copies of a submission among the latest
// work of the assignment's other learners and groups, in every class; a
// rerun flags nothing twice.
func (s *Service) HandleCheckSubmission(ctx context.Context, t *asynq.Task) error {
	var p CheckSubmissionPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	sub, err := s.store.submission(ctx, p.SubmissionID)
	if errors.Is(err, ErrSubmissionNotFound) {
		return fmt.Errorf("check submission %s: %w", p.SubmissionID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	others, err := s.store.latestOfAssignment(ctx, sub.AssignmentID)
	if err != nil {
		return err
	}
	flags := similarities(sub, others)
	for _, f := range flags {
		if err := s.store.saveFlag(ctx, f, s.now()); err != nil {
			return err
		}
	}
	subject, text := submittedMail(sub, len(flags))
	return s.notify.NotifyStaff(ctx, sub.ClassID, subject, text)
}

// submittedMail tells the graders of a new version and of what was flagged.
// It names no learner: grading may be blind.
func submittedMail(sub Submission, flags int) (subject, text string) {
	subject = fmt.Sprintf("Kiriman tugas baru (versi %d) / New assignment submission (version %d)", sub.Number, sub.Number)
	text = fmt.Sprintf("Kiriman %s masuk pada %s.\nA submission %s came in at %s.\n",
		sub.ID, sub.SubmittedAt.Format("2006-01-02 15:04 MST"), sub.ID, sub.SubmittedAt.Format("2006-01-02 15:04 MST"))
	if flags > 0 {
		text += fmt.Sprintf("Ditandai mirip dengan %d kiriman lain; periksa sebelum menilai.\nFlagged as like %d other submissions; check before grading.\n", flags, flags)
	}
	return subject, text
}
