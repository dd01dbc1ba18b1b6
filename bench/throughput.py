"""Throughput benchmark: ``grader batch`` over N generated submissions vs the naive baseline.

    python bench/throughput.py [--n 1000] [--jobs 2] [--baseline-n 100] [--skip-baseline]

1. Builds N submissions in a temp dir: copies of ``sample_submissions/`` with distinct
   names, taken round-robin over every sample (the mix is printed: the samples are a
   class with good answers, the common mistakes and a few slow, blocking apps).
2. Runs ``grader batch`` over them with the full default rubric (every static rule and
   every behavior check), sampling the memory of the batch's whole process tree every
   0.2 s: the sum of PSS (``/proc/<pid>/smaps_rollup``: pages shared by forked children
   counted once, split between sharers) and, for comparison, the sum of RSS (shared
   pages counted once per process, so an over-estimate).
3. Runs the naive baseline (``bench/naive_baseline.py``: one pytest process per
   submission, 2 at a time) over the first ``--baseline-n`` of the same submissions and
   scales it as a rate (submissions/s).
4. Grades one copy of each sample alone (``grader grade``) and compares every copy's
   score and check statuses in the batch with it (``--skip-alone`` to skip).
5. Times ``grader lint`` over 1,000 files (the samples' ``.py`` files repeated, in two
   folders of 500: the most one submission may hold) and one
   ``grader grade`` of ``sample_submissions/good_sync_def`` end to end (median of 3).

Prints a table and one JSON line with every figure. Needs psutil (test extra).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_submissions"
sys.path.insert(0, str(ROOT))

from bench.naive_baseline import run_baseline  # noqa: E402

GRADER = [sys.executable, "-m", "grader"]


def build_class(target: Path, n: int) -> Counter[str]:
    """Copies of the samples, each made unique: a comment naming the copy ends every .py
    file, so no cache keyed by content (ours or the OS's) can grade a copy for free."""
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    mix: Counter[str] = Counter()
    for i in range(n):
        sample = samples[i % len(samples)]
        copy = target / f"s{i:05d}_{sample.name}"
        shutil.copytree(sample, copy, ignore=shutil.ignore_patterns("__pycache__"))
        for module in copy.rglob("*.py"):
            with module.open("a", encoding="utf-8") as handle:
                handle.write(f"\n# bench copy {i:05d}\n")
        mix[sample.name] += 1
    return mix


def children_cpu_s() -> float:
    """CPU seconds (user + system) of every reaped descendant so far: a batch's workers,
    fork servers and sandboxed children are each reaped by their parent, so they all count."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pss_kib(pid: int) -> int:
    """The process's proportional set size (shared pages split between sharers), 0 if gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMemory:
    """Peak of the summed PSS and RSS of a process and all its descendants."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.peak_pss_kib = 0
        self.peak_rss_kib = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            pss = rss = 0
            for proc in procs:
                try:
                    rss += proc.memory_info().rss // 1024
                except psutil.Error:
                    continue
                pss += pss_kib(proc.pid)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_processes = max(self.peak_processes, len(procs))
            self._stop.wait(self.every)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_batch(submissions: Path, out: Path, jobs: int, extra_env: dict[str, str],
              per_job: int | None = None) -> dict[str, float]:
    started, cpu_started = time.perf_counter(), children_cpu_s()
    env = {**os.environ, **extra_env}
    extra = ["--per-job", str(per_job)] if per_job else []
    proc = subprocess.Popen([*GRADER, "batch", str(submissions), "--out", str(out), "--jobs", str(jobs), "--force", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    with TreeMemory(proc.pid) as memory:
        _, err = proc.communicate()
    seconds = time.perf_counter() - started
    cpu_seconds = children_cpu_s() - cpu_started
    if proc.returncode != 0:
        raise SystemExit(f"grader batch failed ({proc.returncode}): {err.decode()[-2000:]}")
    summary = json.loads((out / "summary.json").read_text())
    statuses = Counter(s["status"] for s in summary["students"].values()) if isinstance(summary.get("students"), dict) \
        else Counter(s.get("status") for s in summary.get("students", []))
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 1), "peak_pss_mib": round(memory.peak_pss_kib / 1024, 1),
            "peak_rss_sum_mib": round(memory.peak_rss_kib / 1024, 1), "peak_processes": memory.peak_processes,
            "statuses": dict(statuses), "not_graded": _not_graded(out)}


def _not_graded(out: Path) -> list[str]:
    """Each report whose status is not 'graded', with the first thing it says went wrong."""
    found = []
    for path in sorted(out.glob("*.json")):
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(report, dict) and "status" in report and report.get("status") not in ("graded", None) \
                and "submission" in report:
            why = (report.get("errors") or ["(no error text)"])[0]
            found.append(f"{report['submission']}: {report['status']}: {str(why)[:200]}")
    return found


def verdicts(report: dict) -> tuple:
    """What a grade says: the score, the status and every check's status."""
    checks = report.get("checks") or []
    statuses = sorted((c.get("id"), c.get("status")) for c in checks) if isinstance(checks, list) \
        else sorted((k, v.get("status")) for k, v in checks.items())
    return report.get("score"), report.get("status"), tuple(statuses)


def compare_with_alone(classroom: Path, out: Path, keep: Path | None = None) -> dict[str, object]:
    """Grade one copy of each sample alone (``grader grade``, one after the other, nothing
    else running) and compare every copy's grade in the batch with it. ``keep``: a folder
    that gets both reports of each difference."""
    alone: dict[str, tuple] = {}
    differ: list[str] = []
    with tempfile.TemporaryDirectory(prefix="alone-") as tmp:
        for entry in sorted(classroom.iterdir()):
            sample = entry.name.split("_", 1)[1]
            if sample in alone:
                continue
            target = Path(tmp) / f"{sample}.json"
            subprocess.run([*GRADER, "grade", str(entry), "--format", "json", "-o", str(target)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            alone[sample] = verdicts(json.loads(target.read_text())) if target.exists() else ("no report",)
            if keep is not None and target.exists():
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(target, keep / f"alone_{sample}.json")
    compared = 0
    for entry in sorted(classroom.iterdir()):
        sample = entry.name.split("_", 1)[1]
        try:
            in_batch = verdicts(json.loads((out / f"{entry.name}.json").read_text()))
        except (OSError, ValueError):
            in_batch = ("no report",)
        compared += 1
        if in_batch != alone[sample]:
            differ.append(f"{entry.name}: batch {_differences(in_batch, alone[sample])}")
            if keep is not None and (out / f"{entry.name}.json").exists():
                shutil.copyfile(out / f"{entry.name}.json", keep / f"batch_{entry.name}.json")
    return {"samples": len(alone), "compared": compared, "differ": differ}


def _differences(batch: tuple, alone: tuple) -> str:
    if len(batch) < 3 or len(alone) < 3:
        return f"{batch} / alone {alone}"
    in_batch, by_itself = dict(batch[2]), dict(alone[2])
    changed = [f"{check} {in_batch.get(check)} (alone {by_itself.get(check)})"
               for check in sorted(set(in_batch) | set(by_itself)) if in_batch.get(check) != by_itself.get(check)]
    return f"score {batch[0]} (alone {alone[0]}); {', '.join(changed[:6])}"


LINT_FOLDER_MAX = 500  # grader refuses a submission with more Python files than this


def time_lint(count: int) -> dict[str, float]:
    """``grader lint`` over ``count`` files, as folders of at most 500 (one run each)."""
    files = sorted(SAMPLES.rglob("*.py"))
    with tempfile.TemporaryDirectory(prefix="lint-bench-") as tmp:
        folders = []
        for i in range(count):
            if i % LINT_FOLDER_MAX == 0:
                folders.append(Path(tmp) / f"part{len(folders)}")
                folders[-1].mkdir()
            source = files[i % len(files)]
            shutil.copyfile(source, folders[-1] / f"m{i:05d}_{source.stem}.py")
        started = time.perf_counter()
        for folder in folders:
            done = subprocess.run([*GRADER, "lint", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if done.returncode not in (0, 1):  # 1: findings that are errors
                raise SystemExit(f"grader lint failed: {done.stderr.decode()[-500:]}")
        return {"files": count, "runs": len(folders), "seconds": round(time.perf_counter() - started, 2)}


def time_single_grade(runs: int = 3) -> dict[str, float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*GRADER, "grade", str(SAMPLES / "good_sync_def")], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(walls), 2), "runs": [round(w, 2) for w in walls]}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs visible, "
            f"{memory:.0f} GiB RAM, Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--per-job", type=int, default=None, help="grader batch --per-job (default: grader's)")
    parser.add_argument("--baseline-n", type=int, default=100)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-extras", action="store_true", help="no lint / single grade timing")
    parser.add_argument("--keep", type=Path, default=None,
                        help="copy both reports of every verdict that differs from grading alone here")
    parser.add_argument("--skip-alone", action="store_true",
                        help="do not grade each sample alone to compare the batch's verdicts with")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        classroom = Path(tmp) / "class"
        classroom.mkdir()
        mix = build_class(classroom, args.n)
        print(f"class: {args.n} submissions, round-robin copies of {len(mix)} samples "
              f"({min(mix.values())}-{max(mix.values())} each): {', '.join(sorted(mix))}")
        batch = run_batch(classroom, Path(tmp) / "out", args.jobs, {}, args.per_job)
        batch["per_s"] = round(args.n / batch["seconds"], 2)
        batch["cpu_ms_per_submission"] = round(batch["cpu_seconds"] * 1000 / args.n)
        print(f"grader batch --jobs {args.jobs}: {batch['seconds']} s, {batch['per_s']} submissions/s, "
              f"CPU {batch['cpu_seconds']} s ({batch['cpu_ms_per_submission']} ms per submission), "
              f"peak memory of the batch's process tree: PSS {batch['peak_pss_mib']} MiB "
              f"(sum of RSS {batch['peak_rss_sum_mib']} MiB, {batch['peak_processes']} processes at most), "
              f"statuses {batch['statuses']}")
        for line in batch["not_graded"]:
            print(f"  not graded: {line}")
        figures: dict[str, object] = {"machine": machine(), "n": args.n, "jobs": args.jobs, "batch": batch}
        if not args.skip_alone:
            same = compare_with_alone(classroom, Path(tmp) / "out", args.keep)
            print(f"verdicts against grading each sample alone: {same['compared']} grades compared with "
                  f"{same['samples']} graded alone, {len(same['differ'])} differ")
            for line in same["differ"][:20]:
                print(f"  differs: {line}")
            figures["alone"] = {**same, "differ": same["differ"][:50]}
        if not args.skip_baseline:
            entries = sorted(classroom.iterdir())[: args.baseline_n]
            baseline = run_baseline(entries, parallel=2)
            ratio = round(batch["per_s"] / baseline["per_s"], 1)
            print(f"naive baseline (pytest per submission, 2 at a time) on the first {len(entries)}: "
                  f"{baseline['seconds']} s, {baseline['per_s']} submissions/s (scaled as a rate), "
                  f"{baseline['passed']} passed its one test")
            print(f"ratio: grader batch is {ratio}x the naive baseline")
            figures.update(baseline=baseline, ratio=ratio)
    if not args.skip_extras:
        lint = time_lint(1000)
        print(f"grader lint over {lint['files']} files ({lint['runs']} runs of <= {LINT_FOLDER_MAX}): {lint['seconds']} s")
        single = time_single_grade()
        print(f"grader grade good_sync_def: median {single['median_s']} s wall ({single['runs']})")
        figures.update(lint=lint, single_grade=single)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
