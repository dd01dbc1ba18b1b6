"""Pay FastAPI's and uvicorn's first-request costs once, before any student code runs.

The first request in a process imports and builds things lazily (form parsing, the worker
thread pool, validators, uvicorn's HTTP protocol): a forking parent calls :func:`warm_up`
once before it forks, so every child starts warm, and a child whose jail no longer lets
it read some library file still has what it needs in memory.
"""

from __future__ import annotations

import asyncio

import httpx
import uvicorn.lifespan.on  # noqa: F401
import uvicorn.loops.asyncio  # noqa: F401
import uvicorn.protocols.http.h11_impl  # noqa: F401
from fastapi import BackgroundTasks, FastAPI, UploadFile

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
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://warm") as client:
        await client.post("/warm", files={"file": ("warm.bin", b"\x00\r\nwarm" * 100, "application/octet-stream")})
        await client.post("/warm", data={"comment": "no file"})
        await client.get("/missing")


def warm_up() -> None:
    """Once per process: an upload, a validation error, a 404 and both task kinds."""
    global _done
    if _done:
        return
    asyncio.run(_exercise(_private_app()))
    _done = True
