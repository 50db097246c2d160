#!/usr/bin/env python3
"""Ferry's change passes against rclone on the same trees, in one run.

1. Two-way: a 50,000-file tree on both sides of a sync with 1% of the files changed
   (half on each side): `ferry run` of a `sync` task vs `rclone bisync` (same rclone as
   the copy bench), each on its own copy of the trees, with its baseline made first
   (Ferry's first run; rclone's `--resync`).
2. One-way: the migration's change pass: a `migrate` task whose records cover the tree,
   1% of the source changed, vs `rclone copy` of the changed tree. Ferry's figure is the
   change pass's own duration from the task's result (`passes[0].seconds`); the whole
   `ferry run` (change pass, the converged pass, the final pass and the cutover check) is
   printed beside it.

Both local → local (the disk is the same for both tools). Prints medians and the ratio
peer / Ferry (above 1: Ferry is faster).

    python3 bench/sync_vs_bisync.py
    FILES=5000 ROUNDS=1 python3 bench/sync_vs_bisync.py    # a quick look
"""

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from copy_vs_rclone import ferry, rclone  # noqa: E402  (same rclone, same build)

WORK = Path(os.environ.get("WORK", "/tmp/ferry-bench-sync"))
FILES = int(os.environ.get("FILES", "50000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
SIZE = 4096
CHANGED = max(2, FILES // 100)


def make_tree(root: Path):
    shutil.rmtree(root, ignore_errors=True)
    for i in range(FILES):
        d = root / f"d{i % 100:03}"
        if i < 100:
            d.mkdir(parents=True)
        (d / f"f{i:06}.bin").write_bytes(os.urandom(SIZE))


def clone(src: Path, dst: Path):
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)


def change(roots, seed: int):
    """Rewrites 1% of the files (same size, new bytes): the first half on roots[0]'s
    side, the rest on roots[1]'s; every tool's trees get the same changes."""
    rng = random.Random(seed)
    picks = rng.sample(range(FILES), CHANGED)
    for n, i in enumerate(picks):
        rel = f"d{i % 100:03}/f{i:06}.bin"
        body = os.urandom(SIZE)
        for pair in roots:
            side = pair[0] if n < CHANGED // 2 else pair[1]
            (side / rel).write_bytes(body)


def timed(cmd, env=None):
    t0 = time.monotonic()
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    took = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return took


def same(x: Path, y: Path):
    """Outside the timings: the two trees hold the same files (Ferry's own `.ferry*`
    entries and rclone's listings aside)."""
    p = subprocess.run(["diff", "-rq", "--exclude=.ferry*", str(x), str(y)], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{x} and {y} differ after the pass:\n{p.stdout[-2000:]}")


def spec(path: Path, task: str) -> Path:
    path.write_text(f"name: bench-{path.stem}\ntasks:\n  - {task}\n")
    return path


def last_result(data: Path, kind: str):
    db = sqlite3.connect(data / "ferry.db")
    row = db.execute("select result from tasks where kind = ? order by created_at desc limit 1", (kind,)).fetchone()
    return json.loads(row[0]) if row and row[0] else None


def main():
    fe, rc = ferry(), rclone()
    WORK.mkdir(parents=True, exist_ok=True)
    base = WORK / "tree"
    print(f"making a {FILES}-file tree ({SIZE} B each)", flush=True)
    make_tree(base)

    # --- two-way ---
    fa, fb, ra, rb = WORK / "fa", WORK / "fb", WORK / "ra", WORK / "rb"
    for d in (fa, fb, ra, rb):
        clone(base, d)
    data = WORK / "data-sync"
    shutil.rmtree(data, ignore_errors=True)
    sync_spec = spec(WORK / "sync.yaml", f"{{id: s, kind: sync, a: 'file://{fa}/', b: 'file://{fb}/'}}")
    rwork = WORK / "bisync-work"
    shutil.rmtree(rwork, ignore_errors=True)
    first = timed([fe, "run", sync_spec, "--no-progress", "--data-dir", data])
    resync = timed([rc, "bisync", ra, rb, "--resync", "--workdir", rwork, "--max-delete", "50"])
    print(f"baselines: ferry first sync {first:.2f} s, rclone bisync --resync {resync:.2f} s", flush=True)
    ferry_s, rclone_s = [], []
    for r in range(ROUNDS):
        change([(fa, fb), (ra, rb)], seed=r)
        tools = [("ferry", [fe, "run", sync_spec, "--no-progress", "--data-dir", data]),
                 ("rclone", [rc, "bisync", ra, rb, "--workdir", rwork, "--max-delete", "50"])]
        if r % 2:
            tools.reverse()
        for name, cmd in tools:
            t = timed(cmd)
            (ferry_s if name == "ferry" else rclone_s).append(t)
            print(f"  round {r + 1}: {name} {t:.2f} s", flush=True)
        same(fa, fb)
        same(ra, rb)
    fm, rm = statistics.median(ferry_s), statistics.median(rclone_s)
    print(f"sync pass, {FILES} files, {CHANGED} changed (half each side): ferry {fm:.2f} s, rclone bisync {rm:.2f} s, ratio {rm / fm:.2f}x", flush=True)

    # --- one-way ---
    fs, fd, rs, rd = WORK / "fs", WORK / "fd", WORK / "rs", WORK / "rd"
    for d in (fs, rs):
        clone(base, d)
    for d in (fd, rd):
        shutil.rmtree(d, ignore_errors=True)
    data = WORK / "data-migrate"
    shutil.rmtree(data, ignore_errors=True)
    mig_spec = spec(WORK / "migrate.yaml", f"{{id: m, kind: migrate, source: 'file://{fs}/', destination: 'file://{fd}/', converge: {{pass_interval: 0s}}}}")
    timed([fe, "run", mig_spec, "--no-progress", "--data-dir", data])
    timed([rc, "copy", rs, rd, "--transfers", "16", "--checkers", "16"])
    pass_s, whole_s, copy_s = [], [], []
    for r in range(ROUNDS):
        change([(fs, fs), (rs, rs)], seed=100 + r)
        whole = timed([fe, "run", mig_spec, "--no-progress", "--data-dir", data])
        res = last_result(data, "migrate") or {}
        first_pass = (res.get("passes") or [{}])[0].get("seconds", whole)
        t = timed([rc, "copy", rs, rd, "--transfers", "16", "--checkers", "16"])
        same(fs, fd)
        pass_s.append(first_pass)
        whole_s.append(whole)
        copy_s.append(t)
        print(f"  round {r + 1}: ferry change pass {first_pass:.2f} s (whole run {whole:.2f} s), rclone copy {t:.2f} s", flush=True)
    pm, wm, cm = statistics.median(pass_s), statistics.median(whole_s), statistics.median(copy_s)
    print(f"migrate change pass, {FILES} files, {CHANGED} changed: ferry {pm:.2f} s (whole run with converge + final pass + check {wm:.2f} s), rclone copy {cm:.2f} s, ratio {cm / pm:.2f}x (whole run {cm / wm:.2f}x)", flush=True)


if __name__ == "__main__":
    main()
