"""The sandboxed child's entry: find the student's app and serve it with uvicorn.

``serve(workdir, settings, on_progress)`` runs in the jail. Before it imports anything
of the student's it hands the send trap to the parent (:mod:`.send_trap_setup`); then it
finds the app and serves it on the listening socket the parent passed
(``settings["fds"]["listen"]``) until the parent asks it to stop. The parent is the
client: it sends every request and watches the disk itself.

What this returns is advisory (the app's name and route, the rubric's pytest results
for ids the parent already knows): it comes from the student's process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any, Callable

# Import what the app will use before the submission goes on sys.path: a student file
# named like a library (multipart.py, httpx.py) must not shadow it.
import python_multipart  # noqa: F401
import starlette.formparsers  # noqa: F401
import uvicorn

from grader.behavior.student.advisory import AdvisoryWrapper
from grader.behavior.student.app_discovery import DiscoveryError, discover_app
from grader.behavior.student.send_trap_setup import hand_over_send_trap
from grader.behavior.student.task_recorder import recording_tasks
from grader.behavior.student.wakeups import wake_loops_by_write

ProgressFn = Callable[[str], None]


def serve(workdir: str, settings: dict[str, Any], on_progress: ProgressFn | None = None) -> dict[str, Any]:
    progress = on_progress or (lambda phase: None)
    begun = time.perf_counter()
    # A server writes to sockets its clients may have closed: EPIPE, not death (what any
    # Python program gets by default; the sandbox's fork restored the default action).
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    fds = settings["fds"]
    trap = hand_over_send_trap(int(fds["control"]))
    wake_loops_by_write()
    root = Path(workdir).resolve()
    os.chdir(root)
    run: dict[str, Any] = {"send_trap": trap, "timings": {}}
    progress("import")
    try:
        found = discover_app(root, settings.get("app"), settings.get("path"), settings.get("field"))
    except DiscoveryError as exc:
        return {"loaded": False, "error": str(exc), "run": run}
    run["timings"]["import_ms"] = round((time.perf_counter() - begun) * 1000, 1)
    info = {"app": found.name, "path": found.route.path, "field": found.route.field,
            "many": found.route.many, "notes": list(found.notes)}
    wrapper = AdvisoryWrapper(found.app, str(root), str(settings["token"]), info)
    config = uvicorn.Config(
        wrapper, fd=int(fds["listen"]), loop="asyncio", http="h11", lifespan="on",
        log_level="warning", access_log=False, timeout_graceful_shutdown=1,
    )
    server = PromptServer(config)
    wrapper.server = server
    progress("startup")
    with recording_tasks(str(root)):
        try:
            server.run()
        except SystemExit:  # uvicorn exits when the app's startup fails
            pass
    if not server.started:
        error = wrapper.lifespan_error
        sentence = ("The app's startup (lifespan) raised {type} ({where}): {message}.".format(**error) if error
                    else "The app's startup (lifespan) failed, so the server could not start.")
        return {"loaded": False, "error": sentence, "run": run}
    result: dict[str, Any] = {"loaded": True, "run": run}
    custom = _rubric_pytest_checks(found, root, settings, begun)
    if custom:
        result["custom"] = custom
    return result


class PromptServer(uvicorn.Server):
    """uvicorn looks at ``should_exit`` every 0.1 s; the grader's shutdown wakes it at once
    (each run saved ~50 ms of waiting on average)."""

    wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        if not hasattr(self, "on_tick"):  # another uvicorn: its own loop, its own pace
            await super().main_loop()
            return
        self.wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            try:
                await asyncio.wait_for(self.wake.wait(), 0.1)
            except asyncio.TimeoutError:
                pass
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        """When the grader asked to stop (``force_exit``): close the listener and the
        connections without uvicorn's fixed 0.1 s grace sleep (its tasks and lifespan
        shutdown are skipped on a forced exit anyway)."""
        if not self.force_exit:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()


def _rubric_pytest_checks(found: Any, root: Path, settings: dict[str, Any], begun: float) -> dict[str, Any]:
    """The rubric's own pytest files, run against the app in this process after serving."""
    if not settings.get("pytest_files"):
        return {}
    try:
        from grader.behavior.custom.runner import run_from_settings
    except ImportError as exc:
        return {"errors": [f"The rubric's pytest checks need pytest installed with the grader ({exc})."]}
    deadline = begun + float(settings.get("timeout") or 30) * 0.93
    outcome = run_from_settings(found.app, root, found.route.path, found.route.field, settings, deadline)
    return {"verdicts": list(outcome.get("verdicts", {}).values()),
            "errors": list(outcome.get("errors", []))}
