"""The parent's side of one run: hand the job to the fork server, then watch it.

The parent enforces the wall-clock limit, drains stdout/stderr into bounded buffers,
reads results only from the dedicated pipe, counts the run's disk use where no tmpfs
caps it (``jail.diskwatch``), and returns once the server confirmed that every process
of the run is gone. Everything the child sends is bounded (``channel``, ``MAX_PHASES``).
"""

from __future__ import annotations

import os
import selectors
import time
from typing import TYPE_CHECKING, Any

from grader.behavior.sandbox import launcher
from grader.behavior.sandbox.channel import MessageReader
from grader.behavior.sandbox.jail.diskwatch import DiskWatch
from grader.behavior.sandbox.output import HeadTailBuffer

if TYPE_CHECKING:
    from grader.behavior.sandbox.supervisor import SandboxResult

KILL_CONFIRM_S = 15.0
MAX_PHASES = 256
MAX_TEXT = 200


def supervise(mode: str, job: dict[str, Any], passed: list[int], timeout: float,
              watch: DiskWatch | None) -> SandboxResult:
    result_r, result_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    server = launcher.shared_server() if mode == "forkserver" else launcher.ForkServer(preload=False)
    try:
        handle = server.submit(job, result_w, out_w, err_w, passed)
        # The student's time starts with its run: a fork server still importing FastAPI
        # (the first run of a grader, a loaded machine) is the grader's time, not the app's.
        started = time.monotonic()
    except BaseException:
        for fd in (result_r, out_r, err_r):
            os.close(fd)
        raise
    finally:
        for fd in (result_w, out_w, err_w):
            os.close(fd)
    try:
        res = _watch(handle, job["nonce"], result_r, out_r, err_r, timeout, started, watch)
    finally:
        handle.close()
        for fd in (result_r, out_r, err_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if mode != "forkserver":
            server.stop()
    res.mode = mode
    return res


def _watch(handle: launcher.JobHandle, nonce: str, result_r: int, out_r: int, err_r: int,
           timeout: float, started: float, watch: DiskWatch | None) -> SandboxResult:
    from grader.behavior.sandbox.supervisor import SandboxResult

    res = SandboxResult()
    reader = MessageReader(nonce)
    buffers = {out_r: HeadTailBuffer(), err_r: HeadTailBuffer()}
    selector = selectors.DefaultSelector()
    for fd in (result_r, out_r, err_r):
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    selector.register(handle.sock, selectors.EVENT_READ)
    deadline = started + timeout
    hard_stop: float | None = None
    open_fds = {result_r, out_r, err_r}
    while True:
        now = time.monotonic()
        if not res.timed_out and res.result is None and now >= deadline and handle.exit is None:
            res.timed_out = True
            handle.kill()
        if watch is not None and handle.exit is None and res.disk_exceeded is None and watch.due(now):
            res.disk_exceeded = watch.over()
            if res.disk_exceeded is not None:
                handle.kill()
                hard_stop = now + KILL_CONFIRM_S
        if (res.result is not None or res.event is not None or res.refused) and handle.exit is None and hard_stop is None:
            # The child said its last word; whatever still runs (threads, forks) goes.
            handle.kill()
            hard_stop = now + KILL_CONFIRM_S
        if res.timed_out and hard_stop is None:
            hard_stop = now + KILL_CONFIRM_S
        if handle.exit is not None and not open_fds:
            break
        if hard_stop is not None and now > hard_stop:
            break
        wait = max(0.0, min(deadline, hard_stop or deadline) - now) if not res.timed_out else 0.1
        if watch is not None:
            wait = min(wait, max(0.0, watch.next_check - now))
        for key, _ in selector.select(min(wait, 0.5) if handle.exit is None else 0.2):
            if key.fileobj is handle.sock:
                if handle.read_event() is None:
                    selector.unregister(handle.sock)
                continue
            fd = key.fd
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not data:
                selector.unregister(fd)
                open_fds.discard(fd)
                continue
            if fd == result_r:
                for message in reader.feed(data):
                    _take(res, message)
            else:
                buffers[fd].write(data)
        if handle.exit is not None and open_fds and hard_stop is None:
            hard_stop = time.monotonic() + 2.0  # a pipe held by nothing we know: stop waiting
    selector.close()
    if handle.exit is None:
        handle.wait_exit(KILL_CONFIRM_S)
    res.exit = dict(handle.exit or {})
    res.stdout = buffers[out_r].summary()
    res.stderr = buffers[err_r].summary()
    res.channel_corrupt = reader.corrupt
    res.channel_problem = reader.problem
    res.elapsed_s = round(time.monotonic() - started, 3)
    return res


def _text(value: Any) -> str:
    return str(value)[:MAX_TEXT]


def _take(res: SandboxResult, message: dict[str, Any]) -> None:
    kind = message.get("t")
    if kind == "phase":
        if len(res.phases) >= MAX_PHASES:
            del res.phases[: MAX_PHASES // 2]  # only the latest phases matter (the timeout's words)
        res.phases.append(_text(message.get("phase")))
    elif kind == "refused" and not res.protections and res.refused is None:
        # Sent instead of the protections, by the run's outer process, before any student code.
        res.refused = str(message.get("reason"))[:2000]
    elif kind == "protections" and not res.protections:
        # Sent once, before any student code ran: later copies are not the grader's.
        res.protections = [_text(p) for p in message.get("protections", [])][:64]
        missing = message.get("missing")
        if isinstance(missing, dict):
            res.missing = {_text(k): str(v)[:1000] for k, v in list(missing.items())[:64]}
        res.child_workdir = str(message.get("workdir", ""))[:4096]
        setup = message.get("setup_ms")
        if isinstance(setup, dict):
            res.setup_ms.update({_text(k): float(v) for k, v in list(setup.items())[:32]
                                 if isinstance(v, (int, float))})
    elif kind == "result" and res.result is None and res.event is None:
        data = message.get("data")
        res.result = data if isinstance(data, dict) else {"verdicts": [], "errors": ["the harness returned no result"], "run": {}}
    elif kind in ("exit", "memory", "crash") and res.event is None and res.result is None:
        res.event = {k: v for k, v in message.items() if k != "nonce"}
