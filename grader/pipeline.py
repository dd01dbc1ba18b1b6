"""Grade one submission: discovery -> static analysis -> behavior run -> scoring."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from grader.discovery import Submission, load_submission
from grader.errors import SubmissionError
from grader.model import Report
from grader.scoring.rubric import Rubric
from grader.scoring.score import score_submission
from grader.static.engine import lint_paths

# How the behavior checks reach the app: "inprocess" drives it as an ASGI callable in the
# sandboxed child; "uvicorn" serves it for real and the parent sends HTTP (server_runner).
# GRADER_SERVER carries the choice into batch worker processes.
SERVERS = ("inprocess", "uvicorn")
T = TypeVar("T")


def behavior_server(server: str | None = None) -> str:
    chosen = server or os.environ.get("GRADER_SERVER") or "inprocess"
    if chosen not in SERVERS:
        raise SubmissionError(f"unknown --server {chosen!r} (choose from: {', '.join(SERVERS)}).")
    return chosen


def grade_submission(submission: Submission, rubric: Rubric, run_behavior: bool = True,
                     server: str | None = None) -> Report:
    started = time.perf_counter()
    fatal = None
    if not submission.python_files:
        fatal = f"{submission.origin}: no Python files to grade."
    behavior_run = None
    reason = "Behavior checks were not run (static analysis only)."
    if fatal:
        reason = "Behavior checks were not run: there is no Python code."
    elif run_behavior and rubric.behavior.enabled and any(c.kind != "static" for c in rubric.checks):
        if behavior_server(server) == "uvicorn":
            from grader.behavior.server.runner import run_behavior_server as run
        else:
            from grader.behavior.runner import run_behavior as run

        # The behavior run mostly waits on its sandboxed child: lint meanwhile.
        behavior_run = _Background(run, submission, rubric)
    try:
        lint = lint_paths(submission.root, submission.python_files)
    except BaseException:
        if behavior_run is not None:
            behavior_run.wait()  # never leave a run going on a folder about to be removed
        raise
    behavior = behavior_run.result() if behavior_run is not None else None
    report = score_submission(
        submission.name,
        rubric,
        lint.findings,
        lint.errors,
        parsed_any=bool(lint.modules),
        unanalysed=lint.too_large,
        behavior=behavior,
        not_run_reason=reason,
        fatal_error=fatal,
    )
    report.run.setdefault("timings", {})["total_s"] = round(time.perf_counter() - started, 3)
    return report


class _Background(Generic[T]):
    """``fn(*args)`` in a thread; ``result()`` waits and returns it or raises its exception."""

    def __init__(self, fn: Callable[..., T], *args: Any) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._call, args=(fn, args), name="behavior-run", daemon=True)
        self._thread.start()

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self._error = exc

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> T:
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def grade_path(path: str | Path, rubric: Rubric, run_behavior: bool = True, name: str | None = None,
               server: str | None = None) -> Report:
    with load_submission(path, name=name) as submission:
        return grade_submission(submission, rubric, run_behavior, server)


def error_report(name: str, rubric: Rubric, message: str) -> Report:
    """A report for a submission that could not be graded at all (bad archive, ...)."""
    return score_submission(
        name, rubric, [], [], parsed_any=False, behavior=None,
        not_run_reason="Not run: the submission could not be opened.", fatal_error=message,
    )


__all__ = ["grade_submission", "grade_path", "error_report", "SubmissionError"]
