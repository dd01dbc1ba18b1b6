"""Pay FastAPI's first-request costs on a private app, before any student code is measured.

The first request in a process imports and builds things lazily (form parsing, the
worker thread pool, validators): tens of milliseconds that would otherwise show as an
event-loop stall in the student's first upload. A forking parent calls
:func:`warm_up` once before it forks; the harness calls it again (a no-op when done).
"""

from __future__ import annotations

import asyncio

from fastapi import BackgroundTasks, FastAPI, UploadFile

from grader.behavior.harness import payloads
from grader.behavior.harness.asgi_driver import AsgiDriver
from grader.behavior.harness.loop_monitor import LoopMonitor
from grader.behavior.harness.workarea import WorkArea

_done = False


def _private_app() -> FastAPI:
    app = FastAPI()

    def sync_task(data: bytes) -> None:
        len(data)

    async def async_task(data: bytes) -> None:
        len(data)

    @app.post("/warm")
    async def warm(file: UploadFile, background_tasks: BackgroundTasks) -> dict[str, int]:
        data = await file.read()
        background_tasks.add_task(sync_task, data)
        background_tasks.add_task(async_task, data)
        return {"size": len(data)}

    return app


async def _exercise(app: FastAPI) -> None:
    monitor = LoopMonitor()
    monitor.start()
    try:
        driver = AsgiDriver(app, WorkArea("."), monitor, {})
        sample = payloads.binary_payload("warmup")
        await driver.post("warm", "/warm", 10.0, files={"file": (sample.filename, sample.data, sample.content_type)})
        await driver.post("warm-missing", "/warm", 10.0, data={"comment": "no file"})
    finally:
        monitor.stop()


def warm_up() -> None:
    """Once per process: exercise upload, validation error and both task kinds; build payloads."""
    global _done
    if _done:
        return
    payloads.warm_up()
    asyncio.run(_exercise(_private_app()))
    _done = True
