#!/usr/bin/env bash
# How fast the portal's run page is for a run of 1,000 tasks: starts `ferry standalone`
# as the browser test does (scripts/portal_server.sh), runs one run of 1,000 noop tasks,
# then times the page in Chromium until `load` and the server's answer alone, each the
# median of 3, and stops the server. Prints, asserts nothing.
#
#   bash bench/portal_run_page.sh            # FERRY=<binary>, TASKS=1000, REPEAT=3
#
# Its last line: "portal run page, 1000 tasks: load <ms> ms (median of 3), server <ms> ms".
# Uses the release binary (built when missing); FERRY=…/debug/ferry to time a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
source scripts/portal_server.sh
ensure_browser

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
bin="${FERRY:-$CARGO_TARGET_DIR/release/ferry}"
[ -x "$bin" ] || cargo build --release --bin ferry

work=$(realpath "$(mktemp -d)")
trap 'stop_ferry; rm -rf "$work"' EXIT
start_ferry "$work" "$bin"
echo "ferry: $bin at $FERRY_URL"
FERRY_URL="$FERRY_URL" FERRY_ADMIN_KEY="$FERRY_ADMIN_KEY" PW_MODULES="$SVC/pw/node_modules" \
  node tests/browser/run_page_bench.mjs
