#!/usr/bin/env bash
# Measures how closely a copy keeps to its bandwidth budget, for a task's own budget and
# for a pipeline's budget shared by two tasks running at once. Prints the measured rate
# and its ratio to the budget (the goal: within 10%).
#
#   FERRY=target/release/ferry bash bench/bandwidth.sh
#
# The embedded mode draws from the in-process bucket; the distributed stack runs the
# same GCRA step as a Redis script (tested in redis-coord/tests/coordinator/bandwidth.rs).
set -euo pipefail
FERRY="${FERRY:-${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}/release/ferry}"
DIR="${DIR:-/tmp/ferry-bench-bw}"
MIB=${MIB:-64}            # size of each of the 4 files
BUDGET_MIB=${BUDGET_MIB:-64}
rm -rf "$DIR"; mkdir -p "$DIR/src/a" "$DIR/src/b"
for i in 1 2; do
  head -c $((MIB << 20)) /dev/urandom > "$DIR/src/a/f$i.bin"
  head -c $((MIB << 20)) /dev/urandom > "$DIR/src/b/f$i.bin"
done
total=$((4 * MIB << 20))

measure() {  # measure <label> <spec file>
  rm -rf "$DIR/out" "$DIR/data"
  local start end
  start=$(date +%s.%N)
  "$FERRY" run "$2" --data-dir "$DIR/data" >/dev/null
  end=$(date +%s.%N)
  python3 - "$1" "$start" "$end" "$total" "$BUDGET_MIB" <<'PY'
import sys
label, start, end, total, budget = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
secs = end - start
rate = total / secs / (1 << 20)
print(f"{label:<34} {total >> 20} MiB in {secs:6.2f} s = {rate:7.1f} MiB/s, budget {budget} MiB/s, ratio {rate / budget:.3f}")
PY
}

cat > "$DIR/task.yaml" <<YAML
name: bw-task
tasks:
  - {id: all, kind: copy, source: $DIR/src/, destination: $DIR/out/, bandwidth: "${BUDGET_MIB}MiB/s"}
YAML
cat > "$DIR/pipeline.yaml" <<YAML
name: bw-pipeline
bandwidth: "${BUDGET_MIB}MiB/s"
tasks:
  - {id: a, kind: copy, source: $DIR/src/a/, destination: $DIR/out/a/}
  - {id: b, kind: copy, source: $DIR/src/b/, destination: $DIR/out/b/}
YAML
cat > "$DIR/free.yaml" <<YAML
name: bw-free
tasks:
  - {id: all, kind: copy, source: $DIR/src/, destination: $DIR/out/}
YAML
echo "ferry: $FERRY"
measure "no budget (for scale)" "$DIR/free.yaml"
for round in 1 2 3; do
  measure "task budget, round $round" "$DIR/task.yaml"
  measure "pipeline budget, 2 tasks, round $round" "$DIR/pipeline.yaml"
done
rm -rf "$DIR"
