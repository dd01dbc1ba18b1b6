"""Drive the student's ASGI app directly and timestamp what happens.

``TestClient`` and ``httpx.ASGITransport`` return only after the background tasks ran,
so they cannot show ordering. Here the grader builds the multipart request with httpx,
calls ``await app(scope, receive, send)`` itself, and timestamps the final
``http.response.body`` message: at that instant it snapshots the work area (no
background task can have started yet, Starlette runs them after the body is sent).
``await app(...)`` returns only after the tasks ran, so the same call also tells when
the processing ended.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from grader.behavior.student import task_recorder
from grader.behavior.student.loop_monitor import LoopMonitor
from grader.behavior.student.task_recorder import TaskLog, describe_exception
from grader.behavior.custom.workarea import FileState, WorkArea

BODY_CHUNK = 1 << 20
MAX_KEPT_BODY = 4096
# At response time small files are hashed too, to tell later whether a task changed them.
SMALL_FILE = 64 * 1024


@dataclass
class Exchange:
    """One request: what was sent, what came back, and when."""

    label: str
    path: str
    filename: str | None
    size: int
    sha256: str | None
    started: float
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    response_done: float | None = None
    finished: float | None = None
    tasks: TaskLog = field(default_factory=TaskLog)
    at_response: dict[str, FileState] | None = None
    app_error: dict[str, str] | None = None
    timed_out: bool = False
    budget_s: float = 0.0
    max_loop_gap_s: float = 0.0

    def ms(self, instant: float | None) -> float | None:
        return None if instant is None else round((instant - self.started) * 1000, 2)

    def body_text(self, limit: int = 300) -> str:
        text = self.body[:limit].decode("utf-8", "replace")
        return text + ("..." if len(self.body) > limit else "")

    def received(self) -> str:
        """One line for a report: status and the start of the body."""
        if self.status is None:
            if self.timed_out:
                return f"no response within {self.budget_s:g} s"
            if self.app_error:
                return f"no response: the app raised {self.app_error['type']}: {self.app_error['message']}"
            return "no response: the app returned without answering"
        return f"HTTP {self.status} {self.body_text()}".rstrip()

    def timeline(self) -> dict[str, Any]:
        return {
            "response_complete_ms": self.ms(self.response_done),
            "app_returned_ms": self.ms(self.finished),
            "tasks": [event.to_dict(self.started) for event in self.tasks.events],
            "max_loop_gap_ms": round(self.max_loop_gap_s * 1000, 1),
        }


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
    """Run the app's startup/shutdown once around all checks; yields the lifespan state."""
    router = getattr(app, "router", None)
    context = getattr(router, "lifespan_context", None)
    if context is None:
        yield {}
        return
    async with context(app) as state:
        yield dict(state) if isinstance(state, dict) else {}


class AsgiDriver:
    def __init__(self, app: Any, area: WorkArea, monitor: LoopMonitor, state: dict[str, Any]) -> None:
        self.app = app
        self.area = area
        self.monitor = monitor
        self.state = state

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        url = request.url
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "http",
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": dict(self.state),
            "extensions": {},
        }

    def _probe(self, exchange: Exchange, sizes: frozenset[int]) -> None:
        with self.monitor.grader_time():
            exchange.at_response = self.area.snapshot(sizes, hash_small=SMALL_FILE)

    async def post(
        self,
        label: str,
        path: str,
        budget_s: float,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
        filename: str | None = None,
        sha256: str | None = None,
        probe_sizes: frozenset[int] | None = None,
        file_parts: tuple[str, str, str, tuple[bytes, ...]] | None = None,
    ) -> Exchange:
        """POST a multipart form; return after the app (and its tasks) finished or the budget ran out.

        ``probe_sizes``: snapshot the work area when the response completes, hashing
        files of these sizes (None: no snapshot).
        """
        if file_parts is not None:
            request, chunks = _streamed_multipart(path, *file_parts)
            size = sum(map(len, file_parts[3]))
        else:
            request = httpx.Request("POST", "http://testserver" + path, files=files, data=data)
            body = request.read()
            size = sum(len(item[1]) for item in (files or {}).values())
            chunks = [body[i : i + BODY_CHUNK] for i in range(0, len(body), BODY_CHUNK)] or [b""]
        exchange = Exchange(label, path, filename, size, sha256, started=0.0, budget_s=budget_s)
        response_complete = asyncio.Event()
        kept: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if chunks:
                chunk = chunks.pop(0)
                return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
            await response_complete.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            kind = message.get("type")
            if kind == "http.response.start":
                exchange.status = int(message.get("status", 0))
                exchange.headers = [
                    (bytes(k).decode("latin-1"), bytes(v).decode("latin-1")) for k, v in message.get("headers", [])
                ]
            elif kind == "http.response.body":
                if sum(map(len, kept)) < MAX_KEPT_BODY:
                    kept.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False) and exchange.response_done is None:
                    exchange.response_done = time.perf_counter()
                    if probe_sizes is not None:
                        self._probe(exchange, probe_sizes)
                    response_complete.set()

        async def call_app() -> None:
            task_recorder.bind(exchange.tasks)
            try:
                await self.app(self._scope(request), receive, send)
            except Exception as exc:  # the student's exception, after or instead of a 500
                exchange.app_error = describe_exception(exc, str(self.area.root))

        window = self.monitor.open_window()
        exchange.started = time.perf_counter()
        runner = asyncio.get_running_loop().create_task(call_app())
        # asyncio.wait, not wait_for: a task stuck in a worker thread cannot be cancelled,
        # and the grader must not wait for it.
        done, _ = await asyncio.wait({runner}, timeout=budget_s)
        if not done:
            exchange.timed_out = True
            runner.cancel()
            runner.add_done_callback(_swallow)
        exchange.finished = time.perf_counter()
        exchange.max_loop_gap_s = self.monitor.close_window(window)
        exchange.body = b"".join(kept)
        response_complete.set()
        return exchange


def _streamed_multipart(
    path: str, field: str, filename: str, content_type: str, parts: tuple[bytes, ...]
) -> tuple[httpx.Request, list[bytes]]:
    """A one-file multipart body sent as ``parts`` without joining them (the 16 MiB upload:
    httpx would copy it whole). Same wire format as httpx for a plain ASCII name."""
    boundary = os.urandom(16).hex()
    quoted_field = field.replace('"', "%22")
    quoted_name = filename.replace('"', "%22")
    preamble = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted_field}"; filename="{quoted_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    epilogue = f"\r\n--{boundary}--\r\n".encode()
    length = len(preamble) + sum(map(len, parts)) + len(epilogue)
    headers = {"content-type": f"multipart/form-data; boundary={boundary}", "content-length": str(length)}
    request = httpx.Request("POST", "http://testserver" + path, headers=headers)
    return request, [preamble, *parts, epilogue]


def _swallow(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()

