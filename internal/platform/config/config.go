// Package config loads Corpu's typed configuration: the defaults in
// configs/corpu.yaml, an optional file on top, then CORPU_* environment
// variables, and validates the result before anything starts.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/corpu/corpu/configs"
)

// Config is the whole configuration of a Corpu process.
type Config struct {
	Env         string      `yaml:"env"`
	Log         Log         `yaml:"log"`
	HTTP        HTTP        `yaml:"http"`
	Database    Database    `yaml:"database"`
	Redis       Redis       `yaml:"redis"`
	ObjectStore ObjectStore `yaml:"objectstore"`
	Queue       Queue       `yaml:"queue"`
	Worker      Worker      `yaml:"worker"`
	Auth        Auth        `yaml:"auth"`
	Mail        Mail        `yaml:"mail"`
	Quiz        Quiz        `yaml:"quiz"`
	Certificate Certificate `yaml:"certificate"`
}

// Log configures log/slog.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// HTTP configures the API server.
type HTTP struct {
	Addr                  string `yaml:"addr"`
	PublicURL             string `yaml:"public_url"`
	BodyLimitBytes        int64  `yaml:"body_limit_bytes"`
	RequestTimeoutSeconds int    `yaml:"request_timeout_seconds"`
	// MaxInFlight bounds the signed-in API requests one process works on at
	// once; a request beyond waits up to AdmissionWaitMS for a place, then
	// gets 503 with Retry-After, so an overload is turned away at the door
	// instead of timing out in the queue for database connections.
	MaxInFlight            int      `yaml:"max_in_flight"`
	AdmissionWaitMS        int      `yaml:"admission_wait_ms"`
	ShutdownTimeoutSeconds int      `yaml:"shutdown_timeout_seconds"`
	CORSOrigins            []string `yaml:"cors_origins"`
	// TrustedProxies are the networks (CIDR) of the load balancers in front
	// of the API; the client address is read from X-Forwarded-For only when
	// the request comes through one of them.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Database configures the PostgreSQL pool.
type Database struct {
	URL          string `yaml:"url" secret:"true"`
	MaxOpenConns int    `yaml:"max_open_conns"`
	// MaxIdleConns should equal MaxOpenConns: with fewer, every connection
	// returned beyond them is closed, and under steady load the pool opens a
	// new backend (and prepares its statements again) for many requests.
	MaxIdleConns           int `yaml:"max_idle_conns"`
	ConnMaxLifetimeSeconds int `yaml:"conn_max_lifetime_seconds"`
	// ConnMaxIdleTimeSeconds closes connections unused this long; 0 = never.
	ConnMaxIdleTimeSeconds int `yaml:"conn_max_idle_time_seconds"`
	// LogValues puts the values of a failed or slow statement into the log
	// next to its SQL. Load sets it only in development at log level debug:
	// elsewhere statements are logged with placeholders, since their values
	// are e-mail addresses, NIPs and the like.
	LogValues bool `yaml:"-"`
}

// Redis configures the connection Asynq uses: one server at Addr, or the
// master that Redis Sentinel names when Sentinel.MasterName is set.
type Redis struct {
	Addr     string        `yaml:"addr"`
	Password string        `yaml:"password" secret:"true"`
	DB       int           `yaml:"db"`
	Sentinel RedisSentinel `yaml:"sentinel"`
}

// RedisSentinel locates the Redis master through Sentinel, which follows it
// across failovers.
type RedisSentinel struct {
	MasterName string   `yaml:"master_name"`
	Addrs      []string `yaml:"addrs"`
	Password   string   `yaml:"password" secret:"true"` // the sentinels' own, if they require one
}

// ObjectStore configures the S3 server (MinIO or Versity) reached through minio-go.
type ObjectStore struct {
	Endpoint          string `yaml:"endpoint"`
	AccessKey         string `yaml:"access_key"`
	SecretKey         string `yaml:"secret_key" secret:"true"`
	UseTLS            bool   `yaml:"use_tls"`
	Region            string `yaml:"region"`
	Bucket            string `yaml:"bucket"`
	PresignTTLSeconds int    `yaml:"presign_ttl_seconds"`
}

// Queue configures Asynq and the outbox relay.
type Queue struct {
	Namespace    string `yaml:"namespace"`
	Concurrency  int    `yaml:"concurrency"`
	OutboxPollMS int    `yaml:"outbox_poll_ms"`
	// RedeliverAfterSeconds is how long a task handed to Redis may stay
	// unfinished before the relay sends it again (Redis may have lost it; a
	// task Redis still holds is not duplicated).
	RedeliverAfterSeconds int `yaml:"redeliver_after_seconds"`
	// OutboxRetentionHours is how long a relayed outbox row whose consumers
	// all finished is kept (for inspection) before it is purged.
	OutboxRetentionHours int `yaml:"outbox_retention_hours"`
}

// Worker configures the worker process.
type Worker struct {
	// MetricsAddr is where the worker serves /metrics and /healthz; empty
	// serves nothing.
	MetricsAddr string `yaml:"metrics_addr"`
}

// Auth configures tokens.
type Auth struct {
	Issuer            string `yaml:"issuer"`
	AccessTTLSeconds  int    `yaml:"access_ttl_seconds"`
	RefreshTTLSeconds int    `yaml:"refresh_ttl_seconds"`
	SigningKeyFile    string `yaml:"signing_key_file"`
	// PasswordMemoryKiB, PasswordIterations and PasswordParallelism are the
	// argon2id cost of new password hashes (defaults: OWASP's 46 MiB, one
	// pass, one lane); stored hashes are upgraded at their next sign-in.
	PasswordMemoryKiB   int `yaml:"password_memory_kib"`
	PasswordIterations  int `yaml:"password_iterations"`
	PasswordParallelism int `yaml:"password_parallelism"`
	// HashConcurrency bounds password hashes running at once (each holds
	// PasswordMemoryKiB); 0 = GOMAXPROCS. HashQueue is how many more may wait; 0 = 16 ×
	// HashConcurrency. A sign-in beyond both gets 503 with Retry-After.
	HashConcurrency int `yaml:"hash_concurrency"`
	HashQueue       int `yaml:"hash_queue"`
	// ActorCacheTTLSeconds is how long a session's caller is kept in memory
	// (checked against Redis on every request); 0 = 120, negative = off.
	ActorCacheTTLSeconds int `yaml:"actor_cache_ttl_seconds"`
	ActorCacheSize       int `yaml:"actor_cache_size"` // entries; 0 = 50,000
	// SigningKeyDir is a directory of keys made by `corpu keys create` and
	// `corpu keys rotate`, shared by every process of an installation.
	SigningKeyDir string `yaml:"signing_key_dir"`
}

// Certificate configures certificate signing and verification.
type Certificate struct {
	// MasterKey is the base64 of 32 random bytes that encrypt the institutes'
	// private signing keys (AES-GCM) in PostgreSQL; empty = a fixed
	// development key (development only). Losing it loses the keys: keep it
	// with the database backups' secrets.
	MasterKey string `yaml:"master_key" secret:"true"`
	// KeyDir, when set, holds institutes' signing keys as files
	// <INSTITUTE-CODE>.pem (PKCS#8 Ed25519, e.g. from `corpu keys create`);
	// an institute without a file gets a key kept encrypted in PostgreSQL.
	KeyDir string `yaml:"key_dir"`
	// VerifyPDFLimitBytes bounds a PDF sent to POST /verify/{serial}/pdf.
	VerifyPDFLimitBytes int64 `yaml:"verify_pdf_limit_bytes"`
	// ReminderDays is how long before expiry holders are reminded.
	ReminderDays int `yaml:"reminder_days"`
}

// Mail configures outgoing e-mail.
type Mail struct {
	SMTPAddr string `yaml:"smtp_addr"`
	From     string `yaml:"from"`
	Username string `yaml:"username"`
	Password string `yaml:"password" secret:"true"`
	// LogSecrets writes mail to the log with its links whole (development
	// without SMTP only); otherwise the secret part of a link is masked.
	LogSecrets bool `yaml:"log_secrets"`
}

// Quiz configures attempts.
type Quiz struct {
	// SaveGraceSeconds is how long after its deadline an attempt still
	// takes saves: answers in flight when the time ran out.
	SaveGraceSeconds int `yaml:"save_grace_seconds"`
	// MaxConcurrentStarts bounds the attempts a process builds at once; a
	// burst beyond it waits briefly, then gets 503 with Retry-After.
	MaxConcurrentStarts int `yaml:"max_concurrent_starts"`
	// MaxConcurrentSubmits bounds the attempts a process ends at once; a
	// crowd beyond it waits briefly, then gets 503 with Retry-After, so the
	// saves of learners still writing keep their places.
	MaxConcurrentSubmits int `yaml:"max_concurrent_submits"`
}

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "CORPU_"

// Load returns the defaults, overlaid by the file at path (when path is not
// empty), overlaid by CORPU_* variables from environ, validated.
func Load(path string, environ []string) (Config, error) {
	var cfg Config
	if err := decodeStrict(configs.Default, &cfg); err != nil {
		return Config{}, fmt.Errorf("default config: %w", err)
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config %s: %w", path, err)
		}
		if err := decodeStrict(data, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, nameVariables(err, environ)
	}
	cfg.Database.LogValues = cfg.Env == "development" && cfg.Log.Level == "debug"
	return cfg, nil
}

func decodeStrict(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(cfg)
}

// applyEnv sets every field whose CORPU_<SECTION>_<KEY> variable is present.
func applyEnv(cfg *Config, environ []string) error {
	values := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, EnvPrefix) {
			values[k] = v
		}
	}
	return walk(reflect.ValueOf(cfg).Elem(), EnvPrefix, func(name string, f reflect.Value, _ reflect.StructField) error {
		raw, ok := values[name]
		if !ok {
			return nil
		}
		if err := setFromString(f, raw); err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
		return nil
	})
}

