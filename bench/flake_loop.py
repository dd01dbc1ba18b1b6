"""Run the timing-sensitive behavior checks N times per sample and report verdict stability.

Usage: python bench/flake_loop.py [--runs 50] [--no-burner] [--all-checks] [SAMPLE ...]

``--all-checks`` runs the whole catalog (the robustness checks together, then any
failure again alone: grader.behavior.harness.run.OVERLAPPED) instead of the
timing-sensitive subset, and also counts how often each check needed its retry.

Each run forks a child from this warm parent (as the sandbox does), copies the sample to
a fresh <tmp>/sandbox/work, runs the harness there and sends the result back over a
pipe. Meanwhile a burner process spins on another core, so the figures are measured
under CPU contention. Exit status 1 when any sample's verdicts differ between runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.behavior.harness import run as harness  # noqa: E402  (imported before forking, like the sandbox)
from grader.behavior.harness.warmup import warm_up  # noqa: E402

SAMPLES = ("upload_file_to_task", "save_then_process", "beh_inline_processing", "beh_blocking_task", "beh_fixed_name", "good_sync_def")
TIMING_CHECKS = [
    "app-loads", "upload-accepted", "task-scheduled", "response-before-processing", "task-completes",
    "saved-file-intact", "saved-before-response", "loop-responsive", "concurrent-uploads-intact",
]


CHECKS: list[str] | None = TIMING_CHECKS  # None: every check (--all-checks)


def _child(work: str, conn: Any) -> None:
    try:
        result = harness.run_harness(work, {"checks": CHECKS, "timeout": 30})
        conn.send(json.dumps(result))
    finally:
        os._exit(0)


def run_once(sample: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="flake-") as tmp:
        work = Path(tmp) / "sandbox" / "work"
        shutil.copytree(REPO / "sample_submissions" / sample, work)
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(str(work), sender))
        process.start()
        sender.close()
        data = receiver.recv() if receiver.poll(60) else None
        process.join(5)
        if process.is_alive():
            process.kill()
        if data is None:
            raise RuntimeError(f"{sample}: the child sent no result")
        return json.loads(data)


def _ordering_margin_ms(result: dict[str, Any]) -> float | None:
    timeline = result["run"].get("primary_timeline") or {}
    tasks = timeline.get("tasks") or []
    if not tasks or timeline.get("response_complete_ms") is None:
        return None
    return tasks[0]["started_ms"] - timeline["response_complete_ms"]


def measure(sample: str, runs: int) -> dict[str, Any]:
    verdict_sets: Counter[str] = Counter()
    gaps: list[float] = []
    margins: list[float] = []
    durations: list[float] = []
    retried: Counter[str] = Counter()
    for _ in range(runs):
        started = time.perf_counter()
        result = run_once(sample)
        durations.append(time.perf_counter() - started)
        key = " ".join(f"{v['id']}={v['status']}" for v in result["verdicts"])
        verdict_sets[key] += 1
        if "max_loop_gap_ms" in result["run"]:
            gaps.append(result["run"]["max_loop_gap_ms"])
        retried.update((result["run"].get("overlap") or {}).get("retried_alone", []))
        margin = _ordering_margin_ms(result)
        if margin is not None:
            margins.append(margin)
    (common, count), = verdict_sets.most_common(1)
    failing = sorted(item.split("=")[0] for item in common.split() if not item.endswith("=passed"))
    return {
        "sample": sample,
        "runs": runs,
        "distinct_verdict_sets": len(verdict_sets),
        "stable": len(verdict_sets) == 1,
        "not_passed": failing,
        "loop_gap_ms": {"min": min(gaps, default=None), "median": statistics.median(gaps) if gaps else None,
                        "max": max(gaps, default=None)},
        "task_start_minus_response_ms_min": round(min(margins), 3) if margins else None,
        "seconds_per_run_median": round(statistics.median(durations), 3),
        "retried_alone": dict(retried),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--no-burner", action="store_true", help="do not keep another core busy")
    parser.add_argument("--all-checks", action="store_true", help="every check, not only the timing ones")
    parser.add_argument("samples", nargs="*", default=list(SAMPLES))
    args = parser.parse_args(argv)
    global CHECKS
    if args.all_checks:
        CHECKS = None
    warm_up()
    burner = None
    if not args.no_burner:
        burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        reports = [measure(sample, args.runs) for sample in args.samples]
    finally:
        if burner is not None:
            burner.kill()
            burner.wait()
    load = os.getloadavg()[0]
    print(json.dumps({"cpus": os.cpu_count(), "load_1min_at_end": load, "results": reports}, indent=2))
    return 0 if all(r["stable"] for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
