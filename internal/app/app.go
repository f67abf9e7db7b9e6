// Package app wires Corpu together: it opens PostgreSQL, Redis and the object
// store, builds each domain's service, and mounts their HTTP routes and task
// handlers. cmd/corpu and the end-to-end tests both start Corpu through it.
package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/assets"
	"github.com/corpu/corpu/internal/assignment"
	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/certificate"
	"github.com/corpu/corpu/internal/course"
	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/gradebook"
	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/identity/password"
	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/idempotency"
	"github.com/corpu/corpu/internal/platform/mail"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/platform/web"
	"github.com/corpu/corpu/internal/platform/webpage"
	"github.com/corpu/corpu/internal/quiz"
	"github.com/corpu/corpu/internal/upload"
)

// Deps are the connections every part of Corpu shares.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	DB     *database.DB
	Redis  redis.UniversalClient
	Store  *objectstore.Store
	Queues queue.Names
}

// Open connects to the three services; an error names the one that is down
// and how to start it.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*Deps, error) {
	db, err := database.Open(ctx, cfg.Database, log)
	if err != nil {
		return nil, err
	}
	rdb, err := queue.OpenRedis(ctx, cfg.Redis)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	store, err := objectstore.Open(ctx, cfg.ObjectStore)
	if err != nil {
		_ = db.Close()
		_ = rdb.Close()
		return nil, err
	}
	// Pages send uploads straight to the bucket; a store without CORS
	// support leaves the API's uploads working and only the pages' failing.
	if err := store.AllowBrowserOrigins(ctx, siteOrigins(cfg.HTTP)); err != nil {
		log.WarnContext(ctx, "the pages cannot upload to the object store", "err", err)
	}
	return &Deps{Config: cfg, Log: log, DB: db, Redis: rdb, Store: store, Queues: queue.NewNames(cfg.Queue.Namespace)}, nil
}

// siteOrigins are the origins the site's pages are served from: the public
// URL's, and those allowed to call the API.
func siteOrigins(cfg config.HTTP) []string {
	origins := slices.Clone(cfg.CORSOrigins)
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" {
		origins = append(origins, u.Scheme+"://"+u.Host)
	}
	return origins
}

// Close closes the connections.
func (d *Deps) Close() error {
	return errors.Join(d.DB.Close(), d.Redis.Close())
}

// App is a wired Corpu: its services, ready to serve HTTP or run tasks.
type App struct {
	deps     *Deps
	outbox   *queue.Outbox
	events   *queue.Bus
	registry *prometheus.Registry
	http     *echo.Echo

	audit    *audit.Service
	identity *identity.Service
	auth     *identity.Auth
	uploads  *upload.Service
	jobs     *job.Service
	importer *identity.Importer
	courses  *course.Service
	delivery *delivery.Service
	quizzes  *quiz.Service
	certs    *certificate.Service
	grades   *gradebook.Service
	assign   *assignment.Service
}