// walk calls fn for every leaf field with its environment variable name.
func walk(v reflect.Value, prefix string, fn func(name string, f reflect.Value, sf reflect.StructField) error) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if key == "-" {
			continue // derived, not configured
		}
		name := prefix + strings.ToUpper(key)
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			if err := walk(f, name+"_", fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(name, f, sf); err != nil {
			return err
		}
	}
	return nil
}

func setFromString(f reflect.Value, raw string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", raw)
		}
		f.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", raw)
		}
		f.SetBool(b)
	case reflect.Slice:
		var items []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported type %s", f.Kind())
	}
	return nil
}

// Validate checks every key and names the first bad ones.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, why string) { errs = append(errs, &KeyError{Key: key, Why: why}) }
	if c.Env != "development" && c.Env != "production" {
		bad("env", "must be development or production")
	}
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		bad("log.level", "must be debug, info, warn or error")
	}
	if !oneOf(c.Log.Format, "text", "json") {
		bad("log.format", "must be text or json")
	}
	if !validListenAddr(c.HTTP.Addr) {
		bad("http.addr", "must be host:port or :port, e.g. :8080")
	}
	if u, err := url.Parse(c.HTTP.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
		bad("http.public_url", "must be an absolute URL")
	}
	if c.HTTP.BodyLimitBytes <= 0 {
		bad("http.body_limit_bytes", "must be positive")
	}
	if c.HTTP.RequestTimeoutSeconds <= 0 {
		bad("http.request_timeout_seconds", "must be positive")
	}
	if c.HTTP.MaxInFlight < 1 {
		bad("http.max_in_flight", "must be at least 1")
	}
	if c.HTTP.AdmissionWaitMS < 0 {
		bad("http.admission_wait_ms", "must not be negative")
	}
	for _, cidr := range c.HTTP.TrustedProxies {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			bad("http.trusted_proxies", "must be networks in CIDR notation, e.g. 10.0.0.0/8")
			break
		}
	}
	if c.HTTP.ShutdownTimeoutSeconds <= 0 {
		bad("http.shutdown_timeout_seconds", "must be positive")
	}
	if u, err := url.Parse(c.Database.URL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		bad("database.url", "must be a postgres:// URL")
	}
	if c.Database.MaxOpenConns <= 0 {
		bad("database.max_open_conns", "must be positive")
	}
	if c.Redis.Sentinel.MasterName == "" && c.Redis.Addr == "" {
		bad("redis.addr", "must not be empty")
	}
	if c.Redis.Sentinel.MasterName != "" && len(c.Redis.Sentinel.Addrs) == 0 {
		bad("redis.sentinel.addrs", "must list the sentinels (host:port) when redis.sentinel.master_name is set")
	}
	for _, a := range c.Redis.Sentinel.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			bad("redis.sentinel.addrs", "must be host:port addresses")
			break
		}
	}
	if c.ObjectStore.Endpoint == "" || strings.Contains(c.ObjectStore.Endpoint, "://") {
		bad("objectstore.endpoint", "must be host:port without a scheme (set use_tls for https)")
	}
	if c.ObjectStore.Bucket == "" {
		bad("objectstore.bucket", "must not be empty")
	}
	if c.ObjectStore.PresignTTLSeconds <= 0 || c.ObjectStore.PresignTTLSeconds > 7*24*3600 {
		bad("objectstore.presign_ttl_seconds", "must be between 1 and 604800")
	}
	if c.Auth.PasswordIterations < 1 || c.Auth.PasswordIterations > 10 {
		bad("auth.password_iterations", "must be between 1 and 10")
	}
	if c.Auth.PasswordParallelism < 1 || c.Auth.PasswordParallelism > 16 {
		bad("auth.password_parallelism", "must be between 1 and 16")
	}
	if c.Auth.PasswordMemoryKiB < 8*c.Auth.PasswordParallelism || c.Auth.PasswordMemoryKiB > 1<<20 {
		bad("auth.password_memory_kib", "must be between 8 KiB per lane and 1 GiB (1048576)")
	}
	if c.Queue.Concurrency <= 0 {
		bad("queue.concurrency", "must be positive")
	}
	if c.Queue.OutboxPollMS <= 0 {
		bad("queue.outbox_poll_ms", "must be positive")
	}
	if c.Queue.RedeliverAfterSeconds < 10 {
		bad("queue.redeliver_after_seconds", "must be at least 10")
	}
	if c.Queue.OutboxRetentionHours < 1 {
		bad("queue.outbox_retention_hours", "must be at least 1")
	}
	if c.Worker.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.Worker.MetricsAddr); err != nil {
			bad("worker.metrics_addr", "must be host:port or :port, or empty to serve no metrics")
		}
	}
	if c.Auth.AccessTTLSeconds <= 0 || c.Auth.RefreshTTLSeconds <= c.Auth.AccessTTLSeconds {
		bad("auth", "access_ttl_seconds must be positive and shorter than refresh_ttl_seconds")
	}
	if c.Env == "production" && c.Auth.SigningKeyFile == "" && c.Auth.SigningKeyDir == "" {
		bad("auth.signing_key_file", "or auth.signing_key_dir is required in production (create keys with `corpu keys create --dir DIR`)")
	}
	if c.Auth.SigningKeyFile != "" && c.Auth.SigningKeyDir != "" {
		bad("auth.signing_key_dir", "set either it or auth.signing_key_file, not both")
	}
	if c.Quiz.SaveGraceSeconds < 1 || c.Quiz.SaveGraceSeconds > 300 {
		bad("quiz.save_grace_seconds", "must be 1 to 300")
	}
	if c.Quiz.MaxConcurrentStarts < 1 {
		bad("quiz.max_concurrent_starts", "must be at least 1")
	}
	if c.Quiz.MaxConcurrentSubmits < 1 {
		bad("quiz.max_concurrent_submits", "must be at least 1")
	}
	if key, err := base64.StdEncoding.DecodeString(c.Certificate.MasterKey); err != nil || (len(key) != 32 && c.Certificate.MasterKey != "") {
		bad("certificate.master_key", "must be the base64 of 32 bytes (openssl rand -base64 32)")
	}
	if c.Env == "production" && c.Certificate.MasterKey == "" {
		bad("certificate.master_key", "is required in production (openssl rand -base64 32)")
	}
	if c.Certificate.VerifyPDFLimitBytes <= 0 || c.Certificate.ReminderDays <= 0 {
		bad("certificate", "verify_pdf_limit_bytes and reminder_days must be positive")
	}
	if c.Env == "production" && c.Mail.SMTPAddr == "" {
		bad("mail.smtp_addr", "is required in production: without an SMTP server mail, password-reset links included, would be written to the log")
	}
	if c.Env == "production" && c.Mail.LogSecrets {
		bad("mail.log_secrets", "is for development only")
	}
	return errors.Join(errs...)
}

// Redacted returns the configuration as key=value lines with secrets hidden,
// for logging at start.
func (c Config) Redacted() map[string]any {
	out := map[string]any{}
	_ = walk(reflect.ValueOf(&c).Elem(), "", func(name string, f reflect.Value, sf reflect.StructField) error {
		key := strings.ToLower(name)
		switch {
		case sf.Tag.Get("secret") == "true" && sf.Name == "URL":
			out[key] = redactURL(f.String())
		case sf.Tag.Get("secret") == "true":
			out[key] = "***"
		default:
			out[key] = f.Interface()
		}
		return nil
	})
	return out
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "***"
	}
	return u.Redacted()
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}
