package job

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestOverNamesTheJobsThatEndedBeforeATimeAndThoseThatDoNotExist(t *testing.T) {
	t.Parallel()
	svc, _, _ := newTestService(t)
	ended := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	svc.now = func() time.Time { return ended }
	owner, worker := asUser(), context.Background()
	job := func(end func(id uuid.UUID) error) uuid.UUID {
		t.Helper()
		j, err := svc.Create(owner, "user_import", "", uuid.New(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if end != nil {
			if err := end(j.ID); err != nil {
				t.Fatal(err)
			}
		}
		return j.ID
	}
	start := func(id uuid.UUID) error { _, err := svc.Start(worker, id); return err }
	queued := job(nil)
	running := job(start)
	succeeded := job(func(id uuid.UUID) error { _ = start(id); return svc.Succeed(worker, id, nil, "", "") })
	failed := job(func(id uuid.UUID) error { _ = start(id); return svc.Fail(worker, id, "broken file") })
	cancelled := job(func(id uuid.UUID) error { _, err := svc.Cancel(owner, id); return err })
	gone := uuid.New()
	all := []uuid.UUID{queued, running, succeeded, failed, cancelled, gone}

	tests := []struct {
		name   string
		before time.Time
		want   []uuid.UUID
	}{
		{"after they ended: the ended ones and the missing one", ended.Add(time.Minute), []uuid.UUID{succeeded, failed, cancelled, gone}},
		{"before they ended: only the missing one", ended.Add(-time.Minute), []uuid.UUID{gone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.Over(context.Background(), all, tt.before)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Over = %v, want %v", got, tt.want)
			}
			for _, id := range tt.want {
				if !slices.Contains(got, id) {
					t.Errorf("Over = %v, want it to hold %v", got, id)
				}
			}
		})
	}
	if got, err := svc.Over(context.Background(), nil, ended); err != nil || len(got) != 0 {
		t.Errorf("Over(no ids) = %v, %v; want nothing", got, err)
	}
}
