"""``grader batch``: grade every submission of a class, in parallel, resumable.

Parallelism: a pool of worker *processes* (``--jobs``, default: the number of cores),
each grading several submissions at once in threads when behavior checks run
(``grader.batch.pool``). Static analysis is CPU-bound Python (libcst), so one process
per core; the behavior run mostly waits on its sandboxed child (a student's task
sleeping), so more submissions than cores are in flight. Workers live for the whole
batch, so the interpreter start and the imports are paid once per worker, and every
submission's child is forked from the worker's warm fork server.

Crash safety: the parent alone writes files, each atomically (``grader.atomic``), and a
student's JSON report is written last: its presence with a matching ``run.content_hash``
is what "done" means. A worker that dies (segfault, OOM kill) breaks the pool; the
submissions that were in flight are retried one at a time in a fresh pool, and the one
that kills its worker again gets an ``error`` report.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.atomic import write_text_atomic
from grader.batch.pool import ThreadedProcessPool
from grader.batch.entries import BatchEntry, content_hash, discover_entries
from grader.batch.schedule import slowness, spread_slow_early
from grader.batch.progress import Progress
from grader.batch.shard import Shard
from grader.batch.manifest import write_manifest
from grader.batch.summary import StudentResult, build_summary, grades_csv
from grader.batch.worker import Graded, Job, crashed_job, grade_job, init_worker
from grader.model import Report
from grader.reports.loading import looks_like_report, report_from_dict
from grader.reports.outputs import render_as
from grader.scoring.rubric import Rubric


# 12, not 8: 1,000 submissions took 84 s instead of 90 s on 2 cores (peak PSS 690-760 MiB
# either way; bench/throughput.py --per-job).
BEHAVIOR_THREADS_PER_WORKER = 12


@dataclass
class BatchOptions:
    submissions_dir: Path
    out_dir: Path
    rubric: Rubric
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    force: bool = False
    shard: Shard | None = None
    formats: tuple[str, ...] = ()  # besides json, which is always written
    run_behavior: bool = True
    executor: str = "process"  # "process" | "thread" (measurements, debugging)
    # Submissions each worker process grades at once (threads). None: 12 when behavior
    # checks run (a submission mostly waits on its sandboxed child), else 1 (pure CPU).
    per_worker: int | None = None
    # Wall seconds one submission may take before its worker is killed (None: derived from
    # the rubric's behavior timeout). The behavior run enforces its own, tighter timeout;
    # this one catches a grader stuck anywhere else.
    submission_timeout: float | None = None

    def threads_per_worker(self) -> int:
        if self.per_worker is not None:
            return max(1, self.per_worker)
        return BEHAVIOR_THREADS_PER_WORKER if self.run_behavior else 1

    def deadline(self) -> float:
        if self.submission_timeout is not None:
            return self.submission_timeout
        return max(120.0, 3 * self.rubric.behavior.timeout + 60)


@dataclass
class BatchResult:
    summary: dict[str, Any]
    summary_path: Path
    csv_path: Path
    graded: int
    skipped: int
    seconds: float


def summary_names(shard: Shard | None) -> tuple[str, str]:
    """Shards may share one OUT_DIR, so each writes its own summary; merge writes summary.json."""
    if shard is None:
        return "summary.json", "grades.csv"
    return f"summary.{shard.label}.json", f"grades.{shard.label}.csv"


def _remove_stale_temp_files(out_dir: Path) -> None:
    # Left by a killed batch mid-write (grader.atomic names them ".<target>.<random>.tmp").
    for path in out_dir.glob(".*.tmp"):
        try:
            path.unlink()
        except OSError:
            pass


def _stored_report(entry: BatchEntry, out_dir: Path, key: str) -> Report | None:
    path = entry.report_path(out_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not looks_like_report(data) or (data.get("run") or {}).get("content_hash") != key:
        return None
    try:
        return report_from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def _make_executor(kind: str, jobs: int, threads: int = 1) -> Executor | ThreadedProcessPool:
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=jobs * threads)
    # spawn: each worker is a direct child of the batch, so it can tell when the batch died
    # (a forkserver's workers are the server's children and outlive a `kill -9` of the batch).
    # The import cost is paid once per worker, not per submission; each worker grades
    # `threads` submissions at once (grader.batch.pool).
    return ThreadedProcessPool(jobs, threads, initializer=init_worker, initargs=(os.getpid(),))


class _Writer:
    def __init__(self, out_dir: Path, entries: dict[str, BatchEntry], formats: tuple[str, ...]) -> None:
        self.out_dir = out_dir
        self.entries = entries
        self.formats = formats
        self.reports: dict[str, Report] = {}

    def write(self, graded: Graded) -> None:
        entry = self.entries[graded.student]
        # The JSON report last: it marks the student as done for a rerun.
        for fmt in self.formats:
            write_text_atomic(entry.report_path(self.out_dir, fmt), graded.texts[fmt])
        write_text_atomic(entry.report_path(self.out_dir), graded.texts["json"])
        self.reports[graded.student] = report_from_dict(json.loads(graded.texts["json"]))

    def reuse(self, entry: BatchEntry, report: Report) -> None:
        for fmt in self.formats:
            path = entry.report_path(self.out_dir, fmt)
            if not path.exists():  # a format asked for now that was not asked for then
                write_text_atomic(path, render_as(report, fmt))
        self.reports[entry.student] = report


Work = Callable[[Job], Graded]


def _run_jobs(jobs: list[Job], options: BatchOptions, writer: _Writer, progress: Progress, work: Work) -> None:
    pending = list(reversed(jobs))  # pop() from the end keeps the order given (schedule.py)
    suspects: list[Job] = []
    processes, threads = max(1, options.jobs), options.threads_per_worker()
    width = processes * threads
    executor = _make_executor(options.executor, processes, threads)
    limit = options.deadline()
    try:
        in_flight: dict[Future[Graded], Job] = {}
        started: dict[str, float] = {}
        while pending or in_flight:
            while pending and len(in_flight) < width:
                job = pending.pop()
                in_flight[executor.submit(work, job)] = job
                started[job.student] = time.monotonic()
                progress.started(job.student)
            done, _ = wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
            progress.draw()
            overdue = [f for f, j in in_flight.items()
                       if f not in done and time.monotonic() - started[j.student] > limit]
            if overdue and isinstance(executor, ThreadedProcessPool):
                for future in overdue:
                    job = in_flight.pop(future)
                    graded = crashed_job(job, f"grading took longer than {limit:g} s and was stopped.")
                    writer.write(graded)
                    progress.finished(job.student, graded.status, graded.score, graded.max_score, limit)
                # A running task cannot be cancelled: end the pool, requeue the innocent ones.
                for future, job in in_flight.items():
                    if future not in done:
                        pending.append(job)
                        progress.running.pop(job.student, None)
                in_flight = {f: j for f, j in in_flight.items() if f in done}
                executor.kill()
                executor = _make_executor(options.executor, processes, threads)
            broken = False
            for future in done:
                job = in_flight.pop(future)
                try:
                    graded = future.result()
                except BrokenProcessPool:
                    suspects.append(job)
                    broken = True
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. a result that could not be pickled
                    graded = crashed_job(job, f"grader internal error: {type(exc).__name__}: {exc}")
                _write_isolated(writer, job, graded)
                progress.finished(job.student, graded.status, graded.score, graded.max_score, graded.seconds)
            if broken:
                # Every job still in flight died with the pool: we cannot tell which one killed it.
                suspects.extend(in_flight.values())
                in_flight.clear()
                executor.shutdown(wait=False, cancel_futures=True)
                executor = _make_executor(options.executor, processes, threads)
        executor.shutdown(wait=True)
        for job in suspects:
            _run_alone(job, options, writer, progress, work)
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise


def _write_isolated(writer: _Writer, job: Job, graded: Graded) -> None:
    """Write one student's reports; if that fails, an error report says why, and the class goes on."""
    try:
        writer.write(graded)
    except Exception as exc:  # noqa: BLE001 - one student's report must never stop the class
        writer.write(crashed_job(job, f"grader internal error while writing the report: {type(exc).__name__}: {exc}"))


