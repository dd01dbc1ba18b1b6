"""Two grader trees on the same class, interleaved: wall time and CPU per submission.

    python bench/ab_trees.py CLASS_DIR ROUNDS BEFORE_TREE AFTER_TREE

BEFORE_TREE / AFTER_TREE: checkouts of the grader (``git archive REV | tar -x -C DIR``);
each batch runs ``python -m grader batch`` with that tree first on PYTHONPATH (the fork
servers inherit it). CPU is every reaped descendant's (RUSAGE_CHILDREN). On a shared
machine only figures of one invocation compare.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(class_dir: Path, tree: Path, out: Path) -> tuple[float, float, int]:
    """(wall seconds, ms of CPU per report, reports written) of one batch."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started, before = time.perf_counter(), os.times()
    subprocess.run([sys.executable, "-m", "grader", "batch", str(class_dir), "--out", str(out), "-j", "2", "-q",
                    "--force"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir(),
                   check=False)
    wall, after = time.perf_counter() - started, os.times()
    cpu = after.children_user + after.children_system - before.children_user - before.children_system
    reports = len([p for p in out.glob("*.json") if p.name != "summary.json"])
    return wall, cpu * 1000 / max(1, reports), reports


def main() -> None:
    class_dir, rounds = Path(sys.argv[1]), int(sys.argv[2])
    trees = {"before": Path(sys.argv[3]).resolve(), "after": Path(sys.argv[4]).resolve()}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="ab-trees-") as tmp:
        for round_number in range(rounds):
            for name, tree in trees.items():
                wall, cpu_ms, reports = run_once(class_dir, tree, Path(tmp) / name)
                results[name].append((round(wall, 1), round(cpu_ms)))
                print(f"{name} round {round_number} wall {wall:.1f} s cpu/sub {cpu_ms:.0f} ms reports {reports}",
                      flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
