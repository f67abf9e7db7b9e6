# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
export CORPU_OBJECTSTORE_ACCESS_KEY ?= minioadmin

.PHONY: run test services chromium screenshots build lint bench load clean-testdbs scale-data scale-measure

## services: start whatever of PostgreSQL, Redis and the S3 store is not running
services:
	@bash .ci/services.sh

## run: start the services, migrate, seed the demo data and serve on :8080
run: services
	$(GO) run ./cmd/corpu dev

## chromium: install Debian's Chromium for the browser tests when none is installed
chromium:
	@bash .ci/chromium.sh

## test: start the services, check formatting and vet, run every test with the race detector
test: services chromium lint
	$(GO) test -race -count=1 -timeout 25m ./...

## screenshots: refresh docs/screenshots/ with the browser scenario's pages
screenshots: services chromium
	mkdir -p docs/screenshots
	CORPU_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'InChromium' ./internal/app

## lint: gofmt and go vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## build: the corpu binary in bin/
build:
	$(GO) build -trimpath -o bin/corpu ./cmd/corpu

## bench: the benchmarks (figures for the issue notes)
bench: services
	$(GO) test -run '^$$' -bench . -benchmem ./...

## load: simulated learners against a running server (make run in another shell); LOAD_ARGS="-workers 50 -duration 60s"
load:
	$(GO) run ./cmd/corpu-load $(LOAD_ARGS)

## clean-testdbs: drop test databases left by an interrupted test run
clean-testdbs:
	psql -h 127.0.0.1 -U postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'corpu_test_%'" | \
		xargs -r -I{} psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE "{}" WITH (FORCE)'

## scale-data: the national data set in its own database (SIZE=1m or 4.3m; running it again reuses what exists)
SIZE ?= 1m
SCALE_DB ?= corpu_scale
SCALE_URL ?= postgres://postgres@127.0.0.1:5432/$(SCALE_DB)?sslmode=disable
scale-data: services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(SCALE_DB)'" | grep -q 1 || \
		psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE "$(SCALE_DB)"'
	CORPU_DATABASE_URL='$(SCALE_URL)' $(GO) run ./cmd/corpu-scale -size $(SIZE)

## scale-measure: the issue-13 read paths on the data set scale-data made (same SIZE)
scale-measure:
	CORPU_DATABASE_URL='$(SCALE_URL)' $(GO) run ./cmd/corpu-scale -size $(SIZE) -no-generate -measure
