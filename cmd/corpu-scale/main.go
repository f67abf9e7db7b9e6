// Command corpu-scale makes the national data set (every civil servant of
// Indonesia: 38 provinces, 514 regencies and cities, 30-50 units each) through
// Corpu's own paths, and measures the read paths issue 13 sets targets for.
//
//	corpu-scale -size 1m                 # make (or complete) 1 million people
//	corpu-scale -size 1m -measure        # then measure
//	corpu-scale -measure -size 1m -runs 100 -concurrency 16
//
// Point it at its own database: CORPU_DATABASE_URL=postgres://…/corpu_scale.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"

	"github.com/corpu/corpu/internal/app"
	"github.com/corpu/corpu/internal/platform/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "corpu-scale:", err)
		os.Exit(1)
	}
}

// parseSize reads "1m", "4.3m", "250k" or a plain number of people.
func parseSize(s string) (int, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(strings.ToLower(s), "m"):
		mult, s = 1e6, s[:len(s)-1]
	case strings.HasSuffix(strings.ToLower(s), "k"):
		mult, s = 1e3, s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("size %q: want e.g. 1m, 4.3m or 250k", s)
	}
	return int(f * mult), nil
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("corpu-scale", flag.ContinueOnError)
	size := fs.String("size", "1m", "people in all: 1m, 4.3m, 250k, …")
	workers := fs.Int("workers", 4, "concurrent service calls while generating")
	enrolEvery := fs.Int("enrol-every", 4, "assign every n-th unit to its province's class (0: none)")
	enrolByProvince := fs.Bool("enrol-by-province", false, "assign the provinces one after another instead of in one shuffled national order (a province's enrolments all older than the next's)")
	oneFile := fs.Bool("one-file", false, "import everyone from one national HR file, uploaded in parts, and log its rows/s and peak memory")
	measure := fs.Bool("measure", false, "measure the read paths after generating")
	skipGenerate := fs.Bool("no-generate", false, "only measure")
	runs := fs.Int("runs", 50, "calls per path when measuring")
	concurrency := fs.Int("concurrency", 16, "concurrent calls when measuring")
	only := fs.String("only", "", "measure only the paths whose name contains this (e.g. \"team view\")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	people, err := parseSize(*size)
	if err != nil {
		return err
	}
	cfg, err := config.Load(os.Getenv("CORPU_CONFIG"), os.Environ())
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	deps, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer deps.Close()
	if err := app.Migrate(ctx, deps.DB); err != nil {
		return err
	}
	a, err := app.New(deps)
	if err != nil {
		return err
	}
	rep := app.ScaleReport{}
	if !*skipGenerate {
		rep, err = a.GenerateScale(ctx, app.ScaleOptions{People: people, Workers: *workers, EnrolEvery: *enrolEvery, EnrolByProvince: *enrolByProvince, OneFile: *oneFile, Log: log})
		if err != nil {
			return err
		}
		fmt.Printf("generated %d people: organisations %s (%d new, %d reused), import %s (%d rows in %d provinces), grants %s (%d new), enrolments %s (%d assigned)\n",
			people, rep.Orgs.Round(1e6), rep.OrgsCreated, rep.OrgsReused, rep.Import.Round(1e6), rep.Imported, rep.ProvincesImported,
			rep.Grants.Round(1e6), rep.GrantsCreated, rep.Enrol.Round(1e6), rep.Assigned)
	}
	if !*measure {
		return nil
	}
	units := app.ScaleUnits(people)
	// The supervisor of a unit in the middle of Jawa Timur, the largest
	// province, and the overseer of Jawa Timur.
	var supervisor, overseer string
	for _, u := range units {
		if app.ScaleProvinces[u.Province].Code == "35" {
			if overseer == "" {
				overseer = app.ScaleNIP(u.Index, 0)
			}
			if u.Regency == 10 && u.Index%max(*enrolEvery, 1) == 0 && supervisor == "" {
				supervisor = app.ScaleNIP(u.Index, 0)
			}
		}
	}
	scenarios, err := a.ScaleScenarios(ctx, supervisor, overseer)
	if err != nil {
		return err
	}
	if *only != "" {
		scenarios = slices.DeleteFunc(scenarios, func(s app.ScaleScenario) bool { return !strings.Contains(s.Name, *only) })
	}
	return app.MeasureScale(ctx, scenarios, *runs, *concurrency, os.Stdout)
}
