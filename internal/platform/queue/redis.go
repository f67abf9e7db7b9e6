package queue

import (
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/platform/config"
)

// newRedisClient returns a client of the one server cfg names, or, with
// Sentinel configured, a failover client that asks the sentinels where the
// master is and follows it when they promote a replica. Asynq's client,
// server, scheduler and inspector are all built over this client.
func newRedisClient(cfg config.Redis) redis.UniversalClient {
	if s := cfg.Sentinel; s.MasterName != "" {
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:       s.MasterName,
			SentinelAddrs:    s.Addrs,
			SentinelPassword: s.Password,
			Password:         cfg.Password,
			DB:               cfg.DB,
		})
	}
	return redis.NewClient(&redis.Options{Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB})
}

// describeRedis names the Redis cfg points at, for error messages.
func describeRedis(cfg config.Redis) string {
	if s := cfg.Sentinel; s.MasterName != "" {
		return "master " + s.MasterName + " of the sentinels " + strings.Join(s.Addrs, ", ")
	}
	return cfg.Addr
}
