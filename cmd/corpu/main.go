// Command corpu is the one binary of Corpu: the API server, the task worker,
// migrations and demo data.
//
//	corpu [--config file] serve [--migrate]   the HTTP API
//	corpu [--config file] worker              Asynq tasks, the scheduler and the outbox relay;
//	                                          /metrics and /healthz on worker.metrics_addr
//	corpu [--config file] dev                 serve and worker in one process, migrated and seeded
//	corpu [--config file] migrate up|down|status
//	corpu [--config file] seed [--migrate]    demo organisations, users and courses
//	corpu healthcheck [--url http://...]      exit 0 when /healthz answers (for containers)
//	corpu keys create|rotate --dir DIR        Ed25519 signing keys shared by every process
//	corpu version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/corpu/corpu/internal/app"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/web"
)

const usage = `usage: corpu [--config file] <command>

commands:
  serve [--migrate] [--pprof ADDR]
                           run the HTTP API (with --migrate, apply migrations first;
                           with --pprof, Go's profiler on a loopback ADDR)
  worker                   run background tasks, the scheduler and the outbox relay
                           (with /metrics and /healthz on worker.metrics_addr)
  dev [--pprof ADDR]       migrate, seed, and run serve and worker in one process
  migrate up|down|status   manage the database schema
  seed [--migrate]         load demo data (idempotent; with --migrate, apply migrations first)
  healthcheck [--url URL]  exit 0 when the API's /healthz answers
  keys create|rotate --dir DIR [--retain 24h]
                           create or rotate the signing keys every process shares
  version                  print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpu:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	global := flag.NewFlagSet("corpu", flag.ContinueOnError)
	configPath := global.String("config", defaultConfigPath(), "configuration file (CORPU_* variables override it)")
	global.Usage = func() { fmt.Fprint(global.Output(), usage) }
	if err := global.Parse(args); err != nil {
		return err
	}
	if global.NArg() == 0 {
		global.Usage()
		return errors.New("no command given")
	}
	cmd, rest := global.Arg(0), global.Args()[1:]

	switch cmd {
	case "version":
		_, err := fmt.Fprintln(stdout, version())
		return err
	case "healthcheck":
		return healthcheck(ctx, rest, os.Environ())
	case "keys":
		return keys(rest, os.Environ(), stdout)
	}

	cfg, err := config.Load(*configPath, os.Environ())
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, os.Stderr)
	log.Info("starting corpu", "command", cmd, "version", version(), "config", cfg.Redacted())
	for _, w := range config.UnknownEnv(os.Environ()) {
		log.Warn(w)
	}

	switch cmd {
	case "serve":
		flags := flag.NewFlagSet("serve", flag.ContinueOnError)
		migrate := flags.Bool("migrate", false, "apply pending migrations before serving")
		pprofAddr := flags.String("pprof", "", "serve Go's profiler at /debug/pprof/ on this loopback address")
		if err := flags.Parse(rest); err != nil {
			return err
		}
		return withApp(ctx, cfg, log, *migrate, false, func(a *app.App) error {
			g, ctx := errgroup.WithContext(ctx)
			if *pprofAddr != "" {
				g.Go(func() error { return servePprof(ctx, *pprofAddr, log) })
			}
			g.Go(func() error { return serveHTTP(ctx, a, cfg, log) })
			return g.Wait()
		})
	case "worker":
		return withApp(ctx, cfg, log, false, false, func(a *app.App) error {
			g, ctx := errgroup.WithContext(ctx)
			if addr := cfg.Worker.MetricsAddr; addr != "" {
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("worker metrics on %s (worker.metrics_addr): %w", addr, err)
				}
				log.Info("serving the worker's metrics", "addr", addr)
				g.Go(func() error { return serveWorkerMetrics(ctx, ln, a.MetricsHandler()) })
			}
			g.Go(func() error { return a.RunWorker(ctx) })
			return g.Wait()
		})
	case "dev":
		flags := flag.NewFlagSet("dev", flag.ContinueOnError)
		pprofAddr := flags.String("pprof", "", "serve Go's profiler at /debug/pprof/ on this loopback address")
		if err := flags.Parse(rest); err != nil {
			return err
		}
		return withApp(ctx, cfg, log, true, true, func(a *app.App) error {
			g, ctx := errgroup.WithContext(ctx)
			if *pprofAddr != "" {
				g.Go(func() error { return servePprof(ctx, *pprofAddr, log) })
			}
			g.Go(func() error { return serveHTTP(ctx, a, cfg, log) })
			g.Go(func() error { return a.RunWorker(ctx) })
			return g.Wait()
		})
	case "seed":
		flags := flag.NewFlagSet("seed", flag.ContinueOnError)
		migrate := flags.Bool("migrate", false, "apply pending migrations before seeding")
		if err := flags.Parse(rest); err != nil {
			return err
		}
		return withApp(ctx, cfg, log, *migrate, true, func(*app.App) error { return nil })
	case "migrate":
		return migrate(ctx, cfg, log, rest, stdout)
	default:
		global.Usage()
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// withApp opens the services, optionally migrates and seeds, and runs fn.
func withApp(ctx context.Context, cfg config.Config, log *slog.Logger, migrate, seed bool, fn func(*app.App) error) error {
	deps, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer deps.Close()
	if migrate {
		if err := app.Migrate(ctx, deps.DB); err != nil {
			return err
		}
	} else if err := database.CheckSchema(ctx, deps.DB.SQL()); err != nil {
		return err
	}
	a, err := app.New(deps)
	if err != nil {
		return err
	}
	if seed {
		if err := a.Seed(ctx); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		log.Info("demo data is in place")
	}
	return fn(a)
}

func serveHTTP(ctx context.Context, a *app.App, cfg config.Config, log *slog.Logger) error {
	log.Info("serving the API", "addr", cfg.HTTP.Addr, "url", cfg.HTTP.PublicURL)
	err := web.Serve(ctx, a.HTTP(), cfg.HTTP.Addr, time.Duration(cfg.HTTP.ShutdownTimeoutSeconds)*time.Second)
	log.Info("the API stopped")
	return err
}

// serveWorkerMetrics serves the worker's Prometheus metrics at /metrics and
// its liveness at /healthz on ln until ctx is done.
func serveWorkerMetrics(ctx context.Context, ln net.Listener, metrics http.Handler) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return err
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: corpu migrate up|down|status")
	}
	db, err := database.Open(ctx, cfg.Database, log)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "up":
		return database.MigrateUp(ctx, db.SQL())
	case "down":
		return database.MigrateDown(ctx, db.SQL())
	case "status":
		return database.MigrateStatus(ctx, db.SQL(), stdout)
	default:
		return fmt.Errorf("unknown migrate command %q: want up, down or status", args[0])
	}
}

func healthcheck(ctx context.Context, args, environ []string) error {
	flags := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	url := flags.String("url", "", "health endpoint to ask (default: /healthz on CORPU_HTTP_ADDR, or :8080)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		u, err := healthURL(lookupEnv(environ, "CORPU_HTTP_ADDR"))
		if err != nil {
			return err
		}
		*url = u
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", *url, resp.Status)
	}
	return nil
}

// defaultConfigPath is the first configuration file present: the one in the
// repository for developers, the one in /etc for containers; none means the
// embedded defaults.
func defaultConfigPath() string {
	for _, p := range []string{"configs/corpu.yaml", "/etc/corpu/corpu.yaml"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "corpu (unknown version)"
	}
	rev := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			rev = s.Value
		}
	}
	return "corpu " + rev + " " + info.GoVersion
}
