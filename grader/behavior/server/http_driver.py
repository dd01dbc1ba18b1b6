"""Real-server mode, parent side: the HTTP client the behavior checks drive.

Same interface as :class:`~grader.behavior.harness.asgi_driver.AsgiDriver` (``post`` returns an
:class:`~grader.behavior.harness.asgi_driver.Exchange`), so the very same check functions run.
The parent (trusted) sends real HTTP over the server's Unix socket with httpx and
reads the status and body it received; the instants only the server side can observe
(last body byte sent, each task's start and end, the disk at response time, loop
stalls) come from the probe's record of that request, all on the child's monotonic
clock, the clock the in-process driver uses too.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from typing import Any

import httpx

from grader.behavior.harness.asgi_driver import MAX_KEPT_BODY, Exchange
from grader.behavior.server.probe import EXCHANGE_HEADER, PROBE_HEADER
from grader.behavior.student.task_recorder import TaskEvent, TaskLog
from grader.behavior.harness.workarea import FileState

CONTROL_MARGIN_S = 2.0


class HttpDriver:
    def __init__(self, socket: Path, token: str, root: Path) -> None:
        self.socket = socket
        self.control = f"/__grader__/{token}/"
        self.root = root  # the parent's view of the app's work area
        self._ids = itertools.count(1)
        self.client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=str(socket)), base_url="http://grader",
            limits=httpx.Limits(max_connections=32),
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def info(self, timeout: float) -> dict[str, Any]:
        response = await self.client.get(self.control + "info", timeout=timeout)
        response.raise_for_status()
        return response.json()

    async def shutdown(self) -> None:
        try:
            await self.client.post(self.control + "shutdown", timeout=CONTROL_MARGIN_S)
        except httpx.HTTPError:
            pass  # the sandbox's wall limit ends the child anyway

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
        tag = f"{label}-{next(self._ids)}"
        headers = {EXCHANGE_HEADER.decode(): tag}
        if probe_sizes is not None:
            headers[PROBE_HEADER.decode()] = ",".join(str(s) for s in sorted(probe_sizes)) or "-"
        if file_parts is not None:
            field, name, content_type, parts = file_parts
            files = {field: (name, b"".join(parts), content_type)}
        size = sum(len(item[1]) for item in (files or {}).values())
        exchange = Exchange(label, path, filename, size, sha256, started=0.0, budget_s=budget_s)
        begun = time.perf_counter()
        received: httpx.Response | None = None
        try:
            received = await self.client.post(path, files=files, data=data, headers=headers, timeout=budget_s)
        except httpx.TimeoutException:
            exchange.timed_out = True
        except httpx.HTTPError as exc:
            exchange.app_error = {"type": type(exc).__name__, "message": f"the server closed the connection: {exc}",
                                  "where": ""}
        left = max(budget_s - (time.perf_counter() - begun), 0.0)
        record = await self._record(tag, left)
        self._fill(exchange, record, received)
        if record is None or not record.get("done"):
            exchange.timed_out = True
        return exchange

    async def _record(self, tag: str, wait: float) -> dict[str, Any] | None:
        try:
            response = await self.client.get(
                self.control + f"exchange/{tag}", params={"wait": f"{wait:.3f}"}, timeout=wait + CONTROL_MARGIN_S,
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        data = response.json()
        return data if isinstance(data, dict) else None

    def _fill(self, exchange: Exchange, record: dict[str, Any] | None, received: httpx.Response | None) -> None:
        if record is None:
            # The server never saw the request or cannot answer: what the client got is all.
            exchange.started = time.perf_counter()
            if received is not None:
                exchange.status = received.status_code
                exchange.body = received.content[:MAX_KEPT_BODY]
            return
        exchange.started = float(record["started"])
        exchange.response_done = record.get("response_done")
        exchange.finished = record.get("finished") if record.get("done") else None
        exchange.app_error = record.get("app_error") or exchange.app_error
        exchange.max_loop_gap_s = float(record.get("max_loop_gap_s") or 0.0)
        exchange.tasks = TaskLog([
            TaskEvent(t["name"], t["started"], t.get("ended"), t.get("error"),
                      [str(self.root / p) if not os.path.isabs(p) else p for p in t.get("inputs") or []])
            for t in record.get("tasks") or []
        ])
        snapshot = record.get("at_response")
        if snapshot is not None:
            exchange.at_response = {path: FileState(s[0], s[1], s[2]) for path, s in snapshot.items()}
        # The app's own answer, as the client received it. When the app sent nothing
        # (it raised), uvicorn answered 500 on its behalf: like the in-process driver,
        # that is "no response from the app".
        if record.get("status") is not None and received is not None:
            exchange.status = received.status_code
            exchange.headers = [(k, v) for k, v in received.headers.items()]
            exchange.body = received.content[:MAX_KEPT_BODY]
        if exchange.finished is None:
            exchange.finished = time.perf_counter()
