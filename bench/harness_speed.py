"""Time the full behavior harness per submission, forked from a warm parent (as the sandbox does).

Usage: python bench/harness_speed.py [--runs 20] [SAMPLE ...]
Prints, per sample, the median wall time of one forked run, the CPU seconds the child
used (user + system, all threads) and the CPU per check, so the figures hold on a
loaded machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.behavior.harness import run as harness  # noqa: E402
from grader.behavior.harness.warmup import warm_up  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_forked(sample: str) -> tuple[float, float, dict]:
    with tempfile.TemporaryDirectory(prefix="speed-") as tmp:
        work = Path(tmp) / "sandbox" / "work"
        shutil.copytree(REPO / "sample_submissions" / sample, work)
        read_end, write_end = os.pipe()
        cpu_before, started = _children_cpu(), time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                data = json.dumps(harness.run_harness(str(work), {})).encode()
                os.write(write_end, data)  # pipes take 64 KiB atomically; results are smaller
            finally:
                os._exit(0)
        os.close(write_end)
        chunks = []
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        os.close(read_end)
        os.waitpid(pid, 0)
        return time.perf_counter() - started, _children_cpu() - cpu_before, json.loads(b"".join(chunks))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() in the parent before forking")
    parser.add_argument("samples", nargs="*", default=["save_then_process", "upload_file_to_task", "beh_custom_field"])
    args = parser.parse_args()
    warm_up()
    if args.freeze:
        gc.freeze()  # forked children then do not copy every page the collector touches
    out = []
    for sample in args.samples:
        walls, cpus, checks = [], [], {}
        for _ in range(args.runs):
            wall, cpu, result = run_forked(sample)
            walls.append(wall)
            cpus.append(cpu)
            for check_id, ms in result["run"]["timings"].get("checks_cpu_ms", {}).items():
                checks.setdefault(check_id, []).append(ms)
        out.append({
            "sample": sample, "runs": args.runs,
            "wall_s_median": round(statistics.median(walls), 4),
            "cpu_s_median": round(statistics.median(cpus), 4),
            "check_cpu_ms_median": {k: round(statistics.median(v), 1) for k, v in checks.items() if statistics.median(v) >= 1},
        })
    print(json.dumps({"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0], "results": out}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
