#!/usr/bin/env bash
# `make run`: a working local deployment on embedded defaults — a store server (redb file under
# ./data), one node and one gateway on 127.0.0.1, with a seeded demo league. Ctrl-C stops it all.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release}
DATA=${DATA:-data}
mkdir -p "$DATA"
export AUCTION_CLUSTER_COOKIE=${AUCTION_CLUSTER_COOKIE:-local-demo-cookie}
export AUCTION_JWT_SECRET=${AUCTION_JWT_SECRET:-local-demo-secret-that-is-at-least-32-bytes}
export AUCTION_LOG_FORMAT=${AUCTION_LOG_FORMAT:-pretty}
export RUST_LOG=${RUST_LOG:-warn,gateway=info,node=info,actors=info}

PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for_port() {
  local port=$1 name=$2
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "$name did not start listening on $port" >&2
  exit 1
}

"$BIN/store-server" --listen 127.0.0.1:7400 --data-dir "$DATA/store" & PIDS+=($!)
wait_for_port 7400 store-server
"$BIN/node" --node-id node-1 --cluster-port 7101 --http 127.0.0.1:9101 --store remote:127.0.0.1:7400 & PIDS+=($!)
"$BIN/gateway" --gateway-id gw-1 --http 127.0.0.1:8080 --cluster-port 7201 --nodes 127.0.0.1:7101 --dev-login \
  --store remote:127.0.0.1:7400 --seed-demo --public-url http://127.0.0.1:8080 & PIDS+=($!)
wait_for_port 8080 gateway
echo "Gateway on http://127.0.0.1:8080 — metrics: node http://127.0.0.1:9101/metrics, gateway http://127.0.0.1:8080/metrics"
wait -n "${PIDS[@]}"
