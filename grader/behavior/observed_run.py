"""Run one submission's behavior checks: the app served in the jail, observed from outside.

The parent (this module, trusted) prepares a listening socket and a control socket,
starts watching every folder the child can write, and starts the child in the jail
(:mod:`grader.behavior.sandbox`) with :func:`grader.behavior.student.serve.serve` as its
entry. The child hands over its send trap, finds the app and serves it. The parent then
runs the checks as the HTTP client (:mod:`grader.behavior.checks`), asks the server to
stop, and turns what the jail reports (exit, timeout, limits) into sentences.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from grader.behavior.checks import core as _registers_checks  # noqa: F401
from grader.behavior.checks.context import REGISTRY, REQUIRES, AppFacts, BudgetExhausted, CheckContext
from grader.behavior.observer.client import HttpClient
from grader.behavior.observer.witness import Witness
from grader.behavior.outcome import BehaviorOutcome, Verdict
from grader.behavior.sandbox.supervisor import Sandbox, SandboxLimits, SandboxResult
from grader.behavior.untrusted import clean_text

SERVE = "grader.behavior.student.serve:serve"
# Part of the wall-clock limit kept for stopping the server and reporting.
DEADLINE_SHARE = 0.85
READY_POLL_S = 0.02
HANDOVER_TIMEOUT_S = 15.0

# Execution order (reports keep the catalog's order): prerequisites first, then the
# cheapest checks, so a slow app loses the large and concurrent checks to the time
# limit before it loses the quick ones.
RUN_ORDER = (
    "app-loads", "upload-accepted", "task-scheduled", "response-before-processing", "task-completes",
    "processing-effect", "saved-file-intact", "saved-before-response", "loop-responsive",
    "missing-file-rejected", "empty-upload-handled", "unicode-filename-handled", "filename-contained",
    "large-upload-intact", "concurrent-uploads-intact",
)
# Checks that send their own uploads after the primary one run together (each waits for
# its own tasks); any that does not pass runs again alone and that verdict stands: a pass
# together is real evidence (a unique payload saved intact), a failure could come from
# another check's upload (an app that saves every upload under one fixed name).
OVERLAP_MAX_PRIMARY_S = 2.0
OVERLAPPED = frozenset({
    "missing-file-rejected", "empty-upload-handled", "unicode-filename-handled", "filename-contained",
    "concurrent-uploads-intact", "large-upload-intact",
})


def run_observed(source: Path, settings: dict[str, Any], limits: SandboxLimits,
                 wanted: list[str], large_upload_mb: float, mode: str | None = None) -> BehaviorOutcome:
    token = secrets.token_hex(16)
    run_id = secrets.token_hex(6)
    sockets_dir = Path(tempfile.mkdtemp(prefix="grader-sock-"))
    # A socket path is limited to 107 bytes and TMPDIR can be longer: the folder is named
    # through a descriptor of this process instead.
    sockets_dir_fd = os.open(sockets_dir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control, child_control = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    holder: dict[str, SandboxResult] = {}
    measured: dict[str, Any] = {}
    try:
        socket_path = f"/proc/self/fd/{sockets_dir_fd}/app.sock"
        listener.bind(socket_path)
        listener.listen(128)
        with Sandbox(source, harness=SERVE, mode=mode) as box:
            witness = Witness(_roots(box), HttpClient(socket_path, run_id))
            witness.start_watching()
            child = threading.Thread(
                target=lambda: holder.setdefault("res", box.run(
                    {**settings, "token": token}, limits,
                    pass_fds={"listen": listener.fileno(), "control": child_control.fileno()})),
                name="sandbox-run", daemon=True)
            child.start()
            try:
                witness.take_send_trap(control, HANDOVER_TIMEOUT_S)
                # The run's clock starts when the child is running (as the supervisor's does),
                # not while the grader's own fork server may still be starting.
                begun = time.monotonic()
                # The child holds the listening socket now. Without the parent's copy, a
                # child that dies (an app that does not import) refuses connections at
                # once instead of leaving each request to wait out its budget.
                listener.close()
                measured.update(asyncio.run(_drive(witness, token, child, begun, limits.timeout, wanted,
                                                   large_upload_mb, settings.get("exchange_timeout"),
                                                   overlap=settings.get("overlap", _overlap_default()),
                                                   uploads=_uploads(settings))) or {})
            finally:
                # Every send of the child waits for the trap (asyncio wakes its loop from a
                # worker thread with one): keep letting them through until the child ends.
                asyncio.run(_release_sends_until_done(witness, child, limits.timeout + 30))
                witness.close()
    finally:
        for sock in (listener, control, child_control):
            sock.close()
        os.close(sockets_dir_fd)
        shutil.rmtree(sockets_dir, ignore_errors=True)
    return _outcome(holder.get("res") or SandboxResult(timed_out=True), limits, measured, wanted, witness)


def _uploads(settings: dict[str, Any]) -> dict[str, Any]:
    """What the rubric says the primary upload is, and what its processing must produce."""
    chosen = {"fixture": settings.get("fixture") or "binary.bin", "fixture_base": settings.get("fixture_base")}
    if settings.get("effect"):
        chosen["effect"] = dict(settings["effect"])
    return chosen


def _overlap_default() -> bool:
    """GRADER_OVERLAP=0: every check alone, one after the other; the same verdicts, slower."""
    return os.environ.get("GRADER_OVERLAP", "1") != "0"


def _roots(box: Sandbox) -> dict[str, Path]:
    """The folders the child can write, by the name it knows them under."""
    roots = {".": box.work, "..": box.sandbox_dir}
    if getattr(box, "writable_roots", None):
        roots.update({name: Path(path) for name, path in box.writable_roots.items() if name not in roots})
    else:
        roots["/tmp"] = box.tmp
    return roots


async def _drive(witness: Witness, token: str, child: threading.Thread, begun: float, timeout: float,
                 wanted: list[str], large_upload_mb: float, exchange_budget_s: float | None,
                 overlap: bool, uploads: dict[str, Any]) -> dict[str, Any] | None:
    loop = asyncio.get_running_loop()
    witness.attach(loop)
    deadline = begun + timeout * DEADLINE_SHARE
    try:
        info = await _wait_ready(witness, token, child, deadline)
        if info is None:
            return None  # the child could not serve: its result says why
        app = AppFacts(clean_text(info.get("app"), 200), clean_text(info.get("path"), 500) or "/",
                       clean_text(info.get("field"), 200) or "file",
                       tuple(clean_text(n, 500) for n in (info.get("notes") or [])[:10] if isinstance(n, str)))
        if not app.path.startswith("/"):
            app = AppFacts(app.name, "/" + app.path, app.field, app.notes)
        budget = float(exchange_budget_s or min(10.0, max(2.0, timeout / 3)))
        ctx = CheckContext(witness, app, token, deadline, exchange_budget_s=budget, large_upload_mb=large_upload_mb,
                           **uploads)
        started = time.monotonic()
        await _run_checks(ctx, wanted, overlap)
        await witness.client.request("shutdown", "POST", f"/__grader__/{token}/shutdown", 2.0)
        return {"ctx": ctx, "checks_s": round(time.monotonic() - started, 3)}
    finally:
        witness.detach(loop)


async def _release_sends_until_done(witness: Witness, child: threading.Thread, limit: float) -> None:
    loop = asyncio.get_running_loop()
    witness.attach(loop)
    try:
        await loop.run_in_executor(None, child.join, limit)
    finally:
        witness.detach(loop)


async def _wait_ready(witness: Witness, token: str, child: threading.Thread, deadline: float) -> dict | None:
    """The app's facts once its server answers; None if the child ended first."""
    while time.monotonic() < deadline and child.is_alive():
        reply = await witness.client.request("ready", "GET", f"/__grader__/{token}/info",
                                             max(0.1, min(2.0, deadline - time.monotonic())))
        if reply.status == 200:
            try:
                info = json.loads(reply.body.decode("utf-8", "replace"))
            except ValueError:
                info = None
            return info if isinstance(info, dict) else None
        await asyncio.sleep(READY_POLL_S)
    return None


