"""The entry point the sandboxed child calls: find the app, run every check, return plain data.

``run_harness(workdir, settings)`` knows nothing about processes: the caller (the
sandbox) has already made ``workdir`` a private copy of the submission, and is
responsible for the hard wall-clock limit and for ending the process afterwards (a task
stuck in a worker thread can outlive the harness: exit with ``os._exit``).

Settings (all optional): ``nonce`` (hex; makes every payload unique, echoed back in
``run["nonce"]``), ``timeout`` (seconds for the whole run, default 30), ``app``,
``path``, ``field`` (rubric pins), ``sandbox_root`` (folder watched for files escaping
the work area, default the work dir's parent), ``exchange_timeout`` (seconds one upload
and its tasks may take), ``checks`` (ids to run; default all).

``on_progress(phase)``, optional, is told "import", "startup" and "harness" (the
sandbox's phase names) so a run killed by the wall-clock limit can say where it was.
A forking parent should call :func:`grader.behavior.harness.warmup.warm_up` before it forks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Import what the app will use before the submission goes on sys.path: a student file
# named like a library (multipart.py, httpx.py) must not shadow it.
import python_multipart  # noqa: F401
import starlette.formparsers  # noqa: F401

from grader.behavior.student.app_discovery import DiscoveryError, FoundApp, discover_app
from grader.behavior.harness.asgi_driver import AsgiDriver, lifespan
from grader.behavior.catalog import CHECKS
from grader.behavior.harness.check_context import REGISTRY, REQUIRES, BudgetExhausted, CheckContext
from grader.behavior.checks import core as checks  # noqa: F401  (registers the checks)
from grader.behavior.harness.loop_monitor import LoopMonitor
from grader.behavior.outcome import Verdict
from grader.behavior.harness.payloads import new_nonce
from grader.behavior.student.task_recorder import describe_exception, recording_tasks
from grader.behavior.harness.warmup import warm_up
from grader.behavior.harness.workarea import WorkArea

DEFAULT_TIMEOUT_S = 30.0
# Keep part of the wall-clock limit for reporting: the sandbox kills at 100 %.
DEADLINE_SHARE = 0.85
# The rubric's pytest checks run after the built-in ones, up to this share of the limit.
CUSTOM_DEADLINE_SHARE = 0.93
ProgressFn = Callable[[str], None]


# Execution order (reports keep the catalog's order): prerequisites first, then the
# cheapest checks, so a slow app loses the 16 MiB and concurrent checks to the time
# limit before it loses the quick ones.
RUN_ORDER = (
    "app-loads", "upload-accepted", "task-scheduled", "response-before-processing", "task-completes",
    "saved-file-intact", "saved-before-response", "loop-responsive", "missing-file-rejected",
    "empty-upload-handled", "unicode-filename-handled", "filename-contained",
    "concurrent-uploads-intact", "large-upload-intact",
)
# Checks that send their own uploads after the primary one. Each waits for its upload's
# tasks (a 0.3 s task costs 0.3 s per check), so they run together first; any that does
# not pass is then run again alone, in RUN_ORDER, and that verdict stands. A pass run
# together is real evidence (an intact copy of a unique payload, a 2xx/4xx, no escaped
# file), while a failure could come from another check's upload (an app that saves
# every upload under one fixed name): confirming failures alone keeps every verdict what
# the one-at-a-time order gives.
OVERLAP_MAX_LOOP_GAP_S = 0.25  # loop-responsive's limit
OVERLAP_MAX_PRIMARY_S = 2.0
OVERLAPPED = frozenset({
    "missing-file-rejected", "empty-upload-handled", "unicode-filename-handled", "filename-contained",
    "concurrent-uploads-intact", "large-upload-intact",
})


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _skipped(check_id: str, requirement: str) -> Verdict:
    return Verdict(check_id, "skipped", f"Skipped: it needs '{requirement}' to pass first.")


def _unmet(check_id: str, verdicts: dict[str, Verdict]) -> str | None:
    for requirement in REQUIRES[check_id]:
        prior = verdicts.get(requirement)
        if prior is None or prior.status != "passed":
            return requirement
    return None


async def _run_checks(ctx: CheckContext, wanted: list[str], progress: ProgressFn, overlap: bool = True) -> None:
    """Run ``wanted`` (in RUN_ORDER); with ``overlap``, the OVERLAPPED ones together, then
    those that did not pass again alone (see OVERLAPPED)."""
    together = [c for c in wanted if overlap and c in OVERLAPPED]
    for check_id in wanted:
        if check_id not in together:
            await _run_one(ctx, check_id, progress)
    ready = [c for c in together if _unmet(c, ctx.verdicts) is None] if _worth_overlapping(ctx) else []
    if len(ready) < 2:
        ready = []
    for check_id in together:
        if check_id not in ready:
            await _run_one(ctx, check_id, progress)  # alone: skipped, or nothing to overlap it with
    if not ready:
        return
    await asyncio.gather(*(_run_one(ctx, check_id, progress) for check_id in ready))
    retried = [c for c in ready if ctx.verdicts[c].status != "passed"]
    for check_id in retried:
        await _run_one(ctx, check_id, progress)
    ctx.overlap = {"together": ready, "retried_alone": retried}


def _worth_overlapping(ctx: CheckContext) -> bool:
    """Overlap pays when uploads wait on tasks that let the loop run. An app that stalls
    the loop (a blocking task) or is slow serializes them anyway, and a group that ran
    into the exchange budget would leave less of the run's time for the retries."""
    if ctx.primary is None:
        return True  # nothing measured: the prerequisites decide (they skip the checks)
    exchange = ctx.primary.exchange
    took = (exchange.finished or exchange.started) - exchange.started
    return (not exchange.timed_out and exchange.max_loop_gap_s <= OVERLAP_MAX_LOOP_GAP_S
            and took <= OVERLAP_MAX_PRIMARY_S)