// New builds every domain's service over deps.
func New(deps *Deps) (*App, error) {
	a := &App{deps: deps, outbox: queue.NewOutbox(deps.DB), events: queue.NewBus(deps.DB, deps.Log), registry: prometheus.NewRegistry()}
	// Identity resolves organisation paths for the audit log and records its
	// own changes in it: the directory comes first, then the service.
	directory := identity.NewService(deps.DB, nil)
	a.audit = audit.NewService(deps.DB, directory)
	a.identity = identity.NewService(deps.DB, a.audit)
	a.identity.SetPasswordParams(passwordParams(deps.Config.Auth))
	a.uploads = upload.NewService(deps.DB, deps.Store, a.identity)
	a.jobs = job.NewService(deps.DB, deps.Store)
	a.importer = identity.NewImporter(a.identity, a.uploads, a.jobs, deps.Store, a.outbox)
	a.courses = course.NewService(deps.DB, a.identity, a.audit, a.uploads)
	a.delivery = delivery.NewService(delivery.Deps{
		DB: deps.DB, Outbox: a.outbox, Auditor: a.audit,
		Catalogue: deliveryCatalogue{courses: a.courses},
		Directory: deliveryDirectory{people: a.identity},
	})
	// Learners may download a course's media while enrolled in it.
	a.courses.SetAccess(a.delivery)
	classes := newQuizClasses(a.delivery, a.identity)
	a.quizzes = quiz.NewService(quiz.Deps{DB: deps.DB, Outbox: a.outbox, Auditor: a.audit, Orgs: a.identity,
		Courses: quizCourses{courses: a.courses}, Classes: classes,
		SaveGrace:           time.Duration(deps.Config.Quiz.SaveGraceSeconds) * time.Second,
		MaxConcurrentStarts: deps.Config.Quiz.MaxConcurrentStarts, MaxConcurrentSubmits: deps.Config.Quiz.MaxConcurrentSubmits})
	a.quizzes.SetJobs(a.jobs)
	a.quizzes.SetImportFiles(a.uploads, deps.Store)
	a.quizzes.SetMedia(a.uploads, a.uploads)
	a.grades = gradebook.NewService(gradebook.Deps{DB: deps.DB, Outbox: a.outbox, Auditor: a.audit, Jobs: a.jobs, Objects: deps.Store,
		Classes: newGradebookClasses(a.delivery, a.courses, a.identity, classes)})
	a.assign = assignment.NewService(assignment.Deps{DB: deps.DB, Outbox: a.outbox, Auditor: a.audit, Orgs: a.identity,
		Courses: assignmentCourses{courses: a.courses}, Classes: assignmentClasses{classes},
		Files: a.uploads, Notify: staffMail{delivery: a.delivery, people: a.identity, outbox: a.outbox}})
	a.assign.SetExport(a.jobs, deps.Store)
	// A new draft of a course copies its quizzes and assignments with its curriculum.
	a.courses.SetItemCopier(itemCopiers{a.quizzes, a.assign})
	if err := a.newAuth(); err != nil {
		return nil, err
	}
	if err := a.newCertificates(); err != nil {
		return nil, err
	}
	a.subscribe()
	a.registerMetrics()
	server, err := a.newHTTP()
	if err != nil {
		return nil, err
	}
	a.http = server
	return a, nil
}

// examBatch is how many jobs or events of an exam's grading one task
// carries (queue.InBatchesOf, quiz.GradeTaskSize).
const examBatch = quiz.GradeTaskSize

