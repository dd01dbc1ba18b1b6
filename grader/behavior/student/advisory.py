"""The grader's ASGI wrapper around the student's app, in the student's process (advisory).

For each request the parent tags with ``x-grader-exchange`` it records which background
tasks ran, when each started and ended on this process's clock, and what each raised,
so feedback can say "task process_file raised KeyError at main.py:12". The parent
fetches the record from control paths under ``/__grader__/<token>/``; the tag is removed
before the app sees the request.

Student code can rewrite all of this. The parent uses a record only to know when to look
(tasks done) and to add detail or take points away; never to grant one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from grader.behavior.student import task_recorder
from grader.behavior.student.loop_monitor import LoopMonitor, Window
from grader.behavior.student.task_recorder import TaskLog, describe_exception

EXCHANGE_HEADER = b"x-grader-exchange"
MAX_RECORDS = 256
MAX_WAIT_S = 120.0


@dataclass
class Record:
    started: float
    status: int | None = None
    tasks: TaskLog = field(default_factory=TaskLog)
    app_error: dict[str, str] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    window: Window | None = None
    max_loop_gap_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "done": self.done.is_set(),
            "status": self.status,
            "tasks": [event.to_dict(self.started) for event in self.tasks.events],
            "app_error": self.app_error,
            "max_loop_gap_ms": None if self.max_loop_gap_s is None else round(self.max_loop_gap_s * 1000, 1),
        }


class AdvisoryWrapper:
    """ASGI app: the control routes, and the student's app with its tasks recorded."""

    def __init__(self, app: Any, root: str, token: str, info: dict[str, Any]) -> None:
        self.app = app
        self.root = root
        self.prefix = f"/__grader__/{token}/"
        self.info = info
        self.records: dict[str, Record] = {}
        self.server: Any = None  # uvicorn.Server, to stop it
        self.lifespan_error: dict[str, str] | None = None
        self.monitor = LoopMonitor()

    def _held(self, send: Any) -> Any:
        """``send`` with its duration not counted as a stall: every send of this process
        waits for the parent's send trap, which is the grader's time, not the app's."""
        async def held_send(message: dict[str, Any]) -> None:
            with self.monitor.grader_time():
                await send(message)

        return held_send

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self.monitor.running:
            self.monitor.start()
        send = self._held(send)
        if scope["type"] == "lifespan":
            try:
                await self.app(scope, receive, send)
            except Exception as exc:  # the student's startup/shutdown hook raised
                self.lifespan_error = describe_exception(exc, self.root)
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
        clean = dict(scope, headers=[(k, v) for k, v in headers if k != EXCHANGE_HEADER])
        await self._recorded(tag, clean, receive, send)

    async def _recorded(self, tag: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
        record = Record(started=time.perf_counter(), window=self.monitor.open_window())
        if len(self.records) < MAX_RECORDS:
            self.records[tag] = record

        async def recorded_send(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                record.status = int(message.get("status", 0))
            await send(message)

        task_recorder.bind(record.tasks)
        try:
            await self.app(scope, receive, recorded_send)
        except Exception as exc:  # the student's exception: uvicorn answers 500 if nothing was sent
            record.app_error = describe_exception(exc, self.root)
            if record.status is None:
                raise
        finally:
            if record.window is not None:
                record.max_loop_gap_s = self.monitor.close_window(record.window)
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
            try:
                wait = min(float((query.get("wait") or ["0"])[0] or 0), MAX_WAIT_S)
            except ValueError:
                wait = 0.0
            if wait > 0 and not record.done.is_set():
                try:
                    await asyncio.wait_for(record.done.wait(), wait)
                except asyncio.TimeoutError:
                    pass
            await _json(send, 200, record.to_dict())
        elif command == "shutdown":
            await _json(send, 200, {"ok": True})
            if self.server is not None:
                # The parent has measured all it needs: no graceful wait for tasks still running.
                # Their cancellation is the grader's doing, not the student's: uvicorn's
                # tracebacks for it would read as the app's errors in the report.
                silence_server_logs()
                self.server.should_exit = True
                self.server.force_exit = True
                wake = getattr(self.server, "wake", None)
                if wake is not None:
                    wake.set()
        else:
            await _json(send, 404, {"error": "unknown command"})


def silence_server_logs() -> None:
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


async def _json(send: Any, status: int, data: Any) -> None:
    body = json.dumps(data, default=str).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
