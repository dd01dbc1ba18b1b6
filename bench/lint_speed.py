"""Static analysis speed: ``grader lint`` over 1,000 files, and ms per file by stage.

    python bench/lint_speed.py [--files 1000] [--runs 1] [--stages-only | --wall-only]

Wall: the same setup as ``bench/throughput.py`` step 4 (the samples' ``.py`` files
repeated round-robin into folders of at most 500, one ``grader lint`` process per folder,
the wall time of all of them summed), with the CPU time all their processes used (on a
shared machine, wall time above CPU time / CPUs means other work took the CPUs).
``PYTHONPATH=<an exported older tree> python bench/lint_speed.py`` measures that tree.

Stages: in this process, over every sample ``.py`` file repeated (warm imports), the CPU
time (``time.process_time``) per file of parse (size guard + libcst parse), metadata and
facts (``ModuleAnalysis`` construction: names, scopes, the fact walk) and the 16 rules.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_submissions"
FOLDER_MAX = 500
GRADER = [sys.executable, "-m", "grader"]


def build_lint_folders(target: Path, count: int) -> list[Path]:
    """``count`` copies of the samples' ``.py`` files, in folders of at most 500."""
    files = sorted(SAMPLES.rglob("*.py"))
    folders: list[Path] = []
    for i in range(count):
        if i % FOLDER_MAX == 0:
            folders.append(target / f"part{len(folders)}")
            folders[-1].mkdir()
        source = files[i % len(files)]
        shutil.copyfile(source, folders[-1] / f"m{i:05d}_{source.stem}.py")
    return folders


def time_lint_wall(count: int) -> tuple[float, float]:
    """Wall seconds of the ``grader lint`` runs, and the CPU seconds they used (all processes)."""
    with tempfile.TemporaryDirectory(prefix="lint-speed-") as tmp:
        folders = build_lint_folders(Path(tmp), count)
        cpu_before = _children_cpu()
        started = time.perf_counter()
        for folder in folders:
            # cwd: the temp dir, so ``-m grader`` imports the grader PYTHONPATH names (A/B runs)
            done = subprocess.run(
                [*GRADER, "lint", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp
            )
            if done.returncode not in (0, 1):
                raise SystemExit(f"grader lint failed: {done.stderr.decode()[-500:]}")
        return time.perf_counter() - started, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_stages(repeat: int) -> dict[str, float]:
    """CPU ms per file of parse, analysis (metadata + facts) and rules, warm process."""
    import libcst as cst

    from grader.static.analysis import ModuleAnalysis
    from grader.static.registry import all_rules
    from grader.static.size_guard import check_size

    sources = []
    for path in sorted(SAMPLES.rglob("*.py")):
        try:  # the samples include a file that does not parse, on purpose: timed by the wall run
            cst.parse_module(path.read_bytes())
        except cst.ParserSyntaxError:
            continue
        sources.append((path.name, path.read_bytes()))
    rules = [r() for r in all_rules().values()]
    ModuleAnalysis.parse(sources[0][1])  # warm-up: imports, caches
    parse = analysis = rule_time = 0.0
    files = 0
    for _ in range(repeat):
        for name, data in sources:
            t0 = time.process_time()
            check_size(data)
            cst.parse_module(data)
            t1 = time.process_time()
            module = ModuleAnalysis.parse(data, path=name)
            t2 = time.process_time()
            for rule in rules:
                list(rule.check(module))
            t3 = time.process_time()
            parse += t1 - t0
            analysis += (t2 - t1) - (t1 - t0)  # ModuleAnalysis.parse parses again: subtract it
            rule_time += t3 - t2
            files += 1
    return {
        "files": files,
        "parse_ms": round(1000 * parse / files, 2),
        "metadata_and_facts_ms": round(1000 * analysis / files, 2),
        "rules_ms": round(1000 * rule_time / files, 2),
        "total_ms": round(1000 * (parse + analysis + rule_time) / files, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1, help="wall runs (the median is printed)")
    parser.add_argument("--repeat", type=int, default=10, help="stage timing: passes over the samples")
    parser.add_argument("--stages-only", action="store_true")
    parser.add_argument("--wall-only", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    if not args.wall_only:
        figures["stages"] = time_stages(args.repeat)
        print(f"per file (CPU ms): {figures['stages']}")
    if not args.stages_only:
        runs = sorted(time_lint_wall(args.files) for _ in range(args.runs))
        figures["lint_wall_s"] = round(runs[len(runs) // 2][0], 2)
        figures["lint_runs_wall_cpu_s"] = [(round(w, 2), round(c, 2)) for w, c in runs]
        print(
            f"grader lint over {args.files} files (folders of <= {FOLDER_MAX}): {figures['lint_wall_s']} s wall "
            f"(median of {len(runs)}; wall, CPU of every process: {figures['lint_runs_wall_cpu_s']})"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
