#!/usr/bin/env bash
# Fails when the crate graph ARCHITECTURE.md describes is broken: `common` pulls in a
# network client, a database or a web framework, or a crate depends on a Ferry crate it
# must not (worker, amqp and redis-coord on `common` only; orchestrator and api on
# `common` and `store`; notifier on `common` and `store`, and api on it too, for a
# channel's test call). Reads the lock file's view with `cargo tree`; builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
deps() { cargo tree -p "$1" -e normal --depth "${2:-99}" --prefix none --offline 2>/dev/null | sed 's/ v[0-9].*//' | sort -u; }

heavy=$(deps ferry-common | grep -E '^(object_store|reqwest|hyper|lapin|redis|sqlx|sea-orm|axum|tower-http|rustls)$' || true)
if [ -n "$heavy" ]; then
  echo "ferry-common must stay light, but depends on: $heavy"; fail=1
fi

allowed() {  # crate, then the Ferry crates it may depend on directly
  local crate=$1; shift
  local direct
  direct=$(deps "$crate" 1 | grep -E '^ferry-' | grep -vx "$crate" || true)
  for d in $direct; do
    if ! printf '%s\n' "$@" | grep -qx "$d"; then
      echo "$crate must not depend on $d"; fail=1
    fi
  done
}
allowed ferry-worker ferry-common
allowed ferry-amqp ferry-common
allowed ferry-redis ferry-common
allowed ferry-orchestrator ferry-common ferry-store
allowed ferry-notifier ferry-common ferry-store
allowed ferry-api ferry-common ferry-store ferry-notifier
allowed ferry-store ferry-common ferry-migrations

[ "$fail" = 0 ] && echo "crate graph as ARCHITECTURE.md says"
exit "$fail"
