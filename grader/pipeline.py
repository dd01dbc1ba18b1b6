"""Grade one submission: discovery -> static analysis -> behavior run -> scoring."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from grader.discovery import Submission, load_submission
from grader.errors import SubmissionError
from grader.model import Report
from grader.scoring.rubric import Rubric
from grader.scoring.score import score_submission
from grader.static.engine import lint_paths

if TYPE_CHECKING:
    from grader.behavior.outcome import BehaviorOutcome

# How the behavior checks reach the app: uvicorn serves it in the jail and the trusted
# parent is the HTTP client. "inprocess" is an old name kept so existing commands work.
SERVERS = ("uvicorn", "inprocess")


def behavior_server(server: str | None = None) -> str:
    chosen = server or os.environ.get("GRADER_SERVER") or "uvicorn"
    if chosen not in SERVERS:
        raise SubmissionError(f"unknown --server {chosen!r} (choose from: {', '.join(SERVERS)}).")
    return chosen


def grade_submission(submission: Submission, rubric: Rubric, run_behavior: bool = True,
                     server: str | None = None) -> Report:
    started = time.perf_counter()
    fatal = None
    empty = not submission.python_files
    reason = "Behavior checks were not run (static analysis only)."
    run: Callable[[Submission, Rubric], BehaviorOutcome] | None = None
    if empty:
        reason = "Not run: the submission has no Python code."
    elif run_behavior and rubric.behavior.enabled and any(c.kind != "static" for c in rubric.checks):
        behavior_server(server)  # validates the (now single) choice
        from grader.behavior.runner import run_behavior as run
    # The behavior run mostly waits on its sandboxed child: lint meanwhile. Leaving the
    # block waits for the run even when the lint raised: it must not go on using a
    # submission folder about to be removed.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="behavior-run") as pool:
        behavior_run = pool.submit(run, submission, rubric) if run is not None else None
        lint = lint_paths(submission.root, submission.python_files)
        behavior = behavior_run.result() if behavior_run is not None else None
    if empty and run_behavior:
        behavior = _nothing_to_run(submission)
    static_only = behavior is None or behavior.unavailable
    if empty and behavior is None:
        lint.errors.insert(0, f"{submission.origin}: the submission has no Python file.")
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
        has_endpoint=any(module.endpoints for module in lint.modules),
        static_only=static_only,
    )
    report.run.setdefault("timings", {})["total_s"] = round(time.perf_counter() - started, 3)
    return report


def _nothing_to_run(submission: Submission) -> BehaviorOutcome:
    from grader.behavior.outcome import BehaviorOutcome, Verdict

    sentence = f"{submission.origin}: the submission has no Python file, so there is no app to load."
    return BehaviorOutcome(verdicts={"app-loads": Verdict("app-loads", "failed", sentence)}, errors=[sentence])


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
