// Package web is the HTTP plumbing every domain shares: the Echo server and
// its middleware, strict JSON binding, the problem+json error handler, health
// and readiness, metrics, the OpenAPI document and list pagination.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/config"
)

// Check reports whether a dependency answers; nil means it does.
type Check func(ctx context.Context) error

// Options are what the server needs from the outside.
type Options struct {
	Config   config.HTTP
	Log      *slog.Logger
	Registry *prometheus.Registry
	Checks   map[string]Check // dependencies /readyz asks, by name
	OpenAPI  []byte           // served at /openapi.yaml
}

// New returns an Echo server with the middleware, error handler and
// operational endpoints in place; domains add their routes under /api/v1.
func New(opts Options) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = ErrorHandler(opts.Log)
	e.IPExtractor = clientIPExtractor(opts.Config.TrustedProxies)

	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: func() string { return newRequestID() },
		RequestIDHandler: func(c echo.Context, id string) {
			c.SetRequest(c.Request().WithContext(withRequestID(c.Request().Context(), id)))
		},
	}))
	e.Use(clientIP)
	e.Use(accessLog(opts.Log))
	e.Use(newMetrics(opts.Registry).middleware)
	e.Use(recoverPanics(opts.Log))
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  opts.Config.CORSOrigins,
		AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key", "If-Match", "Accept-Language", echo.HeaderXRequestID},
		ExposeHeaders: []string{echo.HeaderXRequestID, "ETag", "Location", "Retry-After", "Idempotent-Replayed"},
		MaxAge:        600,
	}))
	e.Use(middleware.BodyLimit(strconv.FormatInt(opts.Config.BodyLimitBytes, 10) + "B"))
	e.Use(Gzip(GzipConfig{
		MinLength: 1024,
		// promhttp compresses /metrics itself.
		Skipper: func(c echo.Context) bool { return c.Path() == "/metrics" },
	}))
	e.Use(middleware.ContextTimeout(time.Duration(opts.Config.RequestTimeoutSeconds) * time.Second))

	e.GET("/healthz", ok)
	// Ping is the public API's cheapest answer: the baseline a load test
	// compares every other endpoint with.
	e.GET("/api/v1/ping", ok)
	e.GET("/readyz", readiness(opts.Checks))
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{})))
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", opts.OpenAPI)
	})
	return e
}

// okBody is the answer of /healthz and /api/v1/ping, encoded once.
var okBody = []byte(`{"status":"ok"}` + "\n")

// ok answers 200 {"status":"ok"}: the process is up and serving.
func ok(c echo.Context) error {
	return c.JSONBlob(http.StatusOK, okBody)
}

// clientIPExtractor reads the client's address from the connection, or from
// X-Forwarded-For when the request came through a trusted load balancer;
// rate limits and the audit log depend on it being the real client.
func clientIPExtractor(trusted []string) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, cidr := range trusted {
		if _, network, err := net.ParseCIDR(cidr); err == nil {
			opts = append(opts, echo.TrustIPRange(network))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// readiness answers 200 when every dependency answers, else 503 naming the
// ones that do not.
func readiness(checks map[string]Check) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		defer cancel()
		status := map[string]string{}
		var down []string
		for name, check := range checks {
			if err := check(ctx); err != nil {
				status[name] = "down: " + err.Error()
				down = append(down, name)
				continue
			}
			status[name] = "ok"
		}
		if len(down) > 0 {
			sort.Strings(down)
			list := strings.Join(down, ", ")
			lang := Language(c.Request())
			c.Response().Header().Set("Retry-After", "5")
			c.Response().Header().Set(echo.HeaderContentType, ProblemContentType)
			return c.JSON(http.StatusServiceUnavailable, map[string]any{
				"type":   problemTypeBase + "not_ready",
				"title":  titles[kindByStatus[http.StatusServiceUnavailable]].In(lang),
				"status": http.StatusServiceUnavailable,
				"detail": apperr.Text{ID: "Belum siap; tidak terjangkau: " + list + ".", EN: "Not ready; unreachable: " + list + "."}.In(lang),
				"checks": status,
			})
		}
		return c.JSON(http.StatusOK, map[string]any{"status": "ready", "checks": status})
	}
}

func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true,
		LogRemoteIP: true, LogRoutePath: true, LogResponseSize: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "http request",
				slog.String("request_id", v.RequestID), slog.String("method", v.Method),
				slog.String("uri", loggedURI(v.URI)), slog.String("route", v.RoutePath), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("remote_ip", v.RemoteIP),
				slog.Int64("bytes_out", v.ResponseSize))
			return nil
		},
	})
}

// recoverPanics turns a panic into a 500 problem and logs the stack, so one
// bad request never takes the process down.
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					log.ErrorContext(c.Request().Context(), "panic in handler", "panic", r, "stack", string(debug.Stack()))
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return next(c)
		}
	}
}

// Serve runs the server on addr until ctx is done, then stops accepting and
// lets requests in flight finish within shutdownTimeout.
func Serve(ctx context.Context, e *echo.Echo, addr string, shutdownTimeout time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ServeListener(ctx, e, ln, shutdownTimeout)
}

// ServeListener is Serve on a listener the caller opened.
func ServeListener(ctx context.Context, e *echo.Echo, ln net.Listener, shutdownTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
