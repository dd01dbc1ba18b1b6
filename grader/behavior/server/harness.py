"""Real-server mode, child side: serve the student's app with uvicorn on a Unix socket.

The sandbox calls ``run_server(workdir, settings)`` instead of the in-process harness.
It finds the app exactly as the in-process harness does, wraps it in
:class:`~grader.behavior.server.probe.GraderProbe`, and serves it with uvicorn (h11,
the asyncio loop, lifespan on) until the parent, which sends the requests and runs the
checks, asks it to stop. A Unix socket, not a TCP port: the child lives in its own
network namespace, where the parent cannot reach a loopback port.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

# Same guard as the in-process harness: import what the app uses before the submission
# goes on sys.path, so a student file named like a library cannot shadow it.
import python_multipart  # noqa: F401
import starlette.formparsers  # noqa: F401
import uvicorn

from grader.behavior.student.app_discovery import DiscoveryError, discover_app
from grader.behavior.catalog import CHECKS
from grader.behavior.outcome import Verdict
from grader.behavior.server.probe import GraderProbe
from grader.behavior.student.task_recorder import recording_tasks
from grader.behavior.harness.workarea import WorkArea


def socket_path(workdir: str | os.PathLike[str], token: str) -> Path:
    """``<run tmp>/grader-<token>.sock``: the work dir is ``<run tmp>/sandbox/work``."""
    return Path(workdir).resolve().parent.parent / f"grader-{token[:16]}.sock"


def run_server(workdir: str, settings: dict[str, Any]) -> dict[str, Any]:
    begun = time.perf_counter()
    token = str(settings["server_token"])
    root = Path(workdir).resolve()
    os.chdir(root)
    run: dict[str, Any] = {"timings": {}, "server": "uvicorn", "notes": []}
    try:
        found = discover_app(root, settings.get("app"), settings.get("path"), settings.get("field"))
    except DiscoveryError as exc:
        # No server: the parent sees the result arrive instead of a socket.
        return _app_not_loaded(settings, str(exc), run)
    run["timings"]["import_ms"] = round((time.perf_counter() - begun) * 1000, 1)
    run.update(app=found.name, route=found.route.describe(), field=found.route.field, notes=list(found.notes))
    info = {"app": found.name, "path": found.route.path, "field": found.route.field,
            "many": found.route.many, "notes": list(found.notes)}
    probe = GraderProbe(found.app, WorkArea(root), token, info)
    sock = socket_path(root, token)
    config = uvicorn.Config(
        probe, uds=str(sock), loop="asyncio", http="h11", lifespan="on",
        log_level="warning", access_log=False, timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    probe.server = server
    with recording_tasks(str(root)):
        try:
            server.run()
        except SystemExit:  # uvicorn exits when the app's startup fails
            pass
    run["timings"]["server_ms"] = round((time.perf_counter() - begun) * 1000, 1)
    if not server.started:
        # The in-process harness's words, so both modes report the same.
        error = probe.lifespan_error
        sentence = ("The app's startup (lifespan) raised {type} ({where}): {message}.".format(**error) if error
                    else "The app's startup (lifespan) failed: uvicorn could not serve it.")
        return _app_not_loaded(settings, sentence, run)
    # The rubric's pytest checks drive the app in-process, after the served checks (the
    # in-process harness's order too).
    from grader.behavior.harness import run as harness

    custom = harness._custom_checks(found, root, settings, {}, begun + float(settings.get("timeout") or 30)
                                    * harness.CUSTOM_DEADLINE_SHARE, lambda phase: None)
    return {"verdicts": list(custom.get("verdicts", {}).values()), "errors": list(custom.get("errors", [])), "run": run}


def _app_not_loaded(settings: dict[str, Any], sentence: str, run: dict[str, Any]) -> dict[str, Any]:
    """app-loads failed, every other wanted check skipped: the in-process harness's result."""
    from grader.behavior.harness import run as harness

    order = getattr(harness, "RUN_ORDER", tuple(CHECKS))
    wanted = [c for c in order if c in set(settings.get("checks") or CHECKS)]
    return harness._result(wanted, {"app-loads": Verdict("app-loads", "failed", sentence)}, [sentence], run)
