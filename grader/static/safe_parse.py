"""Parse untrusted source with libcst where a native crash cannot take this process down.

libcst's parser is native code that recurses once per nesting level, on the stack of the
thread that calls it: measured with libcst 1.9 on an 8 MiB stack, ``"(" * 1276`` (1.3 KB)
or 1,228 unclosed ``[`` overflow it and the whole process dies with SIGSEGV, taking every
other file's findings with it (a ``grader lint`` of a class, a batch worker). The worst
shapes cost about 6.8 KiB of stack per byte of source (``[`` and ``(`` without their
closing brackets); ``a and a and ...``, ``not not ...`` or ``import a.b.b...`` cost less
per byte but are accepted by Python itself, so Python's own parser cannot screen them.

So, three layers, cheapest first:

1. Python's parser (already run by the size guard) refuses nesting it cannot compile
   (``too many nested parentheses``, ``RecursionError``): that file is reported as nested
   too deeply without libcst ever seeing it (``size_guard.NestedTooDeeply``).
2. libcst parses on one long-lived thread with a 256 MiB stack (reserved, not used: only
   the pages a parse touches are committed), so a file of up to ``IN_THREAD_LIMIT`` bytes
   cannot overflow it even in the worst shape (8 KiB x 6.8 KiB = 54 MiB). The thread is
   replaced after a file large enough to have touched much of its stack.
3. A larger file is first parsed in a forked child with the same stack, its address space
   capped (some shapes make libcst's memory grow with the square of their length) and a
   timeout: if the child dies, the file is reported as "nested too deeply to analyse (the
   parser crashed)"; if it lives, the parse here is the same parse and cannot crash either.

Measured: a file of the samples parses in the same time on the parser thread as on the
caller's (2.81 against 2.85 ms median); the fork costs ~5 ms, paid only by files over
8 KiB.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

import libcst as cst

from grader.static.size_guard import (
    NestedTooDeeply,
    SourceTooLarge,
    check_size,
    too_large_message,
)

PARSE_STACK = 256 << 20
WORST_STACK_PER_BYTE = 7 << 10  # measured 6.8 KiB per byte of unclosed brackets
IN_THREAD_LIMIT = 8 << 10  # x WORST_STACK_PER_BYTE = 56 MiB: a fifth of the parse stack
RETIRE_AFTER = 4 << 10  # a larger file may have touched up to 28 MiB: start a fresh thread
CHILD_TIMEOUT = 30.0  # seconds for a trial parse (a 5 MB literal parses in well under 1 s)
CHILD_MEMORY = 1 << 30  # bytes a trial parse may add to the address space it inherits


class ParserCrashed(ValueError):
    """libcst's native parser crashed (in an isolated child) on this source."""


@dataclass
class _Request:
    source: bytes | str
    done: threading.Event
    result: Any = None
    error: BaseException | None = None


class _ParserThread:
    """The thread with the big stack, and the queue that feeds it."""

    def __init__(self) -> None:
        self.requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self.thread = _start_with_stack(self._serve, "libcst-parser")
        self.pid = os.getpid()

    def _serve(self) -> None:
        while True:
            request = self.requests.get()
            if request is None:
                return
            try:
                request.result = cst.parse_module(request.source)
            except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread
                request.error = exc
            except BaseException as exc:  # noqa: BLE001 - a panic of the native parser (pyo3)
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    request.error = exc
                else:
                    request.error = ParserCrashed(f"the parser failed ({type(exc).__name__})")
            request.done.set()

    def parse(self, source: bytes | str) -> cst.Module:
        request = _Request(source, threading.Event())
        self.requests.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.result

    def retire(self) -> None:
        self.requests.put(None)


_lock = threading.Lock()
_parser: _ParserThread | None = None


def _start_with_stack(target: Any, name: str) -> threading.Thread:
    # threading.stack_size applies to threads started after it, process-wide: restore it
    # at once (a thread another caller starts meanwhile only gets a larger reservation).
    previous = threading.stack_size(PARSE_STACK)
    try:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    return thread