async def _run_one(ctx: CheckContext, check_id: str, progress: ProgressFn) -> None:
    requirement = _unmet(check_id, ctx.verdicts)
    if requirement is not None:
        ctx.verdicts[check_id] = _skipped(check_id, requirement)
        return
    progress("harness")  # the sandbox's phase names (grader.behavior.sandbox.progress)
    # Wall time is this check's own; CPU time is the whole process's (every thread, the
    # app's too), so checks run together each count the others' CPU.
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        ctx.verdicts[check_id] = await REGISTRY[check_id](ctx)
    except BudgetExhausted:
        ctx.verdicts[check_id] = Verdict(
            check_id, "error",
            "Not run: the behavior run's time limit ran out before this check (your tasks are slow).",
        )
    except Exception as exc:  # a grader bug or an app too strange to measure: say so, go on
        info = describe_exception(exc, str(ctx.area.root))
        ctx.verdicts[check_id] = Verdict(
            check_id, "error", f"The grader could not run this check: {info['type']}: {info['message']}",
        )
    ctx.timings_ms[check_id] = _ms(time.perf_counter() - started)
    ctx.cpu_ms[check_id] = _ms(time.process_time() - cpu_started)


async def _run_app(found: FoundApp, area: WorkArea, settings: dict[str, Any], deadline: float,
                   wanted: list[str], progress: ProgressFn, run: dict[str, Any]) -> dict[str, Verdict]:
    monitor = LoopMonitor()
    monitor.start()
    timeout = float(settings.get("timeout", DEFAULT_TIMEOUT_S))
    exchange_budget = float(settings.get("exchange_timeout") or min(10.0, max(2.0, timeout / 3)))
    sandbox_root = Path(settings.get("sandbox_root") or area.root.parent)
    stack = contextlib.AsyncExitStack()
    try:
        progress("startup")
        started = time.perf_counter()
        try:
            state = await asyncio.wait_for(stack.enter_async_context(lifespan(found.app)), exchange_budget)
        except Exception as exc:  # startup hooks are student code
            text = (f"did not finish within {exchange_budget:g} s" if isinstance(exc, TimeoutError)
                    else "raised {type} ({where}): {message}".format(**describe_exception(exc, str(area.root))))
            sentence = f"The app's startup (lifespan) {text}."
            run["errors"].append(sentence)
            return {"app-loads": Verdict("app-loads", "failed", sentence)}
        run["timings"]["startup_ms"] = _ms(time.perf_counter() - started)
        ctx = CheckContext(
            driver=AsgiDriver(found.app, area, monitor, state),
            area=area, found=found, nonce=run["nonce"], deadline=deadline,
            exchange_budget_s=exchange_budget, sandbox_root=sandbox_root,
        )
        cpu_started = time.process_time()
        await _run_checks(ctx, wanted, progress, overlap=settings.get("overlap", True) is not False)
        # The per-check CPU figures overlap when checks ran together; this one does not.
        run["timings"]["checks_cpu_total_ms"] = _ms(time.process_time() - cpu_started)
        if ctx.overlap:
            run["overlap"] = ctx.overlap
        run["timings"]["checks_ms"] = ctx.timings_ms
        run["timings"]["checks_cpu_ms"] = ctx.cpu_ms  # every thread of the process, the app's too
        if ctx.primary is not None:
            run["max_loop_gap_ms"] = _ms(ctx.primary.exchange.max_loop_gap_s)
            run["primary_timeline"] = ctx.primary.exchange.timeline()
        progress("startup")  # lifespan shutdown: the same phase as its startup
        try:
            await asyncio.wait_for(stack.aclose(), exchange_budget)
        except Exception as exc:  # shutdown hooks are student code too; the verdicts stand
            run["notes"].append(f"The app's shutdown (lifespan) failed: {type(exc).__name__}: {exc}")
        return ctx.verdicts
    finally:
        monitor.stop()


