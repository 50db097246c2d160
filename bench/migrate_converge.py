#!/usr/bin/env python3
"""How fast a live migration converges: a 50,000-file tree migrated (local → local) by
`ferry run` of a `migrate` task (`cutover: auto`, `pass_interval: 1s`) while a writer
changes 20 files a second; the writer stops after WRITE_SECS. Prints the passes run, the
passes and seconds from the writer's stop to the cutover, the largest lag a pass saw,
and each pass's figures (from the task's result).

    python3 bench/migrate_converge.py
    FILES=5000 WRITE_SECS=10 python3 bench/migrate_converge.py    # a quick look
"""

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from copy_vs_rclone import ferry  # noqa: E402  (same release build)

WORK = Path(os.environ.get("WORK", "/tmp/ferry-bench-converge"))
FILES = int(os.environ.get("FILES", "50000"))
RATE = int(os.environ.get("RATE", "20"))
WRITE_SECS = float(os.environ.get("WRITE_SECS", "30"))
SIZE = 4096


def main():
    fe = ferry()
    src, dst, data = WORK / "src", WORK / "dst", WORK / "data"
    for d in (src, dst, data):
        shutil.rmtree(d, ignore_errors=True)
    print(f"making a {FILES}-file tree", flush=True)
    for i in range(FILES):
        d = src / f"d{i % 100:03}"
        if i < 100:
            d.mkdir(parents=True)
        (d / f"f{i:06}.bin").write_bytes(os.urandom(SIZE))
    spec = WORK / "converge.yaml"
    spec.write_text(
        "name: bench-converge\ntasks:\n  - {id: m, kind: migrate, "
        f"source: 'file://{src}/', destination: 'file://{dst}/', delete_extraneous: true, "
        "converge: {max_changed: 0, max_passes: 10000, pass_interval: 1s}}\n"
    )
    stop = threading.Event()
    written = [0]

    def writer():
        rng = random.Random(7)
        while not stop.is_set():
            t0 = time.monotonic()
            for _ in range(RATE):
                i = rng.randrange(FILES)
                (src / f"d{i % 100:03}" / f"f{i:06}.bin").write_bytes(os.urandom(SIZE))
                written[0] += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))

    started = time.monotonic()
    proc = subprocess.Popen([str(fe), "run", str(spec), "--no-progress", "--data-dir", str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    w = threading.Thread(target=writer)
    w.start()
    time.sleep(WRITE_SECS)
    stop.set()
    w.join()
    stopped, stopped_wall = time.monotonic(), time.time()
    out, err = proc.communicate()
    ended = time.monotonic()
    if proc.returncode != 0:
        sys.exit(f"ferry run failed ({proc.returncode}):\n{out[-3000:]}\n{err[-3000:]}")
    db = sqlite3.connect(data / "ferry.db")
    row = db.execute("select result, started_at, finished_at from tasks where kind = 'migrate'").fetchone()
    result = json.loads(row[0])
    passes = result["passes"]
    # Passes that started after the writer stopped (each pass records its start).
    from datetime import datetime
    after = sum(1 for p in passes if datetime.fromisoformat(p["started_at"].replace("Z", "+00:00")).timestamp() >= stopped_wall)
    print(f"writer: {RATE} files/s for {WRITE_SECS:.0f} s ({written[0]} writes)")
    print(f"migration: {result['passes_total']} passes in {ended - started:.1f} s; converged after the writer stopped in "
          f"{ended - stopped:.1f} s ({after} passes started after it, incl. the final pass; then the check); largest lag {result['max_lag_secs']} s")
    records = sum(f.stat().st_size for f in (dst / ".ferry").rglob("*") if f.is_file())
    print(f"records kept beside the data: {records / 1e6:.1f} MB for {FILES} paths "
          f"(~{records / FILES:.0f} B a path; 1,000,000 paths ≈ {records / FILES:.0f} MB)")
    for p in passes:
        print(f"  pass {p['pass']}: found {p.get('found_changed')} copied {p.get('copied')} deleted {p.get('deleted')} "
              f"lag {p.get('lag_secs')} s ({p.get('oldest_change', '-')}), {p.get('seconds', 0):.2f} s{' (final)' if p.get('final') else ''}")


if __name__ == "__main__":
    main()
