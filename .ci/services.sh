#!/usr/bin/env bash
# Starts whatever of PostgreSQL, Redis and the S3 object store is not already
# answering, then prints where each one listens. Used by `make services`,
# `make run` and `make test`.
#
#   - With a Docker engine: `docker compose up -d postgres redis minio`.
#   - Otherwise from the local system: PostgreSQL and Redis from the OS
#     packages (installed with apt-get when missing), and as the S3 server the
#     Apache-licensed Versity S3 gateway, built once with `go install` into a
#     cache folder outside the repository and started on loopback.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432
REDIS_HOST=127.0.0.1 REDIS_PORT=6379
S3_HOST=127.0.0.1 S3_PORT=9000
S3_ACCESS_KEY=${CORPU_OBJECTSTORE_ACCESS_KEY:-minioadmin}
S3_SECRET_KEY=${CORPU_OBJECTSTORE_SECRET_KEY:-minioadmin}
VERSITYGW_VERSION=v1.8.0
CACHE_DIR=${CORPU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/corpu}

log() { printf 'services: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # name host port seconds
  local i
  for ((i = 0; i < $4 * 5; i++)); do
    port_open "$2" "$3" && return 0
    sleep 0.2
  done
  log "$1 did not start on $2:$3 within $4 s"
  return 1
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installing $* from the OS packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

docker_engine() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

start_postgres() {
  port_open $PG_HOST $PG_PORT && return
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for PostgreSQL $PG_HOST $PG_PORT 30
}

# Redis keeps what it holds across a restart with append-only persistence.
# Corpu's correctness does not depend on it (the outbox relay resends tasks
# Redis lost), but it spares the resending. A Redis already running without
# it is switched on in place (CONFIG SET; not written back to its config file).
start_redis() {
  if port_open $REDIS_HOST $REDIS_PORT; then
    redis_appendonly
    return
  fi
  if ! command -v redis-server >/dev/null; then apt_install redis-server; fi
  log "starting Redis (append-only persistence in $CACHE_DIR/redis)"
  mkdir -p "$CACHE_DIR/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save "" \
    --appendonly yes --appendfsync everysec --dir "$CACHE_DIR/redis" --logfile "$CACHE_DIR/redis/redis.log"
  wait_for Redis $REDIS_HOST $REDIS_PORT 30
}

redis_appendonly() {
  command -v redis-cli >/dev/null || return 0
  local mode
  mode=$(redis-cli -h $REDIS_HOST -p $REDIS_PORT CONFIG GET appendonly 2>/dev/null | tail -n 1) || return 0
  if [ "$mode" = "no" ]; then
    log "Redis on $REDIS_HOST:$REDIS_PORT runs without persistence: turning on append-only (CONFIG SET appendonly yes)"
    redis-cli -h $REDIS_HOST -p $REDIS_PORT CONFIG SET appendonly yes >/dev/null ||
      log "could not turn on append-only persistence; tasks in Redis would not survive its restart (the outbox still resends them)"
  fi
}

start_versitygw() {
  port_open $S3_HOST $S3_PORT && return
  local bin="$CACHE_DIR/bin/versitygw"
  if [ ! -x "$bin" ]; then
    log "building the Versity S3 gateway $VERSITYGW_VERSION into $CACHE_DIR/bin (once)"
    mkdir -p "$CACHE_DIR/bin"
    (cd "$CACHE_DIR" && GOBIN="$CACHE_DIR/bin" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION")
  fi
  mkdir -p "$CACHE_DIR/s3data"
  log "starting the Versity S3 gateway on $S3_HOST:$S3_PORT (data in $CACHE_DIR/s3data)"
  nohup "$bin" --access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" --port "$S3_HOST:$S3_PORT" --quiet \
    posix "$CACHE_DIR/s3data" >"$CACHE_DIR/versitygw.log" 2>&1 &
  wait_for "Versity S3 gateway (log: $CACHE_DIR/versitygw.log)" $S3_HOST $S3_PORT 30
}

# The documentation test (internal/app/walkthrough_test.go) runs the curl and jq
# commands of docs/api.md and the README; without them it is skipped (and fails
# in CI, where CI is set).
ensure_tools() {
  local tool missing=()
  for tool in curl jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return
  apt_install "${missing[@]}" || log "could not install ${missing[*]}: the documentation test will be skipped"
}

ensure_database() { # the application database; tests make their own
  local db=${1:-corpu}
  if command -v psql >/dev/null; then
    psql -h $PG_HOST -p $PG_PORT -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 ||
      psql -h $PG_HOST -p $PG_PORT -U postgres -qc "CREATE DATABASE $db" >/dev/null
  fi
}

if docker_engine && ! port_open $PG_HOST $PG_PORT && ! port_open $S3_HOST $S3_PORT; then
  log "Docker engine found: starting postgres, redis and minio with docker compose"
  docker compose up -d --wait postgres redis minio
else
  start_postgres
  start_redis
  start_versitygw
fi
ensure_database corpu
# Tests start PgBouncers of their own (transaction pooling); they need only the binary.
if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ] && command -v apt-get >/dev/null; then apt_install pgbouncer; fi
ensure_tools

cat <<EOT
services:
  PostgreSQL  postgres://postgres@$PG_HOST:$PG_PORT/corpu
  Redis       $REDIS_HOST:$REDIS_PORT
  S3 (MinIO API) http://$S3_HOST:$S3_PORT  (access key $S3_ACCESS_KEY)
EOT
