#!/usr/bin/env bash
# `make loadtest SCENARIO=<name>[,<name>…] [TARGET=ws://127.0.0.1:PORT/ws]`
#
# Builds the release binaries, then runs each scenario with target/release/loadtest: against a
# local deployment it starts (store-server, node, gateway on 127.0.0.1 with free ports) unless
# TARGET names a running gateway (then AUCTION_JWT_SECRET must be its JWT secret). Reports go to
# target/loadtest/ (JSON + HTML); a table is printed. Extra flags for the tool: LOADTEST_ARGS, e.g.
#   make loadtest SCENARIO=endurance LOADTEST_ARGS="--duration 2h"
# `SCENARIO=all` runs every scenario except endurance (see BENCHMARKS.md for the figures).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
SCENARIO=${1:-}
TARGET=${2:-}
if [[ -z "$SCENARIO" ]]; then
  echo "usage: make loadtest SCENARIO=<name>[,<name>...] [TARGET=ws://127.0.0.1:PORT/ws]" >&2
  echo "scenarios: smoke rtt footprint baseline target stress stress10x concurrent fans many endurance capacity (or all)" >&2
  exit 2
fi
if [[ "$SCENARIO" == all ]]; then
  SCENARIO=rtt,footprint,baseline,target,stress,stress10x,concurrent,fans,many,capacity
fi
if [[ -z "$TARGET" ]]; then
  cargo build --release --locked --bin node --bin gateway --bin store-server --bin loadtest
else
  cargo build --release --locked --bin loadtest
fi
# Ten thousand websockets need ten thousand descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
status=0
IFS=',' read -r -a scenarios <<< "$SCENARIO"
for name in "${scenarios[@]}"; do
  args=(run --scenario "$name" --bin-dir target/release --out target/loadtest)
  if [[ -n "$TARGET" ]]; then args+=(--target "$TARGET"); fi
  # shellcheck disable=SC2206
  args+=(${LOADTEST_ARGS:-})
  echo "== load average before $name: $(cut -d' ' -f1-3 /proc/loadavg)"
  target/release/loadtest "${args[@]}" || status=$?
done
exit "$status"
