package assignment

import (
	"testing"

	"github.com/google/uuid"
)

func people(n int) []uuid.UUID {
	out := make([]uuid.UUID, n)
	for i := range out {
		out[i] = uuid.New()
	}
	return out
}

func TestPeersAreNeverTheirOwnOrTheirGroupsReviewersAndShareTheWork(t *testing.T) {
	learners := people(6)
	// Two groups of three.
	targets := []peerTarget{{SubmissionID: uuid.New(), Excluded: learners[:3]}, {SubmissionID: uuid.New(), Excluded: learners[3:]}}
	got := allocatePeers(targets, learners, 2)
	load := map[uuid.UUID]int{}
	for _, tg := range targets {
		if len(got[tg.SubmissionID]) != 2 {
			t.Fatalf("submission got %d reviewers, want 2", len(got[tg.SubmissionID]))
		}
		for _, r := range got[tg.SubmissionID] {
			for _, ex := range tg.Excluded {
				if r == ex {
					t.Errorf("a member of the group reviews its own work")
				}
			}
			load[r]++
		}
	}
	for r, n := range load {
		if n > 1 {
			t.Errorf("reviewer %s has %d reviews while others have none", r, n)
		}
	}
}

func TestAClassTooSmallForKPeersGetsFewerReviewersInsteadOfBlocking(t *testing.T) {
	for name, tt := range map[string]struct {
		learners int
		want     int
	}{
		"a class of two gets one reviewer each": {2, 1},
		"a class of one gets none":              {1, 0},
		"a class of four gets three each":       {4, 3},
	} {
		t.Run(name, func(t *testing.T) {
			learners := people(tt.learners)
			targets := make([]peerTarget, len(learners))
			for i, l := range learners {
				targets[i] = peerTarget{SubmissionID: uuid.New(), Excluded: []uuid.UUID{l}}
			}
			got := allocatePeers(targets, learners, 3)
			for i, tg := range targets {
				if len(got[tg.SubmissionID]) != tt.want {
					t.Errorf("submission %d got %d reviewers, want %d", i, len(got[tg.SubmissionID]), tt.want)
				}
			}
		})
	}
}

func TestThePeersWeighTheFinalGradeOnlyWhenSomeoneReviewed(t *testing.T) {
	a := Assignment{MaxPoints: 100, Peer: PeerReview{Reviewers: 2, Weight: 25}}
	sixty := 60.0
	if got := withPeers(a, 80, []PeerTask{{Points: &sixty}, {}}); got != 75 {
		t.Errorf("80 by the graders, 60 by the one peer who reviewed, 25%% weight = %v, want 75", got)
	}
	if got := withPeers(a, 80, []PeerTask{{}, {}}); got != 80 {
		t.Errorf("no peer reviewed = %v, want the graders' 80", got)
	}
}
