#!/usr/bin/env bash
# Runs Ferry's whole test suite, starting the servers it needs first. This is the
# README's test command and exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Builds are reused between runs on the same machine from a folder outside the clone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"

# Module imports form a DAG in every crate, and crates depend only as ARCHITECTURE.md
# says; both are cheap (nothing is built), so they run first.
python3 scripts/module_cycles.py
bash scripts/crate_graph.sh

source scripts/services.sh
ensure_postgres
ensure_mariadb
ensure_redis
ensure_rabbitmq
ensure_rabbitmq_management
ensure_seaweedfs
ensure_azurite
ensure_smtp_sink
ensure_browser

status=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@" || status=$?
else
  cargo test --workspace --no-fail-fast "$@" || status=$?
fi

# openapi.yaml must generate a working Python client (openapi-python-client, no warnings).
bash scripts/python_client.sh || status=1
# A live server fuzzed against openapi.yaml: no 5xx, no answer outside the schema.
bash scripts/schemathesis.sh || status=1
# The portal in Chromium: sign-in, spec errors at their lines, a run's live progress, a
# paged check report, tenant isolation, escaping, axe-core and a 390 px viewport.
bash scripts/browser_test.sh || status=1
exit "$status"
