package assignment

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// PeerReview tasks and their errors.
var (
	ErrPeerReviewNotFound = apperr.New(apperr.KindNotFound, "assignment.peer_review_not_found",
		"Penilaian sejawat tidak ditemukan.", "Peer review not found.")
	ErrNoPeerReview = apperr.New(apperr.KindConflict, "assignment.no_peer_review",
		"Tugas ini tidak memakai penilaian sejawat.", "This assignment has no peer review.")
	ErrBeforeDue = apperr.New(apperr.KindConflict, "assignment.before_due",
		"Penilaian sejawat dibagikan setelah tenggat kelas.", "Peer reviews are allocated after the class's due date.")
	ErrPeerReviewClosed = apperr.New(apperr.KindConflict, "assignment.peer_review_closed",
		"Batas waktu penilaian sejawat sudah lewat.", "The peer review deadline has passed.")
)

// PeerTask is one peer review: a reviewer's judgement of a submission version.
type PeerTask struct {
	ID           uuid.UUID
	ClassID      uuid.UUID
	AssignmentID uuid.UUID
	SubmissionID uuid.UUID
	ReviewerID   uuid.UUID
	DueAt        time.Time
	Levels       map[string]string
	Points       *float64 // scaled to the assignment's maximum; nil until submitted
	Comment      string
	SubmittedAt  *time.Time
}

// peerTarget is a submission to review and who may not review it: its
// learner, or every member of its group.
type peerTarget struct {
	SubmissionID uuid.UUID
	Excluded     []uuid.UUID
}

// allocatePeers gives each submission up to k reviewers from pool, never
// one it excludes, spreading the work: each pick is the eligible reviewer
// with the fewest reviews so far, in pool order among equals. A class too
// small for k gets fewer reviewers per submission (none in a class of one)
// instead of blocking anyone.
func allocatePeers(targets []peerTarget, pool []uuid.UUID, k int) map[uuid.UUID][]uuid.UUID {
	load := make(map[uuid.UUID]int, len(pool))
	out := make(map[uuid.UUID][]uuid.UUID, len(targets))
	for _, t := range targets {
		eligible := make([]uuid.UUID, 0, len(pool))
		for _, r := range pool {
			if !slices.Contains(t.Excluded, r) {
				eligible = append(eligible, r)
			}
		}
		slices.SortStableFunc(eligible, func(a, b uuid.UUID) int { return load[a] - load[b] })
		picked := eligible[:min(k, len(eligible))]
		for _, r := range picked {
			load[r]++
		}
		out[t.SubmissionID] = append([]uuid.UUID{}, picked...)
	}
	return out
}

// AllocatePeerReviews allocates the reviewers of a class's assignment once
// its due date has passed; the class's graders may ask for it, and the
// sweep does it for them. Allocating twice changes nothing.
func (s *Service) AllocatePeerReviews(ctx context.Context, classID, itemID uuid.UUID) (int, error) {
	sc, err := s.staffScope(ctx, classID, itemID)
	if err != nil {
		return 0, err
	}
	if sc.a.Peer.Reviewers == 0 {
		return 0, ErrNoPeerReview
	}
	var n int
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		n, err = s.allocate(ctx, sc.a, classID)
		return err
	})
	return n, err
}

// allocate allocates the peer reviews of a class's assignment in the
// caller's transaction and returns how many it made.
func (s *Service) allocate(ctx context.Context, a Assignment, classID uuid.UUID) (int, error) {
	cs, err := s.store.classSettings(ctx, classID, a.ItemID)
	if err != nil {
		return 0, err
	}
	now := s.now()
	if cs.DueAt == nil || now.Before(*cs.DueAt) {
		return 0, ErrBeforeDue
	}
	first, err := s.store.markAllocated(ctx, classID, a.ItemID, now)
	if err != nil || !first {
		return 0, err
	}
	subs, err := s.store.latestSubmissions(ctx, classID, a.ItemID)
	if err != nil {
		return 0, err
	}
	pool, err := s.classes.Learners(ctx, classID, nil)
	if err != nil {
		return 0, err
	}
	rand.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	targets := make([]peerTarget, 0, len(subs))
	for _, sub := range subs {
		excluded := []uuid.UUID{sub.OwnerID, sub.SubmittedBy}
		if sub.GroupID != nil {
			g, err := s.store.group(ctx, *sub.GroupID, false)
			if err != nil {
				return 0, err
			}
			excluded = append(excluded, g.Members...)
		}
		targets = append(targets, peerTarget{SubmissionID: sub.ID, Excluded: excluded})
	}
	due := cs.DueAt.Add(time.Duration(a.Peer.DeadlineSeconds) * time.Second)
	if due.Before(now) {
		due = now.Add(time.Duration(a.Peer.DeadlineSeconds) * time.Second)
	}
	count := 0
	for subID, reviewers := range allocatePeers(targets, pool, a.Peer.Reviewers) {
		for _, r := range reviewers {
			if err := s.store.createPeerTask(ctx, PeerTask{ID: newID(), ClassID: classID, AssignmentID: a.ItemID,
				SubmissionID: subID, ReviewerID: r, DueAt: due}); err != nil {
				return 0, err
			}
			count++
		}
	}
	return count, nil
}

