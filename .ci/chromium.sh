#!/usr/bin/env bash
# Installs Debian's Chromium when no Chromium is on the PATH: the browser
# tests (internal/app/browser_test.go) drive it headless with chromedp. Used
# by `make test` and `make screenshots`.
set -euo pipefail

log() { printf 'chromium: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

for name in chromium chromium-browser google-chrome; do
  if command -v "$name" >/dev/null; then exit 0; fi
done
if ! command -v apt-get >/dev/null; then
  log "no Chromium and no apt-get: install Chromium with your system's packages"
  exit 1
fi
log "installing chromium from the OS packages"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
