#!/usr/bin/env python3
"""Fan-out cost: one copy of the 50,000 × 4 KiB tree to 1 and to 3 local destinations,
and to 1 sync + 2 async ones (the async deliveries read the first destination, not the
source; `ferry run` waits for them).

Prints, for each, the wall time, files/s per destination and in all, and the bytes the
copy read from disk — the source's pages are dropped from the page cache before each run
(posix_fadvise DONTNEED, no root needed), so a copy that reads the source once reads
about the tree's size whatever the number of destinations. Medians over ROUNDS rounds,
1 and 3 destinations alternating.

    python3 bench/fanout.py                     # 50,000 × 4 KiB, 3 rounds
    SMALL_FILES=5000 ROUNDS=1 python3 bench/fanout.py   # a quick look
    FERRY=/path/to/ferry python3 bench/fanout.py
"""

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from copy_vs_rclone import SMALL_FILES, SMALL_SIZE, ferry, make_small  # noqa: E402

WORK = Path(os.environ.get("WORK", "/tmp/ferry-bench-fanout"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))


def drop_cache(root: Path):
    """Evicts the tree's pages, so the next read of it comes from disk."""
    for d, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(d, name), os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def run(exe: Path, src: Path, dests: list, data: Path, asynchronous: bool = False):
    """Seconds and bytes read from disk (GNU time's %I, 512-byte blocks) of one copy."""
    spec = data.with_suffix(".yaml")
    lines = "".join(f"      - {d}/\n" if i == 0 or not asynchronous else f"      - {{url: '{d}/', delivery: async}}\n" for i, d in enumerate(dests))
    spec.write_text(f"name: fanout\ntasks:\n  - id: copy\n    kind: copy\n    source: {src}/\n    destinations:\n{lines}")
    drop_cache(src)
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%I", str(exe), "run", str(spec), "--no-progress", "--data-dir", str(data)], capture_output=True, text=True)
    took = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"ferry failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    blocks = int(p.stderr.strip().splitlines()[-1])
    for d in dests:
        got = sum(len([n for n in f if n != ".done"]) for _, _, f in os.walk(d))
        if got != SMALL_FILES:
            sys.exit(f"{d} holds {got} files, not {SMALL_FILES}")
    return took, blocks * 512


def main():
    exe = ferry()
    src = WORK / "src"
    make_small(src)
    tree = SMALL_FILES * SMALL_SIZE
    results = {"1": [], "3": [], "1 + 2 async": []}
    n = 0
    for r in range(ROUNDS):
        for kind in (("1", "3", "1 + 2 async") if r % 2 == 0 else ("1 + 2 async", "3", "1")):
            n += 1
            out = WORK / f"out{n}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            count = 1 if kind == "1" else 3
            dests = [out / f"dest{i}" for i in range(count)]
            results[kind].append(run(exe, src, dests, out / "data", asynchronous=kind.endswith("async")))
            shutil.rmtree(out, ignore_errors=True)
    print(f"\nfan-out of {SMALL_FILES:,} × {SMALL_SIZE // 1024} KiB ({tree / 2**20:.0f} MiB), median of {ROUNDS} (release build {exe})")
    print(f"{'destinations':>12} | {'time':>8} | {'files/s per dest':>16} | {'files/s in all':>14} | {'read from disk':>15} | {'read / tree':>11}")
    for kind, rows in results.items():
        count = 1 if kind == "1" else 3
        took = statistics.median(t for t, _ in rows)
        read = statistics.median(b for _, b in rows)
        print(f"{kind:>12} | {took:>7.2f}s | {SMALL_FILES / took:>16,.0f} | {count * SMALL_FILES / took:>14,.0f} | {read / 2**20:>11.0f} MiB | {read / tree:>10.2f}×")
    one, three, deferred = (statistics.median(t for t, _ in results[c]) for c in ("1", "3", "1 + 2 async"))
    print(f"3 destinations take {three / one:.2f}× the time of 1 (writing 3× the files); 1 sync + 2 async take {deferred / one:.2f}×")


if __name__ == "__main__":
    main()
