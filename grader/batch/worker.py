"""Grade one batch entry; runs in a worker process and never raises.

Whatever goes wrong with one submission (bad archive, a crash in the grader, a
timeout in the behavior run) becomes a report with ``status: error`` and the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.model import Report
from grader.scoring.rubric import Rubric


@dataclass
class Job:
    student: str
    path: Path
    rubric: Rubric
    run_behavior: bool
    formats: tuple[str, ...]
    content_hash: str


@dataclass
class Graded:
    student: str
    texts: dict[str, str]  # format -> rendered report
    status: str
    score: float
    max_score: float
    seconds: float


def grade_job(job: Job) -> Graded:
    from grader.pipeline import error_report, grade_path

    started = time.perf_counter()
    try:
        report = grade_path(job.path, job.rubric, run_behavior=job.run_behavior, name=job.student)
    except GraderError as exc:
        report = error_report(job.student, job.rubric, exc.message)
    except Exception as exc:  # noqa: BLE001 - one submission must never stop the batch
        first = str(exc).splitlines()[0] if str(exc) else ""
        report = error_report(job.student, job.rubric,
                              f"grader internal error while grading: {type(exc).__name__}: {first}")
    return finish(job, report, time.perf_counter() - started)


def finish(job: Job, report: Report, seconds: float) -> Graded:
    from grader.pipeline import error_report
    from grader.reports.outputs import render_as

    report.run["content_hash"] = job.content_hash
    try:
        texts = {fmt: render_as(report, fmt) for fmt in ("json", *job.formats)}
    except Exception as exc:  # noqa: BLE001 - one student's odd report must not stop the class
        report = error_report(job.student, job.rubric,
                              f"grader internal error while writing the report: {type(exc).__name__}: {exc}")
        report.run["content_hash"] = job.content_hash
        texts = {fmt: render_as(report, fmt) for fmt in ("json", *job.formats)}
    return Graded(job.student, texts, report.status, report.score, report.max_score, seconds)


def crashed_job(job: Job, reason: str) -> Graded:
    """The report of a submission whose worker process died (segfault, out of memory)."""
    from grader.pipeline import error_report

    report = error_report(job.student, job.rubric, reason)
    return finish(job, report, 0.0)


def init_worker(batch_pid: int) -> None:
    """Runs once in each worker process: die with the batch, then import the grader."""
    _exit_when_orphaned(batch_pid)
    _bound_malloc()
    import os

    from grader.behavior.sandbox import launcher

    if "GRADER_SANDBOX" not in os.environ:
        # A worker grades many submissions: even its first one is worth the warm server
        # (``auto`` would give the first a fresh interpreter, ~0.3 s more). Same verdicts.
        launcher.set_mode("forkserver")
    import grader.pipeline  # noqa: F401
    import grader.reports.outputs  # noqa: F401
    import grader.static.engine  # noqa: F401


def _bound_malloc() -> None:
    """A worker observes a dozen runs at once, each from its own thread, each handling
    multi-MiB uploads: glibc gives every thread an arena of its own and, after the first
    large free, keeps later large blocks in them instead of returning them. Two arenas and
    a fixed 2 MiB threshold for mmap'd blocks keep the worker's memory to what it holds
    (a 256 KiB threshold cost more CPU in page faults for the 1 MiB read buffers). A/B on
    200 submissions: peak PSS 1,140-1,156 -> 818-825 MiB, worker CPU within the noise."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc: nothing to tune
    m_mmap_threshold, m_arena_max = -3, -8
    libc.mallopt(m_arena_max, 2)
    libc.mallopt(m_mmap_threshold, 2 * 1024 * 1024)


def _exit_when_orphaned(batch_pid: int) -> None:
    # A `kill -9` of the batch leaves its workers blocked on their task queue forever;
    # this thread notices the reparenting and ends the worker.
    import os
    import threading

    def watch() -> None:
        while os.getppid() == batch_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()
