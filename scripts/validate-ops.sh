#!/usr/bin/env bash
# Validate the operator assets offline: Kubernetes manifests (k8s/), Prometheus rules and their unit
# tests, the Prometheus configurations and the Grafana dashboard (deploy/).
#
#   scripts/validate-ops.sh
#
# What it does, in order (every step runs; the exit status is non-zero if any failed):
#  1. a Python venv at ${XDG_CACHE_HOME:-$HOME/.cache}/auction-ops-venv with kubernetes-validate and
#     yamllint (created once, recreated when the pins change; pip is retried once);
#  2. renders k8s/base and every k8s/overlays/* with `kubectl kustomize` (or `kustomize build`) and
#     validates each render against the strict Kubernetes 1.31 schemas plus the cross-resource
#     checks of .ci/k8s_validate.py; without kubectl/kustomize, the plain YAML files are
#     schema-checked instead;
#  3. yamllint (strict) on k8s/ and deploy/;
#  4. the Grafana dashboard parses (json.load) and is well formed;
#  5. every metric named in the rules and the dashboard is one the code defines;
#  6. promtool check rules / test rules / check config, when promtool is installed (Debian package
#     `prometheus`; scripts/install-test-deps.sh installs it; this script installs no packages).
# Needs: python3 with venv, network access to PyPI the first time only.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

K8S_VERSION=1.31.0
REQUIREMENTS="kubernetes-validate==1.37.0 yamllint==1.38.0"
VENV=${XDG_CACHE_HOME:-$HOME/.cache}/auction-ops-venv
WORK=$(mktemp -d "${TMPDIR:-/tmp}/validate-ops.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

PASSED=()
FAILED=()
SKIPPED=()
log() { printf '[validate-ops] %s\n' "$*"; }
# step NAME CMD...: run CMD, print its output only when it fails (or always with VERBOSE=1).
step() {
  local name=$1; shift
  if "$@" >"$WORK/out" 2>&1; then
    PASSED+=("$name")
    log "ok    $name"
    if [ "${VERBOSE:-0}" = 1 ]; then sed 's/^/        /' "$WORK/out"; fi
  else
    FAILED+=("$name")
    log "FAIL  $name"
    sed 's/^/        /' "$WORK/out"
  fi
}
skip() { SKIPPED+=("$1"); log "skip  $1 ($2)"; }

# ---- 1. Python tools ------------------------------------------------------------------------
ensure_venv() {
  local stamp="$VENV/.requirements"
  if [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/yamllint" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$REQUIREMENTS" ]; then
    return 0
  fi
  log "creating $VENV ($REQUIREMENTS)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086  # the requirement list is meant to split
  "$VENV/bin/pip" install -q --disable-pip-version-check $REQUIREMENTS \
    || { log "pip failed; retrying once in 5 s"; sleep 5; "$VENV/bin/pip" install -q --disable-pip-version-check $REQUIREMENTS; }
  echo "$REQUIREMENTS" >"$stamp"
}
if ! ensure_venv; then
  log "FAIL  python venv: could not install $REQUIREMENTS"
  exit 1
fi
PY=$VENV/bin/python

# ---- 2. Kubernetes manifests ----------------------------------------------------------------
render() { # render DIR OUT
  if command -v kubectl >/dev/null 2>&1; then kubectl kustomize "$1" >"$2"
  else kustomize build "$1" >"$2"; fi
}
validate_render() { # validate_render DIR NAME
  local dir=$1 name=$2 extra=()
  render "$dir" "$WORK/$name.yaml" || return 1
  # The production Secret is created out of band; an overlay that generates it must really do so.
  if ! grep -q '^secretGenerator:' "$dir/kustomization.yaml"; then extra+=(--external-secret auction-secrets); fi
  "$PY" .ci/k8s_validate.py -q -k "$K8S_VERSION" --auction-checks "${extra[@]}" "$WORK/$name.yaml"
}
if command -v kubectl >/dev/null 2>&1 || command -v kustomize >/dev/null 2>&1; then
  step "k8s: base renders and validates (strict, k8s $K8S_VERSION)" validate_render k8s/base base
  for overlay in k8s/overlays/*/; do
    name=$(basename "$overlay")
    step "k8s: overlay $name renders and validates (strict, k8s $K8S_VERSION)" validate_render "$overlay" "$name"
  done
else
  skip "k8s: kustomize renders" "neither kubectl nor kustomize is installed; validating the plain files"
  mapfile -t files < <(find k8s -name '*.yaml' | sort)
  step "k8s: manifest files validate (strict, k8s $K8S_VERSION, unrendered)" "$PY" .ci/k8s_validate.py -q -k "$K8S_VERSION" "${files[@]}"
fi

# ---- 3. YAML style --------------------------------------------------------------------------
YAMLLINT_CONFIG='{extends: default, rules: {line-length: {max: 240}, document-start: disable, truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}, indentation: {spaces: 2, indent-sequences: whatever}}}'
step "yamllint k8s/ deploy/" "$VENV/bin/yamllint" -s -d "$YAMLLINT_CONFIG" k8s deploy

# ---- 4 + 5. Dashboard and metric names ------------------------------------------------------
check_dashboard() {
  "$PY" - "$@" <<'EOF'
import json, sys
problems = []
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as error:
        problems.append(f"{path}: does not parse: {error}")
        continue
    for key in ("uid", "title", "panels", "schemaVersion"):
        if key not in dash:
            problems.append(f"{path}: missing top-level {key!r}")
    ids = [p.get("id") for p in dash.get("panels", [])]
    if len(ids) != len(set(ids)):
        problems.append(f"{path}: duplicate panel ids")
    for panel in dash.get("panels", []):
        where = f"{path}: panel {panel.get('id')} {panel.get('title')!r}"
        if "gridPos" not in panel:
            problems.append(f"{where}: no gridPos")
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{where}: no queries")
        for target in targets:
            if not str(target.get("expr", "")).strip():
                problems.append(f"{where}: a query without expr")
    print(f"{path}: {len(dash.get('panels', []))} panels")
for problem in problems:
    print("FAIL", problem)
sys.exit(1 if problems else 0)
EOF
}
step "grafana: dashboards parse and are well formed" check_dashboard deploy/grafana/*.json

check_metric_names() {
  "$PY" - <<'EOF'
import glob, json, re, sys
import yaml
# Every metric the code defines: `pub const NAME: &str = "metric_name";` in */src/metrics.rs.
known = set()
for source in glob.glob("*/src/metrics.rs"):
    known.update(re.findall(r'pub const [A-Z_]+: &str = "([a-z_:][a-z0-9_:]*)";', open(source, encoding="utf-8").read()))
if not known:
    print("FAIL no metric definitions found in */src/metrics.rs")
    sys.exit(1)
exprs = []
for path in sorted(glob.glob("deploy/prometheus/*.rules.yml")):
    for group in (yaml.safe_load(open(path)) or {}).get("groups", []):
        for rule in group.get("rules", []):
            exprs.append((f"{path}: {rule.get('record') or rule.get('alert')}", rule["expr"]))
for path in sorted(glob.glob("deploy/grafana/*.json")):
    try:
        dashboard = json.load(open(path))
    except ValueError:
        continue  # reported by the dashboard check
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            exprs.append((f"{path}: panel {panel.get('title')!r}", target.get("expr", "")))
word = re.compile(r"(?<![\w:])((?:auction|node|gateway|store)_[a-z0-9_]*)(?![\w:])")
unknown = []
for where, expr in exprs:
    # Drop label matchers' values and strings so `command="bid"` etc. are not read as names.
    stripped = re.sub(r'"[^"]*"', '""', expr)
    for name in word.findall(stripped):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        if name not in known and base not in known:
            unknown.append(f"{where}: {name}")
for problem in unknown:
    print("FAIL unknown metric", problem)
print(f"{len(exprs)} expressions checked against {len(known)} metric names")
sys.exit(1 if unknown else 0)
EOF
}
step "metric names in rules and dashboards exist in the code" check_metric_names

