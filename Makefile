# Live auction drafts on a sharded actor cluster. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: run
run: ## Run the whole system locally on embedded defaults (store, node, gateway) with a demo league on http://127.0.0.1:8080
	$(CARGO) build --release --bin node --bin gateway --bin store-server
	scripts/run-local.sh

.PHONY: cluster
cluster: ## Run 3 nodes, 2 gateways, a store server and Redis on this machine (gateways on :8080 and :8081)
	$(CARGO) build --release --bin node --bin gateway --bin store-server
	scripts/run-cluster.sh

.PHONY: deps
deps: ## Install what the tests need (Debian packages, npm packages), idempotently
	scripts/install-test-deps.sh

.PHONY: fmt
fmt: ## Format the code
	$(CARGO) fmt --all

.PHONY: fmt-check
fmt-check: ## Check formatting
	$(CARGO) fmt --all -- --check

.PHONY: lint
lint: ## Clippy with warnings as errors
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

.PHONY: build
build: ## Build every binary (debug)
	$(CARGO) build --workspace --bins --locked

.PHONY: unit
unit: build ## Rust tests: rules, store conformance, actors, protocol, multi-process cluster tests
	$(CARGO) nextest run --workspace --locked --no-fail-fast

.PHONY: web-test
web-test: build ## Browser tests: headless Chromium on phone-sized viewports against real processes
	scripts/web-test.sh

.PHONY: ops-test
ops-test: ## Kubernetes manifests, Prometheus rules and dashboards, validated offline
	scripts/validate-ops.sh

.PHONY: loadtest-smoke
loadtest-smoke: build ## A short load-test scenario end to end (checks no valid bid fails; asserts no timing)
	scripts/loadtest-smoke.sh

.PHONY: loadtest
loadtest: ## Run a load-test scenario: make loadtest SCENARIO=stress [TARGET=ws://host:port/ws]
	scripts/loadtest.sh "$(SCENARIO)" "$(TARGET)"

.PHONY: test
test: deps fmt-check lint unit web-test ops-test loadtest-smoke ## Everything CI runs (installs what it needs first)
	@echo "all tests passed"

.PHONY: chaos-long
chaos-long: build ## The chaos test with 5 minutes of faults (make test runs a 40 s variant)
	CHAOS_SECONDS=300 $(CARGO) nextest run -p e2e --test chaos --no-capture

.PHONY: failover-timing
failover-timing: build ## Time from a node's death or freeze to bids accepted again, over 40 rounds
	FAILOVER_ROUNDS=40 FAILOVER_TIMING_OUT=target/failover-timing.json $(CARGO) nextest run -p e2e --test failover_timing --no-capture

.PHONY: test-scylla
test-scylla: ## Store conformance suite against a running ScyllaDB: make test-scylla SCYLLA_URI=127.0.0.1:9042
	@test -n "$(SCYLLA_URI)" || { echo "set SCYLLA_URI=host:port of a running ScyllaDB (e.g. docker run --rm -d -p 9042:9042 scylladb/scylla --smp 1 --developer-mode 1)"; exit 1; }
	SCYLLA_URI="$(SCYLLA_URI)" $(CARGO) nextest run -p store-scylla --features scylla-tests --locked --no-fail-fast --test-threads 4

.PHONY: bench
bench: ## Criterion benchmarks (rules decisions, store appends)
	$(CARGO) bench -p auction
	$(CARGO) bench -p store
