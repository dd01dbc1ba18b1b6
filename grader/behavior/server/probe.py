"""The grader's ASGI middleware around the student's app when uvicorn serves it.

Runs inside the sandboxed child, in uvicorn's event loop. For each request the parent
tags with ``x-grader-exchange``, it records what the in-process driver measures: the
instant the app sent its last body byte (and a disk snapshot at that instant), the
background tasks' start, end and error, when the app returned, and the largest event
loop stall. The parent fetches that record from a control path only it knows
(``/__grader__/<token>/...``); the tags are removed before the app sees the request.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from grader.behavior.student import task_recorder
from grader.behavior.harness.loop_monitor import LoopMonitor
from grader.behavior.student.task_recorder import TaskLog, describe_exception
from grader.behavior.harness.asgi_driver import SMALL_FILE
from grader.behavior.harness.workarea import FileState, WorkArea

EXCHANGE_HEADER = b"x-grader-exchange"
PROBE_HEADER = b"x-grader-probe"
MAX_RECORDS = 256


@dataclass
class Record:
    started: float
    status: int | None = None
    response_done: float | None = None
    finished: float | None = None
    tasks: TaskLog = field(default_factory=TaskLog)
    at_response: dict[str, FileState] | None = None
    app_error: dict[str, str] | None = None
    max_loop_gap_s: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def to_dict(self, area: WorkArea) -> dict[str, Any]:
        return {
            "started": self.started,
            "status": self.status,
            "response_done": self.response_done,
            "finished": self.finished,
            "done": self.done.is_set(),
            "tasks": [
                {"name": e.name, "started": e.started, "ended": e.ended, "error": e.error,
                 # Relative to the work area: the parent sees it under another absolute path.
                 "inputs": [area.relative(p) for p in e.inputs]}
                for e in self.tasks.events
            ],
            "at_response": None if self.at_response is None else {
                path: [s.size, s.mtime_ns, s.sha256] for path, s in self.at_response.items()
            },
            "app_error": self.app_error,
            "max_loop_gap_s": self.max_loop_gap_s,
        }


class GraderProbe:
    """ASGI app: the control routes, and the student's app with measurements around it."""

    def __init__(self, app: Any, area: WorkArea, token: str, info: dict[str, Any]) -> None:
        self.app = app
        self.area = area
        self.prefix = f"/__grader__/{token}/"
        self.info = info
        self.records: dict[str, Record] = {}
        self.monitor = LoopMonitor()
        self.server: Any = None  # uvicorn.Server, to stop it
        self.lifespan_error: dict[str, str] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            if not self.monitor.running:
                self.monitor.start()
            try:
                await self.app(scope, receive, send)
            except Exception as exc:  # the student's startup/shutdown hook raised
                self.lifespan_error = describe_exception(exc, str(self.area.root))
                raise
            return
        if scope["type"] == "http" and scope.get("path", "").startswith(self.prefix):
            await self._control(scope, send)
            return
        headers = scope.get("headers") or []
        tag = next((v.decode("latin-1") for k, v in headers if k == EXCHANGE_HEADER), None)
        if scope["type"] != "http" or tag is None:
            await self.app(scope, receive, send)
            return
        probe = next((v.decode("latin-1") for k, v in headers if k == PROBE_HEADER), "")
        sizes = frozenset(int(s) for s in probe.split(",") if s.isdigit()) if probe else None
        clean = dict(scope, headers=[(k, v) for k, v in headers if k not in (EXCHANGE_HEADER, PROBE_HEADER)])
        await self._measured(tag, sizes, clean, receive, send)

    async def _measured(self, tag: str, sizes: frozenset[int] | None, scope: dict[str, Any],
                        receive: Any, send: Any) -> None:
        if not self.monitor.running:
            self.monitor.start()
        record = Record(started=time.perf_counter())
        if len(self.records) < MAX_RECORDS:
            self.records[tag] = record
        window = self.monitor.open_window()

        async def measured_send(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                record.status = int(message.get("status", 0))
            await send(message)
            if (message.get("type") == "http.response.body" and not message.get("more_body", False)
                    and record.response_done is None):
                # Starlette starts the background tasks after this send returns.
                record.response_done = time.perf_counter()
                if sizes is not None:
                    begun = time.perf_counter()
                    # Same probe as the in-process driver: small files hashed afresh, so a
                    # file the tasks later rewrite is told apart from finished output.
                    record.at_response = self.area.snapshot(sizes, hash_small=SMALL_FILE)
                    self.monitor.add_busy(time.perf_counter() - begun)

        task_recorder.bind(record.tasks)
        try:
            await self.app(scope, receive, measured_send)
        except Exception as exc:  # the student's exception: uvicorn answers 500 if nothing was sent
            record.app_error = describe_exception(exc, str(self.area.root))
            if record.status is None:
                raise
        finally:
            record.finished = time.perf_counter()
            record.max_loop_gap_s = self.monitor.close_window(window)
            record.done.set()

    async def _control(self, scope: dict[str, Any], send: Any) -> None:
        command = scope["path"][len(self.prefix):]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if command == "info":
            await _json(send, 200, self.info)
        elif command.startswith("exchange/"):
            record = self.records.get(command[len("exchange/"):])
            if record is None:
                await _json(send, 404, {"error": "no such exchange"})
                return
            wait = min(float((query.get("wait") or ["0"])[0] or 0), 120.0)
            if wait > 0 and not record.done.is_set():
                try:
                    await asyncio.wait_for(record.done.wait(), wait)
                except TimeoutError:
                    pass
            await _json(send, 200, record.to_dict(self.area))
        elif command == "shutdown":
            await _json(send, 200, {"ok": True})
            if self.server is not None:
                self.server.should_exit = True
        else:
            await _json(send, 404, {"error": "unknown command"})


async def _json(send: Any, status: int, data: Any) -> None:
    body = json.dumps(data, default=str).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
