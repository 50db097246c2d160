#!/usr/bin/env bash
# Peak memory of planning and running a copy of a very large tree, to show that a copy
# holds one shard of names at a time rather than the whole listing: the same tree shape
# at N/10 and at N files, copied into an empty folder and then again (every file skipped,
# so the second run is planning alone). Prints files, seconds, files/s and peak RSS.
#
#   FERRY=target/release/ferry bash bench/plan_memory.sh          # N = 1,000,000
#   N=200000 FERRY=target/release/ferry bash bench/plan_memory.sh
#
# Needs about 2 × N inodes and a few minutes; everything is deleted at the end.
set -euo pipefail
FERRY="${FERRY:-${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}/release/ferry}"
DIR="${DIR:-/tmp/ferry-bench-plan}"
N="${N:-1000000}"

make_tree() {  # make_tree <root> <files>: 1,000 folders, 16-byte files
  python3 - "$1" "$2" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = max(1, n // 1000)
for d in range((n + per - 1) // per):
    p = os.path.join(root, f"d{d:04}")
    os.makedirs(p, exist_ok=True)
    for f in range(min(per, n - d * per)):
        with open(os.path.join(p, f"f{f:06}.dat"), "wb") as fh:
            fh.write(b"0123456789abcdef")
PY
}

measure() {  # measure <label> <files> <spec>
  local out
  out=$( { /usr/bin/time -f "%e %M" "$FERRY" run "$3" --no-progress --data-dir "$DIR/data-$1" >/dev/null; } 2>&1 | tail -1)
  read -r secs kib <<<"$out"
  python3 -c "import sys; n,s,k=int(sys.argv[1]),float(sys.argv[2]),int(sys.argv[3]); print(f'{sys.argv[4]:<28} {n:>9} files {s:8.2f} s {n/s:>9.0f} files/s  peak RSS {k/1024:7.1f} MiB')" "$2" "$secs" "$kib" "$1"
}

rm -rf "$DIR"; mkdir -p "$DIR"
echo "ferry: $FERRY"
for n in $((N / 10)) "$N"; do
  make_tree "$DIR/src-$n" "$n"
  printf 'name: plan-%s\ntasks:\n  - {id: copy, kind: copy, source: %s/, destination: %s/}\n' \
    "$n" "$DIR/src-$n" "$DIR/dst-$n" > "$DIR/copy-$n.yaml"
  measure "copy-$n" "$n" "$DIR/copy-$n.yaml"
  measure "again-$n (all skipped)" "$n" "$DIR/copy-$n.yaml"
done
rm -rf "$DIR"