// subscribe routes what the outbox holds to its consumers and registers the
// periodic sweeps (see queue.Bus). A new consumer of an event subscribes here.
func (a *App) subscribe() {
	sender := mail.NewSender(a.deps.Config.Mail, a.deps.Log)
	a.events.Handle(identity.TypeSendMail, a.auth.HandleSendMail(sender))
	a.events.Handle(identity.TypeImportUsers, a.importer.HandleImportUsers, queue.OwnTransactions(), queue.WithTimeout(identity.ImportTimeout))
	a.importer.Sweeps(a.events, a.deps.Log) // what imports whose process died left in import_claims
	a.events.Subscribe(delivery.TypeEnrolmentCompleted, delivery.ConsumerCompletionMail, a.delivery.HandleEnrolmentCompleted(sender))
	// Delivery keeps each enrolment's learner key (the learner's unit path)
	// as people transfer and organisations move. Identity announces the
	// imports for the rollups and profiles to come; until a consumer
	// subscribes, the relay marks them delivered.
	a.events.Subscribe(identity.EventUserTransferred, delivery.ConsumerLearnerTransferred, a.delivery.HandleUserTransferred)
	a.events.Subscribe(identity.EventOrganizationMoved, delivery.ConsumerLearnerUnitMoved, a.delivery.HandleOrganizationMoved)
	a.events.Declare(identity.EventUsersImported)
	// Quiz grading runs on the bus exactly once per submit; a passed quiz
	// shows as completed in delivery. An exam grades thousands of attempts
	// a minute, so grading and the consumers of each graded attempt take
	// them a hundred to a task.
	a.events.HandleBatches(quiz.TypeGradeAttempt, examBatch, a.quizzes.HandleGradeAttempts, queue.OnQueue(queue.Critical))
	a.events.Subscribe(quiz.TypeAttemptGraded, delivery.ConsumerQuizPassed, a.delivery.HandleQuizAttemptGraded, queue.InBatchesOf(examBatch))
	// The gradebook keeps the grades of quizzes, assignments and attendance
	// and is the one authority on passing the graded items: delivery's
	// completion rule reads its result.
	a.events.SubscribeBatches(quiz.TypeAttemptGraded, gradebook.ConsumerQuizGrade, examBatch, a.grades.HandleQuizAttemptsGraded)
	a.events.Subscribe(gradebook.EventAssignmentGraded, gradebook.ConsumerAssignmentGrade, a.grades.HandleAssignmentGraded)
	a.events.Subscribe(delivery.TypeAttendanceChanged, gradebook.ConsumerAttendance, a.grades.HandleAttendanceChanged)
	a.events.SubscribeBatches(gradebook.TypeResultChanged, delivery.ConsumerGradebookResult, examBatch, a.delivery.HandleGradebookResults)
	a.events.Handle(gradebook.TypeRecomputeClass, a.grades.HandleRecomputeClass)
	a.events.Handle(gradebook.TypeExport, a.grades.HandleExport, queue.OwnTransactions())
	a.events.Handle(quiz.TypeStatistics, a.quizzes.HandleStatistics, queue.OwnTransactions())
	a.events.Handle(quiz.TypeRegrade, a.quizzes.HandleRegrade, queue.OwnTransactions())
	a.events.Handle(quiz.TypeImportQuestions, a.quizzes.HandleImportQuestions, queue.OwnTransactions())
	a.quizzes.Sweeps(a.events)
	// Certificates: one per completed enrolment, issued by its own consumer
	// of the completion; bulk issues run as jobs; sweeps recover what a lost
	// task missed and remind holders before expiry.
	a.events.Subscribe(delivery.TypeEnrolmentCompleted, certificate.ConsumerCompletion, a.certs.HandleEnrolmentCompleted)
	a.events.Handle(certificate.TypeBulkIssue, a.certs.HandleBulkIssue, queue.OwnTransactions())
	a.events.Declare(certificate.EventIssued)
	a.events.Declare(certificate.EventRevoked)
	a.certs.Sweeps(a.events, a.deps.Log)
	a.events.Handle(assignment.TypeCheckSubmission, a.assign.HandleCheckSubmission)
	a.events.Handle(assignment.TypeExportSubmissions, a.assign.HandleExportSubmissions, queue.OwnTransactions())
	a.assign.Sweeps(a.events)
	retention := time.Duration(a.deps.Config.Queue.OutboxRetentionHours) * time.Hour
	a.events.Reconcile("outbox-purge", "29 * * * *", func(ctx context.Context) error {
		_, err := a.outbox.Purge(ctx, retention)
		return err
	})
}

func (a *App) newAuth() error {
	cfg := a.deps.Config.Auth
	keys, err := loadSigningKeys(cfg, a.deps.Config.Env, a.deps.Log)
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	issuer := token.NewIssuer(keys, cfg.Issuer, time.Duration(cfg.AccessTTLSeconds)*time.Second, nil)
	a.auth = identity.NewAuth(a.deps.DB, a.identity, issuer, keys, a.outbox, a.deps.Redis, identity.AuthConfig{
		RefreshTTL: time.Duration(cfg.RefreshTTLSeconds) * time.Second,
		PublicURL:  a.deps.Config.HTTP.PublicURL,
		KeyPrefix:  a.deps.Queues.Of("auth") + ":",
	})
	a.auth.SetActorCache(identity.ActorCacheConfig{TTL: time.Duration(cfg.ActorCacheTTLSeconds) * time.Second, Size: cfg.ActorCacheSize})
	password.SetLimits(password.Limits{Concurrency: cfg.HashConcurrency, Queue: cfg.HashQueue})
	return nil
}

// loadSigningKeys reads "current.pem,previous.pem,…": older keys still verify
// tokens during a rotation. Without a file a key is generated per process,
// which development allows and configuration validation refuses in production.
func loadSigningKeys(cfg config.Auth, env string, log *slog.Logger) (*token.KeySet, error) {
	if cfg.SigningKeyDir != "" {
		return loadKeyDir(cfg.SigningKeyDir, env, log)
	}
	if cfg.SigningKeyFile == "" {
		return token.GenerateKeySet()
	}
	return token.LoadKeySet(strings.Split(cfg.SigningKeyFile, ",")...)
}

