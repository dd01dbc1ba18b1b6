"""The student's app, live, for the instructor's pytest checks (runs in the sandboxed child).

One event loop holds the app's lifespan open for the whole pytest session (a single
long-lived task, so lifespans using task groups work); each ``upload()`` or client
request runs on that loop through the same ASGI driver as the built-in checks, so the
timings and the disk snapshots mean exactly what they mean there.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from grader.behavior.student import task_recorder
from grader.behavior.custom.asgi_driver import AsgiDriver, Exchange, lifespan
from grader.behavior.student.loop_monitor import LoopMonitor
from grader.behavior.student.task_recorder import describe_exception
from grader.behavior.custom.upload_result import TaskRun, UploadResult, changed_files, copies_of, sizes_of
from grader.behavior.custom.workarea import WorkArea, sha256_of

DEFAULT_TIMEOUT_S = 10.0
STARTUP_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 1 << 20


class StudentAppError(Exception):
    """The student's app failed (startup, hang): the test fails, it is no rubric error."""


class StudentTimeout(StudentAppError):
    """The student's code held the process past the test's time limit."""


class _Interrupt(BaseException):
    """Raised by the alarm inside whatever code runs: a BaseException, so the app's own
    ``except Exception`` (Starlette's 500 handler) cannot swallow it."""


