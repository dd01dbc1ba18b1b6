"""Where ``grader batch`` spends its CPU: per role of its process tree, per submission.

    python bench/cpu_roles.py CLASS_DIR [--jobs 2] [--repeat 2] [--build N]

Roles, by depth below the ``grader batch`` process:

- ``batch``: the batch process itself (depth 0).
- ``workers``: the processes that run ``grade_path`` (depth 1: static analysis, sandbox
  set-up, the parent-side re-check of saved files, report rendering).
- ``fork servers``: depth 2 (``grader.behavior.sandbox.forkserver``), their own CPU only.
- ``sandboxed``: every process the fork servers forked and reaped (the children that
  run the harness, and whatever they started): the fork servers' ``children`` CPU times.
  ``checks`` is the part the harness itself measured inside the checks (each report's
  ``run.timings.checks_cpu_total_ms``; older reports: the sum of ``checks_cpu_ms``, which
  counts overlapping checks twice), the rest is the child's import, set-up and tear-down.

The tree is sampled every 0.1 s with psutil (test extra); the peak PSS of the tree
(``/proc/<pid>/smaps_rollup``, shared pages counted once) is sampled at the same time.
The machine may be shared: compare figures taken in one session, and repeat.

``cpu_use`` is the tree's CPU time over wall time x cores: below 1, cores sat idle.
Arguments after ``--`` go to ``grader batch`` (``-- --per-job 16``).

``--build N`` first fills CLASS_DIR with N round-robin copies of the sample submissions
(``bench/throughput.py``'s ``build_class``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.throughput import pss_kib  # noqa: E402


def _depth(proc: psutil.Process, top: int) -> int:
    depth = 0
    while proc.pid != top:
        parent = proc.parent()
        if parent is None:
            return -1
        proc, depth = parent, depth + 1
    return depth


def measure(class_dir: Path, jobs: int, extra: list[str]) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="cpu-roles-out-"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    errors = tempfile.TemporaryFile()
    batch = subprocess.Popen(
        [sys.executable, "-m", "grader", "batch", str(class_dir), "--out", str(out), "--jobs", str(jobs), *extra],
        stdout=subprocess.DEVNULL, stderr=errors,
    )
    top = psutil.Process(batch.pid)
    last: dict[int, tuple[int, psutil._common.pcputimes]] = {}
    peak_pss = 0
    while batch.poll() is None:
        pss = 0
        try:
            members = [top, *top.children(recursive=True)]
        except psutil.Error:
            members = []
        for proc in members:
            try:
                times = proc.cpu_times()
                depth = last[proc.pid][0] if proc.pid in last else _depth(proc, batch.pid)
            except psutil.Error:
                continue
            last[proc.pid] = (depth, times)
            pss += pss_kib(proc.pid)
        peak_pss = max(peak_pss, pss)
        time.sleep(0.1)
    wall = time.monotonic() - started
    if batch.returncode != 0:  # e.g. a grader batch option it does not know: no figures then
        errors.seek(0)
        tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        shutil.rmtree(out, ignore_errors=True)
        raise SystemExit(f"grader batch exited with {batch.returncode}: {' '.join(tail)}")
    errors.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reports = [p for p in out.glob("*.json") if p.name not in ("summary.json",)]
    n = len(reports)
    checks_cpu = 0.0
    for path in reports:
        timings = (json.loads(path.read_text(encoding="utf-8")).get("run") or {}).get("timings") or {}
        total = timings.get("checks_cpu_total_ms")
        if isinstance(total, (int, float)):
            checks_cpu += total  # the process CPU of all checks (they may overlap)
        else:
            checks_cpu += sum(v for v in (timings.get("checks_cpu_ms") or {}).values() if isinstance(v, (int, float)))
    shutil.rmtree(out, ignore_errors=True)
    role = {0: "batch", 1: "workers", 2: "fork servers"}
    figures: dict[str, float] = {"n": n, "wall_s": round(wall, 1)}
    sandboxed_user = sandboxed_sys = 0.0
    for depth, times in last.values():
        name = role.get(depth)
        if name is None:
            continue  # sampled sandboxed processes: counted through the servers' children times
        figures[f"{name} user"] = figures.get(f"{name} user", 0.0) + times.user
        figures[f"{name} sys"] = figures.get(f"{name} sys", 0.0) + times.system
        if depth == 2:
            sandboxed_user += times.children_user
            sandboxed_sys += times.children_system
    figures["sandboxed user"] = sandboxed_user
    figures["sandboxed sys"] = sandboxed_sys
    per_sub = {k: round(v * 1000 / max(n, 1), 1) for k, v in figures.items() if k not in ("n", "wall_s")}
    per_sub["sandboxed checks (harness)"] = round(checks_cpu / max(n, 1), 1)
    total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    per_sub["TOTAL tree"] = round(total * 1000 / max(n, 1), 1)
    # The share of the machine's CPU time the batch used: what is left is idle cores.
    cpu_use = round(total / (wall * (os.cpu_count() or 1)), 3)
    return {"n": n, "wall_s": round(wall, 1), "cpu_use": cpu_use, "peak_pss_mib": round(peak_pss / 1024), **per_sub}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Arguments after -- go to grader batch (-- --per-job 16).")
    parser.add_argument("class_dir", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--build", type=int, default=0, help="first build N submissions into CLASS_DIR")
    # Split at "--" before parsing: argparse would reject "--per-job" as an option of ours,
    # and a typo in one of our own options must still be an error.
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    batch_args = argv[split + 1 :]
    if args.build:
        from bench.throughput import build_class

        args.class_dir.mkdir(parents=True, exist_ok=True)
        build_class(args.class_dir, args.build)
    rows = [measure(args.class_dir, args.jobs, batch_args) for _ in range(args.repeat)]
    keys = list(rows[0])
    print(f"{'ms CPU per submission':30}" + "".join(f"{'run ' + str(i + 1):>10}" for i in range(len(rows))))
    for key in keys:
        print(f"{key:30}" + "".join(f"{row.get(key, 0):>10}" for row in rows))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