def _unmet(check_id: str, verdicts: dict[str, Verdict]) -> str | None:
    for requirement in REQUIRES[check_id]:
        prior = verdicts.get(requirement)
        if prior is None or prior.status != "passed":
            return requirement
    return None


async def _run_checks(ctx: CheckContext, wanted: list[str], overlap: bool = True) -> None:
    order = [c for c in RUN_ORDER if c in wanted]
    together = [c for c in order if overlap and c in OVERLAPPED]
    for check_id in order:
        if check_id not in together:
            await _run_one(ctx, check_id)
    ready = [c for c in together if _unmet(c, ctx.verdicts) is None] if _worth_overlapping(ctx) else []
    if len(ready) < 2:
        ready = []
    for check_id in together:
        if check_id not in ready:
            await _run_one(ctx, check_id)
    if ready:
        await asyncio.gather(*(_run_one(ctx, check_id) for check_id in ready))
        retried = [c for c in ready if ctx.verdicts[c].status not in ("passed", "timeout")]
        for check_id in retried:
            await _run_one(ctx, check_id)
        ctx.overlap = {"together": ready, "retried_alone": retried}


def _worth_overlapping(ctx: CheckContext) -> bool:
    """An app that blocks its event loop, or is slow, serializes the uploads anyway, and a
    group that ran into the budget would leave less of the run's time for the retries."""
    if ctx.primary is None:
        return True  # nothing measured: the prerequisites decide (they skip the checks)
    exchange = ctx.primary.exchange
    took = (exchange.done or exchange.started) - exchange.started
    return (not exchange.timed_out and ctx.primary.tasks_done and took <= OVERLAP_MAX_PRIMARY_S
            and not ctx.stall_prone)