// MyPeerReviews lists the caller's peer reviews of a class's assignment,
// each with the submission to review, without its author's name.
func (s *Service) MyPeerReviews(ctx context.Context, classID, itemID uuid.UUID) ([]PeerTask, map[uuid.UUID]SubmissionView, error) {
	sc, err := s.classAssignment(ctx, classID, itemID)
	if err != nil {
		return nil, nil, err
	}
	if err := authz.Decide(true, sc.access.Learner, ErrAssignmentNotFound); err != nil {
		return nil, nil, err
	}
	tasks, err := s.store.reviewerTasks(ctx, classID, itemID, sc.actor.UserID)
	if err != nil {
		return nil, nil, err
	}
	views := make(map[uuid.UUID]SubmissionView, len(tasks))
	for _, t := range tasks {
		sub, err := s.store.submission(ctx, t.SubmissionID)
		if err != nil {
			return nil, nil, err
		}
		view := SubmissionView{Submission: sub, Anonymous: true, Downloads: map[uuid.UUID]string{}}
		for _, f := range sub.Files {
			p, err := s.files.DownloadURL(ctx, f.FileID, f.Filename)
			if err != nil {
				return nil, nil, err
			}
			view.Downloads[f.FileID] = p.URL
		}
		views[t.SubmissionID] = view
	}
	return tasks, views, nil
}

// SubmitPeerReview records the caller's review of their allocated
// submission by the assignment's rubric, before the review's deadline.
func (s *Service) SubmitPeerReview(ctx context.Context, reviewID uuid.UUID, levels map[string]string, comment string) (PeerTask, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return PeerTask{}, err
	}
	t, err := s.store.peerTask(ctx, reviewID)
	if err != nil {
		return PeerTask{}, err
	}
	if t.ReviewerID != actor.UserID || !actor.MaySelf(authz.SelfLearn) {
		return PeerTask{}, ErrPeerReviewNotFound
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > 5000 {
		return PeerTask{}, apperr.Invalid("comment", "terlalu panjang", "is too long")
	}
	if s.now().After(t.DueAt) {
		return PeerTask{}, ErrPeerReviewClosed
	}
	a, err := s.store.assignment(ctx, t.AssignmentID)
	if err != nil {
		return PeerTask{}, err
	}
	points, err := s.scoreOf(ctx, a, GradeInput{Levels: levels})
	if err != nil {
		return PeerTask{}, err
	}
	now := s.now()
	t.Levels, t.Points, t.Comment, t.SubmittedAt = levels, &points, comment, &now
	return t, s.store.savePeerReview(ctx, t)
}

// ReviewsOf returns the submitted peer reviews of a submission to whoever
// may read it; its learners see them without the reviewers' names.
func (s *Service) ReviewsOf(ctx context.Context, submissionID uuid.UUID) ([]PeerTask, bool, error) {
	sc, err := s.seeSubmission(ctx, submissionID)
	if err != nil {
		return nil, false, err
	}
	tasks, err := s.store.submissionTasks(ctx, submissionID)
	return tasks, !sc.access.Staff || sc.own, err
}

// peerMean is the mean of a submission's submitted peer reviews; ok is
// false when none was submitted, and the graders' grade then stands alone.
func peerMean(tasks []PeerTask) (float64, bool) {
	sum, n := 0.0, 0
	for _, t := range tasks {
		if t.Points != nil {
			sum, n = sum+*t.Points, n+1
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// withPeers weighs the graders' raw points with the peers' mean by the
// assignment's peer weight.
func withPeers(a Assignment, raw float64, tasks []PeerTask) float64 {
	mean, ok := peerMean(tasks)
	if a.Peer.Reviewers == 0 || a.Peer.Weight == 0 || !ok {
		return raw
	}
	w := a.Peer.Weight / 100
	return (1-w)*raw + w*mean
}