def _run_alone(job: Job, options: BatchOptions, writer: _Writer, progress: Progress, work: Work) -> None:
    executor = _make_executor(options.executor, 1)
    started = time.perf_counter()
    try:
        graded = executor.submit(work, job).result()
    except BrokenProcessPool:
        graded = crashed_job(job, "the grader's worker process died while grading this submission "
                                  "(crash or out of memory); it was retried alone and died again.")
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    _write_isolated(writer, job, graded)
    progress.finished(job.student, graded.status, graded.score, graded.max_score, time.perf_counter() - started)


def run_batch(options: BatchOptions, progress_factory: Callable[[int], Progress] = Progress,
              work: Work = grade_job) -> BatchResult:
    """Grade the class; ``work`` (a picklable function) is replaceable for fault-injection tests."""
    started = time.perf_counter()
    notes: list[str] = []
    entries = discover_entries(options.submissions_dir, exclude=(options.out_dir,), note=notes.append)
    class_size = len(entries)
    if options.shard is not None:
        entries = options.shard.pick(entries)
    out_dir = options.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(out_dir)
    formats = tuple(f for f in options.formats if f != "json")
    writer = _Writer(out_dir, {e.student: e for e in entries}, formats)
    run_behavior = options.run_behavior
    jobs: list[Job] = []
    reused = 0
    for entry in entries:
        key = content_hash(entry.path, options.rubric, run_behavior)
        stored = None if options.force else _stored_report(entry, out_dir, key)
        if stored is not None:
            writer.reuse(entry, stored)
            reused += 1
        else:
            jobs.append(Job(entry.student, entry.path, options.rubric, run_behavior, formats, key))
    if run_behavior:
        jobs = spread_slow_early(jobs, lambda job: slowness(job.path))
    progress = progress_factory(len(entries))
    for note in notes:
        progress.note(note)
    progress.skipped(reused)
    try:
        if jobs:
            _run_jobs(jobs, options, writer, progress, work)
    finally:
        progress.close()
    results = [StudentResult(e.student, e.report_path(out_dir).name, writer.reports[e.student]) for e in entries]
    summary = build_summary(results, shard=str(options.shard) if options.shard else None)
    summary_name, csv_name = summary_names(options.shard)
    summary_path, csv_path = out_dir / summary_name, out_dir / csv_name
    write_text_atomic(summary_path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(csv_path, grades_csv(summary))
    if options.shard is not None:
        # Last: its presence says this shard finished (grader merge names the missing ones).
        write_manifest(out_dir, options.shard, class_size, [e.student for e in entries])
    return BatchResult(summary, summary_path, csv_path, len(jobs), reused, time.perf_counter() - started)
