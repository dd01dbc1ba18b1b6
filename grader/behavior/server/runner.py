"""Real-server mode (``--server uvicorn``): the behavior checks over real HTTP.

The sandboxed child serves the student's app with uvicorn on a Unix socket
(:mod:`grader.behavior.server.harness`); the trusted parent runs the very same check
functions as the in-process harness, with :class:`~grader.behavior.server.http_driver.HttpDriver`
as their driver: it sends the requests with httpx, and reads the disk itself.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from grader.behavior.harness import run as harness
from grader.behavior.student.app_discovery import FoundApp, UploadRoute
from grader.behavior.catalog import CHECKS
from grader.behavior.harness.check_context import CheckContext
from grader.behavior.server.http_driver import HttpDriver
from grader.behavior.outcome import BehaviorOutcome, Verdict
from grader.behavior.runner import _new_nonce, interpret, settings_for
from grader.behavior.sandbox.supervisor import Sandbox, SandboxLimits, SandboxResult
from grader.behavior.server.harness import socket_path
from grader.behavior.harness.workarea import WorkArea
from grader.discovery import Submission
from grader.scoring.rubric import Rubric

SERVER_HARNESS = "grader.behavior.server.harness:run_server"
POLL_S = 0.02


def run_behavior_server(submission: Submission, rubric: Rubric) -> BehaviorOutcome:
    nonce = _new_nonce()
    token = secrets.token_hex(16)
    settings = {**settings_for(rubric, nonce), "server_token": token}
    limits = SandboxLimits(rubric.behavior.timeout, rubric.behavior.memory_mb, rubric.behavior.max_processes)
    holder: dict[str, SandboxResult] = {}
    with Sandbox(submission.root, harness=SERVER_HARNESS) as box:
        begun = time.perf_counter()
        child = threading.Thread(target=lambda: holder.setdefault("res", box.run(settings, limits)), daemon=True)
        child.start()
        # The child computes the same path from its own view of the work dir.
        sock = socket_path(box.work, token)
        measured = asyncio.run(_drive(sock, token, box, settings, nonce, child, begun))
        child.join(limits.timeout + 30)
    res = holder.get("res") or SandboxResult(timed_out=True)
    outcome = interpret(res, limits)
    if measured is not None:
        verdicts, run = measured
        # The parent measured these itself: they stand even if the child was then killed.
        # The child's own verdicts left are the rubric's pytest checks (run in-process).
        outcome.verdicts = {**outcome.verdicts, **verdicts}
        for key, value in run.items():
            outcome.run.setdefault(key, value)
    outcome.run.setdefault("timings", {})["server_mode"] = "uvicorn"
    return outcome


async def _wait_ready(driver: HttpDriver, sock: Path, child: threading.Thread, until: float) -> dict[str, Any] | None:
    """The app's discovery facts once the server answers; None if the child ended first."""
    while time.perf_counter() < until and child.is_alive():
        if sock.exists():
            try:
                return await driver.info(timeout=1.0)
            except Exception:  # noqa: BLE001 - not listening yet: retry until the deadline
                pass
        await asyncio.sleep(POLL_S)
    return None


async def _drive(sock: Path, token: str, box: Sandbox, settings: dict[str, Any], nonce: str,
                 child: threading.Thread, begun: float) -> tuple[dict[str, Verdict], dict[str, Any]] | None:
    timeout = float(settings.get("timeout") or harness.DEFAULT_TIMEOUT_S)
    driver = HttpDriver(sock, token, box.work)
    try:
        info = await _wait_ready(driver, sock, child, begun + timeout * harness.DEADLINE_SHARE)
        if info is None:
            return None  # discovery or startup failed in the child: its result says why
        started = time.perf_counter()
        found = FoundApp(None, str(info["app"]), UploadRoute(str(info["path"]), str(info["field"]),
                                                                bool(info.get("many"))), list(info.get("notes") or []))
        exchange_budget = float(settings.get("exchange_timeout") or min(10.0, max(2.0, timeout / 3)))
        ctx = CheckContext(
            driver=driver,  # type: ignore[arg-type]  # same post() contract as AsgiDriver
            area=WorkArea(box.work), found=found, nonce=nonce,
            deadline=begun + timeout * harness.DEADLINE_SHARE, exchange_budget_s=exchange_budget,
            sandbox_root=box.sandbox_dir,
        )
        order = getattr(harness, "RUN_ORDER", tuple(CHECKS))
        wanted = [c for c in order if c in set(settings.get("checks") or CHECKS)]
        await harness._run_checks(ctx, wanted, lambda phase: None)
        run: dict[str, Any] = {"app": found.name, "route": found.route.describe(), "field": found.route.field,
                               "timings": {"checks_ms": ctx.timings_ms,
                                           "server_checks_ms": round((time.perf_counter() - started) * 1000, 1)}}
        if ctx.primary is not None:
            run["max_loop_gap_ms"] = round(ctx.primary.exchange.max_loop_gap_s * 1000, 1)
            run["primary_timeline"] = ctx.primary.exchange.timeline()
        result = harness._result(wanted, ctx.verdicts, [], run)
        verdicts = {v["id"]: Verdict.from_dict(v) for v in result["verdicts"]}
        return verdicts, result["run"]
    finally:
        await driver.shutdown()
        await driver.aclose()
