"""Run the behavior checks of one submission in the sandbox and explain what happened.

``run_behavior(submission, rubric)`` is the pipeline's entry: it copies the submission
into a private sandbox, runs the harness in an isolated child, turns timeouts, exits,
memory and process-limit hits and crashes into plain sentences and verdicts, and has
the parent re-check the disk claims itself.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from typing import Any

from grader.behavior.sandbox import verify
from grader.behavior.catalog import CHECKS
from grader.behavior.custom.spec import pytest_files
from grader.behavior.outcome import BehaviorOutcome, Verdict
from grader.behavior.sandbox.supervisor import DEFAULT_HARNESS, Sandbox, SandboxLimits, SandboxResult
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
    limit = f"{seconds:g} s"
    if phase in (None, "import"):
        return f"Your app did not finish importing within {limit} (infinite loop at import?)."
    if phase == "startup":
        return f"Your app's startup (lifespan) did not finish within {limit} (infinite loop in a startup hook?)."
    if phase == "endpoint":
        return (f"Your upload endpoint did not answer within the {limit} limit "
                "(infinite loop or blocking call in the endpoint?).")
    if phase == "task":
        return (f"Your background task was still running when the {limit} limit ran out "
                "(infinite loop in the task?).")
    return f"The behavior run did not finish within {limit} (it was in {_phase_words(phase)})."


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def settings_for(rubric: Rubric, nonce: str) -> dict[str, Any]:
    behavior = rubric.behavior
    return {
        "timeout": behavior.timeout,
        "memory_mb": behavior.memory_mb,
        "app": behavior.app,
        "path": behavior.path,
        "field": behavior.field,
        "nonce": nonce,
        "checks": [c.id for c in rubric.checks if c.id in CHECKS],
        "pytest_files": pytest_files(rubric),  # the rubric's own checks (grader.behavior.custom.spec)
        # GRADER_OVERLAP=0: every check alone, one after the other (harness.run.OVERLAPPED);
        # the same verdicts, slower: for comparing and for debugging an app.
        "overlap": os.environ.get("GRADER_OVERLAP", "1") != "0",
    }


def _harness_available(harness: str) -> bool:
    target = harness.rpartition(":")[0]
    if target.endswith(".py"):
        return os.path.isfile(target)
    try:
        return importlib.util.find_spec(target) is not None
    except (ImportError, ValueError):
        return False


def _new_nonce() -> str:
    try:
        from grader.behavior.harness.payloads import new_nonce
    except ImportError:
        return os.urandom(6).hex()
    return new_nonce()


def run_behavior(submission: Submission, rubric: Rubric, *, harness: str | None = None,
                 mode: str | None = None) -> BehaviorOutcome:
    harness = harness or DEFAULT_HARNESS
    if not sys.platform.startswith(("linux", "darwin", "freebsd")):
        return BehaviorOutcome(errors=["Behavior checks need Linux or macOS (a POSIX sandbox); only static checks ran."])
    if not _harness_available(harness):
        return BehaviorOutcome(errors=[f"The behavior harness ({harness}) is not installed; only static checks ran."])
    nonce = _new_nonce()
    limits = SandboxLimits(rubric.behavior.timeout, rubric.behavior.memory_mb, rubric.behavior.max_processes)
    with Sandbox(submission.root, harness=harness, mode=mode) as box:
        res = box.run(settings_for(rubric, nonce), limits)
        outcome = interpret(res, limits)
        if res.result is not None:
            echoed = (res.result.get("run") or {}).get("nonce")
            used = nonce if echoed == nonce else None
            intact = outcome.verdicts.get("saved-file-intact")
            if used is None and intact is not None and intact.status == "passed":
                used = verify.claimed_nonce(intact, box.work)
                if used is None:
                    used = "unconfirmed"  # a passed claim the parent cannot tie to any payload
            if used is not None:
                notes = verify.recheck_disk(outcome.verdicts, box.work, used)
                if notes:
                    outcome.run.setdefault("notes", []).extend(notes)
    return outcome


def _verdicts_from(result: dict[str, Any]) -> dict[str, Verdict]:
    verdicts: dict[str, Verdict] = {}
    raw = result.get("verdicts")
    for item in raw if isinstance(raw, list) else []:
        try:
            verdict = Verdict.from_dict(item)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if verdict.status not in {"passed", "failed", "error", "skipped"}:
            verdict.status = "error"
        verdicts[verdict.id] = verdict
    return verdicts


def interpret(res: SandboxResult, limits: SandboxLimits) -> BehaviorOutcome:
    """Turn what the sandbox observed into verdicts, plain-language errors and run facts."""
    outcome = BehaviorOutcome()
    exit_info = res.exit.get("exit") or {}
    outcome.run = {
        "protections": list(res.protections),
        "output": {"stdout": res.stdout, "stderr": res.stderr},
        "timings": {"sandbox_s": res.elapsed_s, "sandbox_mode": res.mode},
    }
    problem: str | None = None
    phase = _last_student_phase(res.phases)
    if res.channel_corrupt:
        problem = "The grader's result channel received bytes that are not the grader's: results were discarded."
    elif res.result is not None:
        outcome.verdicts = _verdicts_from(res.result)
        errors = res.result.get("errors")
        if isinstance(errors, list):
            outcome.errors.extend(str(e) for e in errors if isinstance(e, (str, int, float)))
        run = res.result.get("run")
        if isinstance(run, dict):
            for key, value in run.items():
                if key == "timings" and isinstance(value, dict):
                    outcome.run["timings"].update(value)
                elif key not in outcome.run:
                    outcome.run[key] = value
    elif res.timed_out:
        problem = timeout_sentence(phase, limits.timeout)
    elif res.event is not None and res.event.get("t") == "memory":
        problem = f"Your app used more than {limits.memory_mb} MiB of memory during {_phase_words(phase)} (the limit)."
    elif res.event is not None and res.event.get("t") == "exit":
        problem = f"Your app exited with status {res.event.get('code')} during {_phase_words(phase)}."
    elif res.event is not None and res.event.get("t") == "crash":
        problem = (f"The behavior run stopped with {res.event.get('type')}: "
                   f"{str(res.event.get('message'))[:300]} during {_phase_words(phase)}.")
    elif exit_info.get("signal"):
        problem = (f"Your app's process was killed by {_signal_name(int(exit_info['signal']))} "
                   f"during {_phase_words(phase)}.")
    elif exit_info.get("code") is not None:
        problem = f"Your app exited with status {exit_info['code']} during {_phase_words(phase)}."
    else:
        problem = "The behavior run ended without a result."
    if problem is not None:
        outcome.errors.append(problem)
        outcome.verdicts = _verdicts_after_failure(phase, problem)
    _note_limits(outcome, res, limits)
    return outcome


def _last_student_phase(phases: list[str]) -> str | None:
    """The last phase, ignoring "done" (sent after the harness returned)."""
    for phase in reversed(phases):
        if phase != "done":
            return phase
    return None


def _verdicts_after_failure(phase: str | None, problem: str) -> dict[str, Verdict]:
    """No result came back: app-loads fails if the import never finished; every other
    check is an error that says why it was not measured (never a pass)."""
    verdicts: dict[str, Verdict] = {}
    imported = phase not in (None, "import")
    for check_id in CHECKS:
        if check_id == "app-loads":
            if imported:
                verdicts[check_id] = Verdict(check_id, "passed", "Your app imported; the run stopped later: " + problem)
            else:
                verdicts[check_id] = Verdict(check_id, "failed", problem)
        else:
            verdicts[check_id] = Verdict(check_id, "error", "Not measured: " + problem)
    return verdicts


def _note_limits(outcome: BehaviorOutcome, res: SandboxResult, limits: SandboxLimits) -> None:
    """Limits hit along the way, even when the harness still returned a result."""
    texts = [res.stdout.get("text", ""), res.stderr.get("text", "")]
    if res.result is not None:
        texts.append(repr(res.result)[:200_000])
    memory_sentence = f"Your app used more than {limits.memory_mb} MiB of memory (the limit)"
    if any("MemoryError" in t for t in texts) and not any(memory_sentence in e or "MiB of memory" in e for e in outcome.errors):
        outcome.errors.append(memory_sentence + "; it got a MemoryError.")
    if res.exit.get("storm") or int(res.exit.get("processes_peak") or 0) >= limits.max_processes:
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
