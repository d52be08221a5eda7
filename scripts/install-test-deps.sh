#!/usr/bin/env bash
# Install, idempotently, everything the test suite needs on a fresh Debian machine:
# Debian packages (redis, chromium, iptables, prometheus' promtool, wrk) and the browser test's npm
# packages. Never downloads a browser through npm (Debian's chromium is used).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

log() { printf '[deps %(%H:%M:%S)T] %s\n' -1 "$*"; }
retry() { "$@" || { sleep 5; "$@"; }; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Package postinst scripts must never start daemons (tests start their own on private ports).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
fi

missing() {
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || echo "$package"
  done
}

PLAIN=$(missing redis-server redis-tools iptables nftables iproute2 prometheus)
BROWSER=$(missing chromium)
if [ -n "$PLAIN$BROWSER" ]; then
  log "installing Debian packages: $PLAIN $BROWSER"
  retry $SUDO apt-get update -qq
  if [ -n "$PLAIN" ]; then
    # shellcheck disable=SC2086
    retry $SUDO apt-get install -y -qq --no-install-recommends $PLAIN >/dev/null
  fi
  if [ -n "$BROWSER" ]; then
    # shellcheck disable=SC2086
    retry $SUDO apt-get install -y -qq $BROWSER >/dev/null
  fi
fi

if [ -f web/e2e/package-lock.json ]; then
  if [ ! -d web/e2e/node_modules/playwright-core ]; then
    log "installing browser-test npm packages"
    (cd web/e2e && retry npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
log "dependencies ready"