def _parse_on_thread(source: bytes | str) -> cst.Module:
    global _parser
    with _lock:
        if _parser is None or _parser.pid != os.getpid() or not _parser.thread.is_alive():
            _parser = _ParserThread()
        parser = _parser
        if len(source) > RETIRE_AFTER:
            _parser = None  # the next parse starts a fresh thread; this one ends after it
    try:
        return parser.parse(source)
    finally:
        if parser is not _parser:
            parser.retire()


def stop_parser_thread() -> None:
    """End the parser thread (a new one starts on the next parse): call before forking
    workers, so the process forks with no thread of ours running."""
    global _parser
    with _lock:
        parser, _parser = _parser, None
    if parser is not None and parser.pid == os.getpid():
        parser.retire()
        parser.thread.join(timeout=5)


def _forget_parser_after_fork() -> None:
    global _parser, _lock
    _parser = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parser_after_fork)


def parse_module(source: bytes | str) -> cst.Module:
    """``check_size(source)`` then ``libcst.parse_module(source)``, on the big-stack thread.

    A source over ``IN_THREAD_LIMIT`` bytes goes through both in a forked child first, with
    its memory and time capped (Python's own parser is also quadratic on some shapes: 50,000
    ``.b`` components take it 2.7 GB). What the child could not finish is raised here from
    its verdict, without running it again in this process; what it finished is bounded and
    runs again here. Raises what ``check_size`` and libcst raise, and
    :class:`ParserCrashed` when the child dies or runs out of time."""
    if len(source) > IN_THREAD_LIMIT and hasattr(os, "fork"):
        _trial_in_child(source)
    check_size(source)
    return _parse_on_thread(source)


# What a trial child found, as its exit status (its message goes through a pipe).
_PARSED, _FAILED, _TOO_LARGE, _NESTED = 0, 1, 3, 4


def _trial(source: bytes | str) -> tuple[int, str]:
    try:
        check_size(source)
        _parse_on_thread(source)
    except SourceTooLarge as exc:
        return _TOO_LARGE, str(exc)
    except NestedTooDeeply as exc:
        return _NESTED, str(exc)
    except MemoryError:
        return _TOO_LARGE, too_large_message(f"parsing it needs more than {CHILD_MEMORY >> 30} GiB of memory")
    except BaseException:  # noqa: BLE001 - a syntax error: the parent parses again to report it
        return _FAILED, ""
    return _PARSED, ""


def _limit_memory() -> None:
    """Cap this (child) process's address space: some shapes make libcst's memory grow with
    the square of the source (``import a.b.b.b...``: 40 KB took 480 MB, 400 KB over 20 GB),
    and the machine's other processes must not pay for that."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = size + CHILD_MEMORY
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # no /proc or no rlimits here: the timeout still bounds the trial


def _trial_in_child(source: bytes | str) -> None:
    """Size-check and parse ``source`` in a forked child; raise what it could not finish."""
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads may deadlock the child:
        # this child only starts one thread of its own, parses and exits.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's outcome is its exit status
        code = _FAILED
        try:
            os.close(reader)
            _limit_memory()
            code, message = _trial(source)
            os.write(writer, message.encode("utf-8", "replace")[:4096])
        finally:
            os._exit(code)
    os.close(writer)
    try:
        status = _wait(pid)
        message = os.read(reader, 4096).decode("utf-8", "replace")
    finally:
        os.close(reader)
    if os.WIFSIGNALED(status):
        raise ParserCrashed("the parser crashed")
    code = os.WEXITSTATUS(status)
    if code == _TOO_LARGE:
        raise SourceTooLarge(message)
    if code == _NESTED:
        raise NestedTooDeeply(message)


def _wait(pid: int) -> int:
    deadline = time.monotonic() + CHILD_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise ParserCrashed(f"the parser did not finish in {CHILD_TIMEOUT:g} s")
        time.sleep(0.002)
