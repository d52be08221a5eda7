#!/usr/bin/env bash
# `make loadtest-smoke` (part of `make test`): the smoke scenario end to end against a local
# deployment of the debug binaries that `make build` just built. It fails if any valid bid fails
# (an error, a timeout, a lost connection), if any protocol error or unexpected disconnect happens,
# or if nothing was accepted or fanned out. It asserts no timing. About a minute.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/debug}
for binary in store-server node gateway loadtest; do
  if [[ ! -x "$BIN/$binary" ]]; then
    echo "$BIN/$binary is missing: run 'make build' first" >&2
    exit 1
  fi
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec timeout --kill-after=10 300 "$BIN/loadtest" run --scenario smoke --bin-dir "$BIN" \
  --out target/loadtest-smoke --quiet --check
