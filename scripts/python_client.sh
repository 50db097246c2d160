#!/usr/bin/env bash
# Generates a Python client from openapi.yaml with openapi-python-client (the usual
# generator of tenants' programs), fails on any warning it prints, then uses the client
# against a live `ferry standalone`: create a pipeline, start a run, wait for it, read its
# tasks. Run by scripts/test.sh after the Rust tests (it uses the binary they built).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
ensure_venv
[ -x "$SVC/venv/bin/openapi-python-client" ] || "$SVC/venv/bin/pip" install -q openapi-python-client==0.29.1

work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
out=$("$SVC/venv/bin/openapi-python-client" generate --path openapi.yaml --meta none \
  --output-path "$work/ferry_client" --config scripts/openapi-python-client.yaml 2>&1)
if grep -qiE "warning|unable|error" <<<"$out"; then
  echo "openapi-python-client reported problems with openapi.yaml:" >&2
  echo "$out" >&2
  exit 1
fi

bin="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}/debug/ferry"
FERRY_ADMIN_KEY=python-client-key "$bin" standalone --bind 127.0.0.1:0 --data-dir "$work/data" > "$work/server.out" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$work/server.out" | head -1)
[ -n "$base" ] || { echo "ferry standalone did not start:" >&2; cat "$work/server.out" >&2; exit 1; }

PYTHONPATH="$work" FERRY_BASE="$base" "$SVC/venv/bin/python" - <<'PY'
import os, time
from ferry_client import AuthenticatedClient
from ferry_client.api.pipelines import create_pipeline
from ferry_client.api.runs import create_run
from ferry_client.api.runs import get_run
from ferry_client.api.tasks import list_run_tasks
from ferry_client.models import PipelineSpec, TaskSpec, Pipeline, Run

client = AuthenticatedClient(base_url=os.environ["FERRY_BASE"], token="python-client-key")
spec = PipelineSpec(name="from-python", tasks=[TaskSpec(id="a", kind="noop"), TaskSpec(id="b", kind="noop", depends_on=["a"])])
pipeline = create_pipeline.sync(client=client, body=spec)
assert isinstance(pipeline, Pipeline), pipeline
run = create_run.sync(client=client, id=pipeline.id)
assert isinstance(run, Run), run
deadline = time.time() + 30
while run.state.value not in ("succeeded", "failed", "cancelled"):
    assert time.time() < deadline, f"run still {run.state}"
    time.sleep(0.1)
    run = get_run.sync(client=client, id=run.id)
assert run.state.value == "succeeded", run
tasks = list_run_tasks.sync(client=client, id=run.id)
states = sorted((t.key, t.state.value) for t in tasks.items)
assert states == [("a", "succeeded"), ("b", "succeeded")], states
print(f"python client: pipeline {pipeline.id}, run {run.id} succeeded with {len(tasks.items)} tasks")
PY
