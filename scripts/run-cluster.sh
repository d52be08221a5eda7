#!/usr/bin/env bash
# `make cluster`: three nodes, two gateways, a store server and Redis on this machine (127.0.0.1),
# with the demo league. Gateways on http://127.0.0.1:8080 and :8081; node metrics on :9101-9103.
# Ctrl-C stops everything. Try: kill -9 a node's pid (printed below) mid-lot and keep bidding.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release}
DATA=${DATA:-data/cluster}
mkdir -p "$DATA/redis"
export AUCTION_CLUSTER_COOKIE=${AUCTION_CLUSTER_COOKIE:-local-cluster-cookie}
export AUCTION_JWT_SECRET=${AUCTION_JWT_SECRET:-local-cluster-secret-that-is-at-least-32-bytes}
export AUCTION_LOG_FORMAT=${AUCTION_LOG_FORMAT:-pretty}
export RUST_LOG=${RUST_LOG:-warn,gateway=info,node=info,actors=info}
REDIS_PORT=${REDIS_PORT:-6390}

command -v redis-server >/dev/null || { echo "redis-server is missing: run make deps" >&2; exit 1; }

PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for_port() {
  local port=$1 name=$2
  for _ in $(seq 1 400); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "$name did not start listening on $port" >&2
  exit 1
}

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DATA/redis" \
  --logfile "$DATA/redis.log" & PIDS+=($!)
wait_for_port "$REDIS_PORT" redis
"$BIN/store-server" --listen 127.0.0.1:7400 --data-dir "$DATA/store" & PIDS+=($!)
wait_for_port 7400 store-server
SEEDS=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103
for i in 1 2 3; do
  "$BIN/node" --node-id "node-$i" --cluster-port "710$i" --http "127.0.0.1:910$i" \
    --store remote:127.0.0.1:7400 --seeds "$SEEDS" & PIDS+=($!)
  echo "node-$i: pid $! (cluster 127.0.0.1:710$i, metrics http://127.0.0.1:910$i/metrics)"
done
for i in 0 1; do
  port=$((8080 + i)); cluster=$((7201 + i)); seed=""
  [ "$i" = 0 ] && seed="--seed-demo"
  "$BIN/gateway" --gateway-id "gw-$((i + 1))" --http "127.0.0.1:$port" --cluster-port "$cluster" \
    --nodes "$SEEDS" --store remote:127.0.0.1:7400 --redis "redis://127.0.0.1:$REDIS_PORT/" \
    --public-url "http://127.0.0.1:$port" --dev-login $seed & PIDS+=($!)
  echo "gw-$((i + 1)): pid $! (http://127.0.0.1:$port)"
done
wait_for_port 8080 gateway
wait_for_port 8081 gateway
echo "Cluster up: gateways http://127.0.0.1:8080 and http://127.0.0.1:8081, Redis :$REDIS_PORT, store :7400"
wait -n "${PIDS[@]}"