class AppSession:
    """The live app for one pytest session. ``start()`` before the tests, ``close()`` after."""

    def __init__(self, app: Any, workdir: str | Path, upload_path: str | None, upload_field: str | None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, deadline: float | None = None) -> None:
        self.app = app
        self.deadline = deadline  # time.perf_counter() instant: no request runs past it
        self.area = WorkArea(workdir)
        self.upload_path = upload_path
        self.upload_field = upload_field
        self.timeout_s = timeout_s
        self.loop = asyncio.new_event_loop()
        self.monitor = LoopMonitor()
        self.state: dict[str, Any] = {}
        self.broken: str | None = None  # why the app can no longer be driven
        self._stack = ExitStack()
        self._stop: asyncio.Event | None = None
        self._holder: asyncio.Task[None] | None = None
        self._driver: AsgiDriver | None = None
        self._count = 0

    @property
    def root(self) -> Path:
        return self.area.root

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._stack.enter_context(task_recorder.recording_tasks(str(self.area.root)))
        self._run(self._start(), STARTUP_TIMEOUT_S, "the app's startup")

    async def _start(self) -> None:
        self.monitor.start()
        ready = asyncio.Event()
        self._stop = asyncio.Event()
        stop = self._stop

        async def hold() -> None:
            async with lifespan(self.app) as state:
                self.state = state
                ready.set()
                await stop.wait()

        self._holder = asyncio.get_running_loop().create_task(hold())
        waiter = asyncio.get_running_loop().create_task(ready.wait())
        await asyncio.wait({self._holder, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if self._holder.done() and not ready.is_set():
            waiter.cancel()
            exc = self._holder.exception()
            error = describe_exception(exc, str(self.area.root)) if exc else {"type": "?", "message": "", "where": ""}
            raise StudentAppError(f"the app's startup (lifespan) raised {error['type']}: {error['message']}")
        self._driver = AsgiDriver(self.app, self.area, self.monitor, self.state)

    def close(self) -> None:
        try:
            if self._stop is not None and self.broken is None:
                self._stop.set()
                if self._holder is not None:
                    self._run(asyncio.wait({self._holder}, timeout=STARTUP_TIMEOUT_S), STARTUP_TIMEOUT_S + 1, "shutdown")
            self.monitor.stop()
            if self.broken is None:
                self._run(self._cancel_leftovers(), 2.0, "shutdown")
        except StudentAppError:
            pass
        finally:
            self._stack.close()
            if not self.loop.is_closed() and not self.loop.is_running():
                self.loop.close()

    @staticmethod
    async def _cancel_leftovers() -> None:
        """Requests that timed out (and the heartbeat) still hold tasks: end them quietly."""
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)

    def budget(self, asked: float | None) -> float:
        """Seconds one request may take: what the test asked, within the run's deadline."""
        seconds = float(asked or self.timeout_s)
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left < 0.2:
                raise StudentTimeout("the behavior run's time limit ran out before this request")
            seconds = min(seconds, left)
        return seconds

    # ------------------------------------------------------------------ driving
    def _run(self, coro: Any, seconds: float, what: str) -> Any:
        """Run ``coro`` on the app's loop; a stall past ``seconds`` (a blocked loop) raises."""
        if self.broken:
            coro.close()
            raise StudentAppError(self.broken)
        limit = seconds + 1.0
        fired: list[bool] = []
        try:
            with _alarm(limit, fired):
                value = self.loop.run_until_complete(coro)
        except _Interrupt:
            fired.append(True)
        if not fired:
            return value
        # The loop was interrupted mid-step: it cannot be trusted with more requests.
        self.broken = f"an earlier request blocked the app for more than {limit:g} s"
        raise StudentTimeout(f"{what} blocked the process for more than {limit:g} s "
                             "(a blocking call such as time.sleep in async code?)")

    def upload(
        self,
        content: bytes | str = b"hello grader\n",
        filename: str = "upload.txt",
        content_type: str = "text/plain",
        *,
        path: str | None = None,
        field: str | None = None,
        data: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> UploadResult:
        """POST ``content`` as a multipart upload to the upload route (or ``path``)."""
        payload = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        route, form_field = path or self.upload_path, field or self.upload_field
        if not route or not form_field:
            raise StudentAppError("the app has no upload route (a POST route with an UploadFile parameter)")
        budget = self.budget(timeout)
        sizes = frozenset({len(payload)})
        digest = sha256_of(payload)
        before = self.area.snapshot(sizes)
        self._count += 1
        assert self._driver is not None, "session not started"
        exchange: Exchange = self._run(
            self._driver.post(
                f"custom-{self._count}", route, budget,
                files={form_field: (filename, payload, content_type)}, data=data,
                filename=filename, sha256=digest, probe_sizes=sizes,
            ),
            budget, f"POST {route}",
        )
        after = self.area.snapshot(sizes)
        at_response = exchange.at_response if exchange.at_response is not None else {}
        return UploadResult(
            status=exchange.status,
            body=exchange.body,
            headers=dict(exchange.headers),
            response_ms=exchange.ms(exchange.response_done),
            finished_ms=exchange.ms(exchange.finished),
            tasks=[
                TaskRun(e.name, round((e.started - exchange.started) * 1000, 2),
                        None if e.ended is None else round((e.ended - exchange.started) * 1000, 2), e.error)
                for e in exchange.tasks.events
            ],
            files_before=sizes_of(before),
            files_at_response=sizes_of(at_response),
            files_after=sizes_of(after),
            saved_at_response=copies_of(at_response, digest),
            saved_after=copies_of(after, digest),
            written_by_tasks=changed_files(at_response, after),
            timed_out=exchange.timed_out,
            app_error=exchange.app_error,
            max_loop_stall_ms=round(exchange.max_loop_gap_s * 1000, 1),
            _root=self.area.root,
        )

    def request(self, method: str, path: str, timeout: float | None = None, **kwargs: Any) -> httpx.Response:
        """Any request (httpx's keyword arguments: params, json, data, files, headers).

        Returns after the app and its background tasks finished, like TestClient.
        """
        request = httpx.Request(method.upper(), "http://testserver" + path, **kwargs)
        budget = self.budget(timeout)
        return self._run(self._call(request, budget), budget, f"{method.upper()} {path}")

    async def _call(self, request: httpx.Request, budget: float) -> httpx.Response:
        body = request.read()
        sent = False
        status, headers, chunks = 500, [], []
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message.get("status", 500))
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                if sum(map(len, chunks)) < MAX_RESPONSE_BYTES:
                    chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    done.set()

        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": request.method, "scheme": "http", "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0], "query_string": request.url.query,
            "root_path": "", "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
            "state": dict(self.state), "extensions": {},
        }
        runner = asyncio.get_running_loop().create_task(self.app(scope, receive, send))
        finished, _ = await asyncio.wait({runner}, timeout=budget)
        done.set()
        if not finished:
            runner.cancel()
            raise StudentAppError(f"{request.method} {request.url.path} got no answer within {budget:g} s")
        exc = runner.exception()
        if exc is not None and not chunks:
            error = describe_exception(exc, str(self.area.root))
            raise StudentAppError(f"{request.method} {request.url.path}: the app raised {error['type']}: {error['message']}")
        return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)


class Client:
    """``client.get("/status/1")``: the app's other routes, for custom checks."""

    def __init__(self, session: AppSession) -> None:
        self._session = session

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._session.request(method, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


@contextmanager
def _alarm(seconds: float, fired: list[bool]) -> Iterator[None]:
    """Interrupt student code that blocks the whole process (``time.sleep`` in async code).

    An asyncio timeout cannot fire while the loop itself is blocked; a SIGALRM can, in
    the main thread. ``fired`` records that it did, even when the student's code caught
    the interruption. Elsewhere (a thread) no alarm is set and the sandbox's wall limit
    remains the backstop.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(True)
        raise _Interrupt()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