# ---- 6. promtool ----------------------------------------------------------------------------
check_k8s_scrape_config() {
  # Debian's Prometheus is built without Kubernetes service discovery: there promtool cannot parse
  # kubernetes_sd_configs, so the file is only parsed as YAML (its rule file is checked above).
  if promtool check config deploy/prometheus/prometheus-k8s.yml >"$WORK/k8s-config" 2>&1; then
    cat "$WORK/k8s-config"
  elif grep -q 'field kubernetes_sd_configs not found' "$WORK/k8s-config"; then
    echo "note: this promtool has no Kubernetes service discovery; parsed it as YAML only (its rule file is checked above)"
    "$PY" -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' deploy/prometheus/prometheus-k8s.yml
  else
    cat "$WORK/k8s-config"
    return 1
  fi
}
if command -v promtool >/dev/null 2>&1; then
  step "promtool check rules" promtool check rules deploy/prometheus/*.rules.yml
  step "promtool test rules (alert unit tests)" promtool test rules deploy/prometheus/tests/*.yml
  step "promtool check config prometheus.yml" promtool check config deploy/prometheus/prometheus.yml
  step "promtool check config prometheus-k8s.yml" check_k8s_scrape_config
else
  skip "promtool checks" "promtool not installed: apt-get install -y --no-install-recommends prometheus"
fi

# ---- summary --------------------------------------------------------------------------------
echo
for name in "${FAILED[@]}"; do log "failed: $name"; done
for name in "${SKIPPED[@]}"; do log "skipped: $name"; done
echo "validate-ops: ${#PASSED[@]} passed, ${#FAILED[@]} failed"
[ "${#FAILED[@]}" -eq 0 ]
