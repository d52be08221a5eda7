#!/usr/bin/env bash
# Browser tests of the mobile web client (`make web-test`, part of `make test`): headless Debian
# Chromium driven by playwright-core on phone-sized viewports, against real store-server, node and
# gateway processes started on 127.0.0.1 by the tests themselves.
#
# Builds nothing (`make web-test` runs `cargo build --workspace --bins` first; binaries are taken
# from E2E_BIN_DIR or target/debug) and installs nothing except `npm ci` from the lockfile when
# web/e2e/node_modules is missing. Chromium comes from Debian (scripts/install-test-deps.sh); a
# browser is never downloaded. Screenshots land in web/e2e/artifacts/.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "web-test: $CHROMIUM not found; run scripts/install-test-deps.sh (Debian package chromium)" >&2
  exit 1
fi
BIN=${E2E_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}
for binary in store-server node gateway; do
  if [ ! -x "$BIN/$binary" ]; then
    echo "web-test: $BIN/$binary is missing; run \`cargo build --workspace --bins\` (make web-test does)" >&2
    exit 1
  fi
done

cd web/e2e
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf artifacts
mkdir -p artifacts
export CHROMIUM
# One file at a time: each starts its own processes and browser on a 2-core machine.
exec timeout "${WEB_TEST_TIMEOUT:-600}" node --test --test-concurrency=1 --test-reporter=spec \
  unit.test.mjs phone.test.mjs auction.test.mjs
