#!/usr/bin/env bash
# Starts `ferry standalone` for the portal's browser test and benchmark: a fresh data dir
# (SQLite), a random operator key, a free loopback port, local paths only under
# <work>/files. Source it (after scripts/services.sh, for wait_for), then
#
#   start_ferry <work dir> <ferry binary>   # exports FERRY_URL, FERRY_ADMIN_KEY, FERRY_PID
#   stop_ferry                              # SIGTERM, then SIGKILL after 10 s
#
# The server's output is in <work>/server.out.

start_ferry() {
  local work=$1 bin=$2
  mkdir -p "$work/files" "$work/data"
  FERRY_ADMIN_KEY="portal-operator-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export FERRY_ADMIN_KEY
  # No FERRY_DATABASE_URL from the caller's shell: SQLite in the fresh data dir.
  env -u FERRY_DATABASE_URL -u FERRY_BIND FERRY_FILE_ROOTS="$work/files" \
    "$bin" standalone --bind 127.0.0.1:0 --data-dir "$work/data" > "$work/server.out" 2>&1 &
  FERRY_PID=$!
  export FERRY_PID
  for _ in $(seq 1 300); do
    grep -q "listening on" "$work/server.out" 2>/dev/null && break
    kill -0 "$FERRY_PID" 2>/dev/null || break
    sleep 0.1
  done
  FERRY_URL=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$work/server.out" | head -1)
  if [ -z "$FERRY_URL" ]; then
    echo "ferry standalone did not start:" >&2
    cat "$work/server.out" >&2
    return 1
  fi
  export FERRY_URL
  wait_for "curl -sf -o /dev/null $FERRY_URL/healthz" 60
}

stop_ferry() {
  [ -n "${FERRY_PID:-}" ] || return 0
  kill "$FERRY_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$FERRY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$FERRY_PID" 2>/dev/null || true
  wait "$FERRY_PID" 2>/dev/null || true
  FERRY_PID=
}