// newCertificates builds the certificate service. The gradebook's final
// grades are not wired yet: certificates show no grade until they are.
func (a *App) newCertificates() error {
	masterKey := certificate.DevelopmentMasterKey()
	if encoded := a.deps.Config.Certificate.MasterKey; encoded != "" {
		key, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			return fmt.Errorf("certificate.master_key: %w", err)
		}
		masterKey = key
	}
	certs, err := certificate.NewService(certificate.Deps{DB: a.deps.DB, Outbox: a.outbox, Auditor: a.audit, Objects: a.deps.Store,
		Directory:  certificateDirectory{people: a.identity},
		Enrolments: certificateEnrolments{delivery: a.delivery, courses: a.courses},
		Jobs:       certificateJobs{jobs: a.jobs}, Images: certificateImages{uploads: a.uploads}, MasterKey: masterKey, KeyDir: a.deps.Config.Certificate.KeyDir,
		PublicURL:    a.deps.Config.HTTP.PublicURL,
		ReminderDays: a.deps.Config.Certificate.ReminderDays, Grades: a.grades})
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	a.certs = certs
	return nil
}

// HTTP returns the API server with every route mounted.
func (a *App) HTTP() *echo.Echo { return a.http }

func (a *App) newHTTP() (*echo.Echo, error) {
	e := web.New(web.Options{
		Config:   a.deps.Config.HTTP,
		Log:      a.deps.Log,
		Registry: a.registry,
		OpenAPI:  assets.OpenAPI,
		Checks: map[string]web.Check{
			"postgres":    a.deps.DB.Ping,
			"redis":       func(ctx context.Context) error { return a.deps.Redis.Ping(ctx).Err() },
			"objectstore": a.deps.Store.Ping,
		},
	})
	site, err := a.newSite(e)
	if err != nil {
		return nil, err
	}
	authHandler := identity.NewAuthHandler(a.auth)
	authHandler.MountWellKnown(e)
	authHandler.MountPublic(e.Group("/api/v1"))
	// Anyone verifies a certificate without signing in.
	verification := certificate.NewPublicHandler(a.certs, a.deps.Config.Certificate.VerifyPDFLimitBytes)
	verification.MountAPI(e.Group("/api/v1"))

	// Admission comes first, so that authentication's queries are bounded
	// too. Idempotency keys are per caller, so they are read after sign-in.
	// The pages' scripts reach the API with the session cookie and the CSRF
	// header (webpage.Site.APIBridge).
	httpCfg := a.deps.Config.HTTP
	admission := web.Admission(httpCfg.MaxInFlight, time.Duration(httpCfg.AdmissionWaitMS)*time.Millisecond)
	api := e.Group("/api/v1", admission, site.APIBridge, a.auth.Middleware(), idempotency.Middleware(a.deps.DB, idempotency.Options{Log: a.deps.Log}))
	authHandler.Mount(api)
	identity.NewHandler(a.identity).Mount(api)
	audit.NewHandler(a.audit).Mount(api)
	upload.NewHandler(a.uploads).Mount(api)
	job.NewHandler(a.jobs).Mount(api)
	identity.NewImportHandler(a.importer).Mount(api)
	course.NewHandler(a.courses).Mount(api)
	delivery.NewHandler(a.delivery).Mount(api)
	quiz.NewHandler(a.quizzes).Mount(api)
	certificate.NewHandler(a.certs).Mount(api)
	gradebook.NewHandler(a.grades).Mount(api)
	assignment.NewHandler(a.assign).Mount(api)
	return e, nil
}

