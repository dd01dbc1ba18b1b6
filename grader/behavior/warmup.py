"""One in-memory upload through a throwaway FastAPI app, run by the fork server before
it freezes its heap: routing, multipart parsing, UploadFile and BackgroundTasks code
paths are then already imported and initialised in every forked child."""

# No `from __future__ import annotations`: FastAPI must resolve the route's annotations.

import asyncio
from typing import Any


def warm_up() -> None:
    import httpx
    from fastapi import BackgroundTasks, FastAPI, File, UploadFile

    app = FastAPI()
    seen: list[int] = []

    @app.post("/upload")
    async def upload(background_tasks: BackgroundTasks, file: UploadFile = File(...)) -> dict[str, Any]:
        data = await file.read()
        background_tasks.add_task(seen.append, len(data))
        return {"size": len(data)}

    request = httpx.Request("POST", "http://warmup/upload", files={"file": ("a.bin", b"\0\r\nwarm\xff")})
    body = request.read()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/upload", "raw_path": b"/upload", "root_path": "",
        "query_string": b"", "server": ("warmup", 80), "client": ("127.0.0.1", 1),
        "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers.items()],
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    asyncio.run(app(scope, receive, send))
    if seen != [len(b"\0\r\nwarm\xff")]:
        raise RuntimeError("fork server warm-up did not run its background task")