async def _run_one(ctx: CheckContext, check_id: str) -> None:
    requirement = _unmet(check_id, ctx.verdicts)
    if requirement is not None:
        ctx.verdicts[check_id] = Verdict(check_id, "skipped", f"Skipped: it needs '{requirement}' to pass first.")
        return
    started = time.monotonic()
    try:
        ctx.verdicts[check_id] = await REGISTRY[check_id](ctx)
    except BudgetExhausted:
        ctx.verdicts[check_id] = Verdict(
            check_id, "timeout",
            "Not measured: the behavior run's time limit ran out before this check could start "
            "(the earlier uploads and their tasks took the time).")
    ctx.timings_ms[check_id] = round((time.monotonic() - started) * 1000, 1)


def _outcome(res: SandboxResult, limits: SandboxLimits, measured: dict[str, Any], wanted: list[str],
             witness: Witness) -> BehaviorOutcome:
    from grader.behavior.runner import interpret  # the jail's facts in sentences

    ctx: CheckContext | None = measured.get("ctx")
    outcome = interpret(res, limits, measured=ctx is not None)
    result = res.result or {}
    if ctx is not None:
        outcome.verdicts.update(ctx.verdicts)
        outcome.run["timings"]["checks_ms"] = ctx.timings_ms
        outcome.run["timings"]["checks_s"] = measured.get("checks_s")
        if ctx.overlap:
            outcome.run["overlap"] = ctx.overlap
        if any(e.get("type") == "MemoryError" for e in ctx.app_errors) and not any("MiB" in e for e in outcome.errors):
            outcome.errors.append(f"Your app used more than {limits.memory_mb} MiB of memory (the limit); "
                                  "it got a MemoryError.")
        outcome.run.update(app=ctx.app.name, route=ctx.app.describe(), field=ctx.app.field,
                           notes=list(ctx.app.notes))
        if ctx.primary is not None:
            from grader.behavior.checks.core import timeline

            outcome.run["primary_timeline"] = timeline(ctx.primary)
    elif result.get("loaded") is False:
        sentence = clean_text(result.get("error"), 2000) or "The app could not be loaded."
        outcome.verdicts = {"app-loads": Verdict("app-loads", "failed", sentence)}
        outcome.errors.append(sentence)
        if "MemoryError" in sentence:
            outcome.errors.append(f"Your app used more than {limits.memory_mb} MiB of memory (the limit) "
                                  "while being imported.")
    if ctx is None and "app-loads" not in outcome.verdicts or (
            ctx is None and outcome.verdicts.get("app-loads", Verdict("", "")).status == "passed"):
        # The parent never got an answer from the app: whatever the child says, it did not load.
        why = outcome.errors[0] if outcome.errors else "its process stopped before it served any request."
        outcome.verdicts["app-loads"] = Verdict("app-loads", "failed", "Your app never answered the grader: " + why)
    outcome.run["observer"] = {
        "send_trap": witness.trap_state,
        "ordering": "exact" if witness.trap is not None and witness.trap.broken is None else "approximate",
        "disk_events": witness.watch.position,
        **({"incomplete": witness.watch.incomplete} if witness.watch.incomplete else {}),
    }
    for check_id in wanted:
        if check_id not in outcome.verdicts:
            requirement = _unmet(check_id, outcome.verdicts) or "app-loads"
            outcome.verdicts[check_id] = Verdict(check_id, "skipped", f"Skipped: it needs '{requirement}' to pass first.")
    return outcome