// newSite mounts the web pages at "/": each domain's pages over the same
// services as its API.
func (a *App) newSite(e *echo.Echo) (*webpage.Site, error) {
	files, err := fs.Sub(assets.Web, "web")
	if err != nil {
		return nil, fmt.Errorf("web assets: %w", err)
	}
	httpCfg := a.deps.Config.HTTP
	site, err := webpage.New(webpage.Options{Files: files, Sessions: a.auth.PageSessions(), Log: a.deps.Log,
		Secure: a.deps.Config.Env == "production" || strings.HasPrefix(httpCfg.PublicURL, "https://"), UploadOrigins: []string{a.deps.Store.Origin()}})
	if err != nil {
		return nil, err
	}
	site.Mount(e)
	e.HTTPErrorHandler = site.ErrorHandler(e.HTTPErrorHandler)
	identity.NewPages(a.auth, site).Mount()
	course.NewPages(a.courses, site).Mount()
	delivery.NewPages(a.delivery, site, httpCfg.PublicURL).Mount()
	quiz.NewPages(a.quizzes, site).Mount()
	certificate.NewPages(a.certs, site, a.jobs, certificateClasses{delivery: a.delivery}).Mount()
	identity.NewImportPages(a.importer, site).Mount()
	names := pageNames{courses: a.courses, delivery: a.delivery, people: a.identity}
	assignment.NewPages(a.assign, site, names).Mount()
	gradebook.NewPages(a.grades, site, names, a.jobs).Mount()
	return site, nil
}

// Worker returns the task server with every handler and periodic task registered.
func (a *App) Worker() (*queue.Worker, error) {
	w := queue.NewWorker(a.deps.Redis, a.deps.Queues, queue.WorkerOptions{
		Concurrency:     a.deps.Config.Queue.Concurrency,
		ShutdownTimeout: time.Duration(a.deps.Config.HTTP.ShutdownTimeoutSeconds) * time.Second,
		Log:             a.deps.Log,
	})
	if err := a.events.Mount(w); err != nil {
		return nil, err
	}
	w.Handle(idempotency.TypePurge, idempotency.HandlePurge(a.deps.DB))
	w.Handle(upload.TypeCleanup, a.uploads.HandleCleanup)
	w.Handle(typeAnalyzeStale, a.analyzeStale)
	for _, p := range []struct{ cron, task string }{
		{"17 * * * *", upload.TypeCleanup},
		{"43 * * * *", idempotency.TypePurge},
		{"@every 15s", typeAnalyzeStale},
	} {
		if err := w.Every(p.cron, p.task, queue.Low); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// typeAnalyzeStale is the periodic task that brings the planner's statistics
// up to date in tables that changed fast (see database.AnalyzeStale).
const typeAnalyzeStale = "database:analyze-stale"

func (a *App) analyzeStale(ctx context.Context, _ *asynq.Task) error {
	tables, err := database.AnalyzeStale(ctx, a.deps.DB)
	if len(tables) > 0 {
		a.deps.Log.InfoContext(ctx, "analyzed tables whose statistics were stale", "tables", tables)
	}
	return err
}

// Relay returns the outbox relay, routing by the app's bus.
func (a *App) Relay() *queue.Relay {
	relay := a.events.Relay(a.deps.Redis, a.deps.Queues, a.deps.Log)
	relay.RedeliverAfter = time.Duration(a.deps.Config.Queue.RedeliverAfterSeconds) * time.Second
	return relay
}

// RunWorker processes tasks and relays the outbox until ctx is done.
func (a *App) RunWorker(ctx context.Context) error {
	w, err := a.Worker()
	if err != nil {
		return err
	}
	relay := a.Relay()
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		relay.Run(ctx, time.Duration(a.deps.Config.Queue.OutboxPollMS)*time.Millisecond)
	}()
	err = w.Run(ctx)
	<-relayDone
	return err
}

func (a *App) registerMetrics() {
	a.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(a.deps.DB.SQL(), "corpu"),
		queue.NewCollector(a.deps.DB, a.deps.Redis, a.deps.Queues),
		a.events,
	)
}

// MetricsHandler serves the Prometheus registry: the worker's /metrics.
func (a *App) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{})
}

// Migrate applies pending migrations.
func Migrate(ctx context.Context, db *database.DB) error {
	if err := database.MigrateUp(ctx, db.SQL()); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// passwordParams are the argon2id parameters the configuration asks for.
func passwordParams(cfg config.Auth) password.Params {
	p := password.DefaultParams
	p.Memory, p.Iterations, p.Parallelism = uint32(cfg.PasswordMemoryKiB), uint32(cfg.PasswordIterations), uint8(cfg.PasswordParallelism)
	return p
}
