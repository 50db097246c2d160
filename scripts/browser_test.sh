#!/usr/bin/env bash
# The portal in a real browser: starts `ferry standalone` (the binary the Rust tests
# built) on a free loopback port with a fresh SQLite data dir, runs tests/browser/portal.mjs
# in Chromium through playwright-core, stops the server and exits with the test's status.
# Screenshots (one per step and viewport) and the server's log go to
# ${ARTIFACTS:-$CARGO_TARGET_DIR/artifacts}/portal. Run by scripts/test.sh after schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
source scripts/portal_server.sh
ensure_browser

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
bin="${FERRY:-$CARGO_TARGET_DIR/debug/ferry}"
[ -x "$bin" ] || cargo build --bin ferry

shots="${ARTIFACTS:-$CARGO_TARGET_DIR/artifacts}/portal"
rm -rf "$shots"
mkdir -p "$shots"
work=$(realpath "$(mktemp -d)")
trap 'stop_ferry; cp "$work/server.out" "$shots/server.log" 2>/dev/null || true; rm -rf "$work"' EXIT

start_ferry "$work" "$bin"
echo "portal browser test against $FERRY_URL ($bin)"
status=0
FERRY_URL="$FERRY_URL" FERRY_ADMIN_KEY="$FERRY_ADMIN_KEY" SHOTS="$shots" WORK_DIR="$work/files" \
  PW_MODULES="$SVC/pw/node_modules" node tests/browser/portal.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "server log (last 40 lines; all of it in $shots/server.log):" >&2
  tail -n 40 "$work/server.out" >&2 || true
fi
exit "$status"