def run_harness(workdir: str, settings: dict[str, Any], on_progress: ProgressFn | None = None) -> dict[str, Any]:
    """Grade the app in ``workdir`` (already the process's private copy); JSON-serializable result."""
    begun = time.perf_counter()
    progress = on_progress or (lambda phase: None)
    timeout = float(settings.get("timeout", DEFAULT_TIMEOUT_S))
    deadline = begun + timeout * DEADLINE_SHARE
    wanted = [c for c in RUN_ORDER if c in set(settings.get("checks") or CHECKS)]
    root = Path(workdir).resolve()
    warm_up()  # before the student's code is imported or measured
    os.chdir(root)
    # The parent picks the nonce so it can rebuild the payloads and re-check the disk itself.
    nonce = str(settings.get("nonce") or "")
    if not re.fullmatch(r"[0-9a-f]{6,64}", nonce):
        nonce = new_nonce()
    run: dict[str, Any] = {"timings": {}, "errors": [], "nonce": nonce}
    area = WorkArea(root)
    progress("import")
    try:
        found = discover_app(root, settings.get("app"), settings.get("path"), settings.get("field"))
    except DiscoveryError as exc:
        sentence = str(exc)
        run["timings"]["import_ms"] = _ms(time.perf_counter() - begun)
        verdicts = {"app-loads": Verdict("app-loads", "failed", sentence)}
        return _result(wanted, verdicts, [sentence], run)
    run["timings"]["import_ms"] = _ms(time.perf_counter() - begun)
    run.update(app=found.name, route=found.route.describe(), field=found.route.field, notes=found.notes)
    with recording_tasks(str(root)):
        verdicts = asyncio.run(_run_app(found, area, settings, deadline, wanted, progress, run))
    custom = _custom_checks(found, root, settings, verdicts, begun + timeout * CUSTOM_DEADLINE_SHARE, progress)
    run["timings"]["harness_ms"] = _ms(time.perf_counter() - begun)
    result = _result(wanted, verdicts, list(run["errors"]), run)
    result["verdicts"].extend(custom.get("verdicts", {}).values())
    result["errors"].extend(custom.get("errors", []))
    return result


def _custom_checks(found: FoundApp, root: Path, settings: dict[str, Any], verdicts: dict[str, Verdict],
                   deadline: float, progress: ProgressFn) -> dict[str, Any]:
    """The rubric's own pytest files (``settings["pytest_files"]``), once the app loaded."""
    loaded = verdicts.get("app-loads")
    if not settings.get("pytest_files") or (loaded is not None and loaded.status != "passed"):
        return {}
    progress("check:custom")
    try:
        from grader.behavior.custom.runner import run_from_settings
    except ImportError as exc:
        return {"errors": [f"The rubric's pytest checks need pytest installed with the grader ({exc})."]}
    return run_from_settings(found.app, root, found.route.path, found.route.field, settings, deadline)


def _result(wanted: list[str], verdicts: dict[str, Verdict], errors: list[str], run: dict[str, Any]) -> dict[str, Any]:
    ordered = []
    for check_id in sorted(wanted, key=list(CHECKS).index):
        if check_id not in verdicts:
            requirement = _unmet(check_id, verdicts) or "app-loads"
            verdicts[check_id] = _skipped(check_id, requirement)
        ordered.append(verdicts[check_id].to_dict())
    run = {key: value for key, value in run.items() if key != "errors"}
    return {"verdicts": ordered, "errors": errors, "run": run}


def _main(argv: list[str]) -> None:
    """``python -m grader.behavior.harness.run WORKDIR OUT.json [SETTINGS_JSON]`` (tests, debugging).

    Not a sandbox: it runs the student's code in this process, in WORKDIR itself.
    """
    import json

    if len(argv) not in (2, 3):
        raise SystemExit("usage: python -m grader.behavior.harness.run WORKDIR OUT.json [SETTINGS_JSON]")
    settings = json.loads(argv[2]) if len(argv) == 3 else {}
    out = Path(argv[1]).resolve()
    result = run_harness(argv[0], settings)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    # A task stuck in a worker thread must not keep the process alive.
    os._exit(0)


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
