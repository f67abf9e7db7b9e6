package app

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/platform/page"
)

// ScaleScenario is one read path measured on the national data set.
type ScaleScenario struct {
	Name string
	Run  func(ctx context.Context) (int, error) // returns the items answered
}

// ScaleScenarios are the paths issue 13 sets targets for, called through
// the same service methods the HTTP handlers call, as the caller would be
// after authentication.
func (a *App) ScaleScenarios(ctx context.Context, supervisorNIP, overseerNIP string) ([]ScaleScenario, error) {
	admin, _, err := a.actingAs(ctx, "198001012005011001")
	if err != nil {
		return nil, err
	}
	supervisor, _, err := a.actingAs(ctx, supervisorNIP)
	if err != nil {
		return nil, fmt.Errorf("supervisor %s: %w", supervisorNIP, err)
	}
	overseer, overseerActor, err := a.actingAs(ctx, overseerNIP)
	if err != nil {
		return nil, fmt.Errorf("overseer %s: %w", overseerNIP, err)
	}
	province := uuid.Nil
	for _, g := range overseerActor.Grants {
		if g.OrgID != overseerActor.HomeOrgID {
			province = g.OrgID
		}
	}
	team := func(as context.Context) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			// As the HTTP handler asks by default: newest first.
			res, err := a.delivery.TeamEnrolments(as, delivery.EnrolmentFilter{}, page.Request{Limit: 50, Sort: "-enrolled_at"})
			return len(res.Items), err
		}
	}
	users := func(q string, cursor string) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			res, err := a.identity.SearchUsers(admin, identity.UserFilter{Query: q}, page.Request{Limit: 50, Cursor: cursor})
			return len(res.Items), err
		}
	}
	// A later page: the cursor a reader reaches after paging to the names
	// starting with "m" (the middle of the directory).
	later := page.EncodeCursor(page.Position{Key: "m", ID: uuid.Nil.String()})
	// A later page of the organisation tree: the 60th page of 200.
	treeReq := page.Request{Limit: 200}
	for range 60 {
		res, err := a.identity.Orgs(admin, identity.OrgFilter{}, treeReq)
		if err != nil {
			return nil, err
		}
		if res.NextCursor == "" {
			break
		}
		treeReq.Cursor = res.NextCursor
	}
	return []ScaleScenario{
		{"team view, unit supervisor (first page of 50)", team(supervisor)},
		{"team view, province-wide overseer (first page of 50)", team(overseer)},
		{"directory, platform admin, first page of 50", users("", "")},
		{"directory, platform admin, later page of 50 (from \"m\")", users("", later)},
		{"directory search \"siti\", first page of 50", users("siti", "")},
		{"directory search \"siti\", later page of 50", func(ctx context.Context) (int, error) {
			first, err := a.identity.SearchUsers(admin, identity.UserFilter{Query: "siti"}, page.Request{Limit: 50})
			if err != nil || first.NextCursor == "" {
				return 0, err
			}
			res, err := a.identity.SearchUsers(admin, identity.UserFilter{Query: "siti"}, page.Request{Limit: 50, Cursor: first.NextCursor})
			return len(res.Items), err
		}},
		{"organisation tree, children of a province", func(context.Context) (int, error) {
			res, err := a.identity.Orgs(admin, identity.OrgFilter{ParentID: province}, page.Request{Limit: 200})
			return len(res.Items), err
		}},
		{"organisation tree, page 60 of 200 (whole tree by cursor)", func(context.Context) (int, error) {
			res, err := a.identity.Orgs(admin, identity.OrgFilter{}, treeReq)
			return len(res.Items), err
		}},
	}, nil
}

// MeasureScale runs each scenario runs times one at a time (p50, p95, max,
// bytes allocated per call) and then runs times on concurrency goroutines
// (p95 and calls per second), and writes a Markdown table.
func MeasureScale(ctx context.Context, scenarios []ScaleScenario, runs, concurrency int, w io.Writer) error {
	fmt.Fprintf(w, "| path | items | p50 | p95 | max | alloc/call | p95 at %d concurrent | calls/s at %d |\n|---|---|---|---|---|---|---|---|\n", concurrency, concurrency)
	for _, s := range scenarios {
		if _, err := s.Run(ctx); err != nil { // warm
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		var items int
		seq := make([]time.Duration, runs)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range runs {
			start := time.Now()
			n, err := s.Run(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
			seq[i], items = time.Since(start), n
		}
		runtime.ReadMemStats(&after)
		conc := make([]time.Duration, runs)
		var mu sync.Mutex
		var firstErr error
		start := time.Now()
		_ = parallel(runs, concurrency, func(i int) error {
			t := time.Now()
			_, err := s.Run(ctx)
			conc[i] = time.Since(t)
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
			return nil
		})
		wall := time.Since(start)
		if firstErr != nil {
			return fmt.Errorf("%s concurrently: %w", s.Name, firstErr)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %.1f KiB | %s | %.0f |\n", s.Name, items, ms(pct(seq, 50)), ms(pct(seq, 95)),
			ms(pct(seq, 100)), float64(after.TotalAlloc-before.TotalAlloc)/float64(runs)/1024, ms(pct(conc, 95)),
			float64(runs)/wall.Seconds())
	}
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(i, len(s))-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
