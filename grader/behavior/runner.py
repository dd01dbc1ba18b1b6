"""The pipeline's entry to the behavior stage, and the jail's facts in plain sentences.

``run_behavior(submission, rubric)`` serves the student's app in the jail and observes
it from the parent (:mod:`grader.behavior.observed_run`). :func:`interpret` turns what
the jail reports (a timeout, an exit, a memory or process limit, a crash) into sentences
and into verdicts for what could not be measured.
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from typing import Any

from grader.behavior.catalog import CHECKS
from grader.behavior.custom.spec import pytest_files
from grader.behavior.outcome import BehaviorOutcome, Verdict
from grader.behavior.sandbox.supervisor import SandboxLimits, SandboxResult
from grader.behavior.untrusted import clean_data, clean_text
from grader.discovery import Submission
from grader.scoring.rubric import Rubric

PHASE_WORDS = {
    "import": "the import of your app",
    "startup": "your app's startup (lifespan)",
    "endpoint": "the upload request",
    "task": "the upload task",
    "shutdown": "your app's shutdown (lifespan)",
}


def _phase_words(phase: str | None) -> str:
    if phase and phase.startswith("check:"):
        return f"the {phase[6:]} check"
    return PHASE_WORDS.get(phase or "", "the behavior run")


def timeout_sentence(phase: str | None, seconds: float) -> str:
    """What was still running when the wall-clock limit came: never a guess at why."""
    limit = f"{seconds:g} s"
    if phase in (None, "import"):
        return f"Your app was still being imported when the {limit} limit ran out."
    if phase == "startup":
        return f"Your app's startup (lifespan) was still running when the {limit} limit ran out."
    if phase == "endpoint":
        return f"A request was still inside your app when the {limit} limit ran out."
    if phase == "task":
        return f"A background task was still running when the {limit} limit ran out."
    return f"The behavior run did not finish within {limit} (it was in {_phase_words(phase)})."


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def settings_for(rubric: Rubric) -> dict[str, Any]:
    behavior = rubric.behavior
    return {
        "timeout": behavior.timeout,
        "memory_mb": behavior.memory_mb,
        "app": behavior.app,
        "path": behavior.path,
        "field": behavior.field,
        "pytest_files": pytest_files(rubric),  # the rubric's own checks (grader.behavior.custom.spec)
        # The primary upload and the processing's declared effect: the parent's alone (the
        # child never sees them).
        "fixture": behavior.fixture,
        "fixture_base": str(rubric.source.parent) if rubric.source else None,
        "effect": dict(behavior.effect) if behavior.effect else None,
    }


def _serve_available() -> bool:
    try:
        return importlib.util.find_spec("uvicorn") is not None
    except (ImportError, ValueError):
        return False


def run_behavior(submission: Submission, rubric: Rubric, *, mode: str | None = None) -> BehaviorOutcome:
    if not sys.platform.startswith("linux"):
        return BehaviorOutcome(errors=["Behavior checks need Linux (the grader watches the run through the "
                                       "Linux kernel); only static checks ran."], unavailable=True)
    if not _serve_available():
        return BehaviorOutcome(errors=["uvicorn is not installed; only static checks ran."], unavailable=True)
    from grader.behavior.observed_run import run_observed

    behavior = rubric.behavior
    limits = SandboxLimits(behavior.timeout, behavior.memory_mb, behavior.max_processes)
    wanted = [c.id for c in rubric.checks if c.id in CHECKS]
    large_mb = float(getattr(behavior, "large_upload_mb", 4.0))
    return run_observed(submission.root, settings_for(rubric), limits, wanted, large_mb, mode=mode)


def interpret(res: SandboxResult, limits: SandboxLimits, measured: bool = False) -> BehaviorOutcome:
    """What the jail observed, in sentences. ``measured``: the parent ran the checks (its
    verdicts stand; the child's end is only reported)."""
    outcome = BehaviorOutcome()
    exit_info = res.exit.get("exit") or {}
    outcome.run = {
        "protections": list(res.protections),
        "output": {"stdout": res.stdout, "stderr": res.stderr},
        "timings": {"sandbox_s": res.elapsed_s, "sandbox_mode": res.mode},
    }
    phase = _last_student_phase(res.phases)
    result = res.result if isinstance(res.result, dict) else None
    problem: str | None = None
    if res.channel_corrupt:
        problem = "The grader's result channel received bytes that are not the grader's: the child's report was dropped."
    elif result is not None:
        _take_child_result(outcome, result)
    elif res.timed_out:
        problem = timeout_sentence(phase, limits.timeout)
    elif res.event is not None and res.event.get("t") == "memory":
        problem = f"Your app used more than {limits.memory_mb} MiB of memory during {_phase_words(phase)} (the limit)."
    elif res.event is not None and res.event.get("t") == "exit":
        problem = f"Your app exited with status {clean_text(res.event.get('code'), 200)} during {_phase_words(phase)}."
    elif res.event is not None and res.event.get("t") == "crash":
        problem = (f"The behavior run stopped with {clean_text(res.event.get('type'), 100)}: "
                   f"{clean_text(res.event.get('message'), 300)} during {_phase_words(phase)}.")
    elif exit_info.get("signal"):
        problem = (f"Your app's process was killed by {_signal_name(int(exit_info['signal']))} "
                   f"during {_phase_words(phase)}.")
    elif exit_info.get("code") is not None:
        problem = f"Your app exited with status {exit_info['code']} during {_phase_words(phase)}."
    else:
        problem = "The behavior run ended without a result."
    if problem is not None:
        outcome.errors.append(problem)
        if not measured:
            outcome.verdicts = _verdicts_after_failure(phase, problem, res.timed_out)
    _note_limits(outcome, res, limits)
    return outcome


def _take_child_result(outcome: BehaviorOutcome, result: dict[str, Any]) -> None:
    """The child's advisory report: its run facts and the rubric's pytest outcomes."""
    run = result.get("run")
    if isinstance(run, dict):
        clean = clean_data(run, 500)
        outcome.run["child"] = {k: v for k, v in clean.items() if k in ("send_trap", "timings")}
    custom = result.get("custom")
    if isinstance(custom, dict):
        for item in custom.get("verdicts") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                try:
                    verdict = Verdict.from_dict(clean_data(item, 4000))
                except (KeyError, TypeError, ValueError):
                    continue
                if verdict.status not in {"passed", "failed", "error", "skipped"}:
                    verdict.status = "error"
                outcome.pytest_reports[verdict.id] = verdict
        for error in custom.get("errors") or []:
            outcome.errors.append(clean_text(error, 500))


def _last_student_phase(phases: list[str]) -> str | None:
    """The last phase, ignoring "done" (sent after the harness returned)."""
    for phase in reversed(phases):
        if phase != "done":
            return phase
    return None


def _verdicts_after_failure(phase: str | None, problem: str, timed_out: bool) -> dict[str, Verdict]:
    """Nothing was measured: app-loads fails if the import never finished; every other
    check says why it was not measured (never a pass)."""
    verdicts: dict[str, Verdict] = {}
    imported = phase not in (None, "import")
    unmeasured = "timeout" if timed_out else "error"
    for check_id in CHECKS:
        if check_id == "app-loads":
            if imported:
                verdicts[check_id] = Verdict(check_id, "failed", "Your app imported, but its server never answered: " + problem)
            else:
                verdicts[check_id] = Verdict(check_id, "failed", problem)
        else:
            verdicts[check_id] = Verdict(check_id, unmeasured, "Not measured: " + problem)
    return verdicts


def _note_limits(outcome: BehaviorOutcome, res: SandboxResult, limits: SandboxLimits) -> None:
    """Limits hit along the way, even when the parent measured."""
    texts = [res.stdout.get("text", ""), res.stderr.get("text", "")]
    memory_sentence = f"Your app used more than {limits.memory_mb} MiB of memory (the limit)"
    if any("MemoryError" in t for t in texts) and not any("MiB of memory" in e for e in outcome.errors):
        outcome.errors.append(memory_sentence + "; it got a MemoryError.")
    if res.exit.get("storm") or int(res.exit.get("processes_peak") or 0) >= limits.max_processes \
            or getattr(res, "process_limit_hit", False):
        outcome.errors.append(
            f"Your app started more than {limits.max_processes} processes or threads (the limit); "
            "the grader stopped all of them."
        )
    elif any("can't start new thread" in t or ("Resource temporarily unavailable" in t and "fork" in t)
             for t in texts):
        outcome.errors.append(
            f"Your app tried to start more than {limits.max_processes} processes or threads (the limit)."
        )
    if res.exit.get("leftover"):
        outcome.errors.append(f"{res.exit['leftover']} process(es) of your app could not be stopped.")
    if res.exit.get("server_lost"):
        outcome.errors.append("The grader's sandbox server stopped during the run; the run was not completed.")

