"""Measure how long the event loop stalls while the student's code runs on it (advisory).

Runs in the student's process, so what it says can only take a pass away (the parent's
own probes decide the pass). The grader shares the event loop with the app. The loop is responsive while it keeps
coming back to its selector to look for new I/O; a stall is the time between leaving
the selector and entering it again (one pass over the ready callbacks: a ``time.sleep``
or a blocking read inside ``async def`` code runs within it), minus the time the grader
itself held the loop (a send waiting for the parent's send trap).

How it is measured: the loop's selector ``select`` is wrapped, so each loop iteration
is timed exactly and an idle loop costs nothing. A heartbeat coroutine (sleep a few
milliseconds, measure the gap between wake-ups) is the fallback for a loop without a
selector object (uvloop): it finds the same stalls within ``TICK_S``, but it wakes the
loop 200 times a second: 8-11 ms of CPU per second on a loaded 2-core VM, 31 ms idle
(bench: the children of a batch live about a second each).

What neither sees the same way: the loop thread waiting for the GIL while a student's
C extension holds it in another thread is inside ``select`` here (not counted), but
delays the heartbeat (counted).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

TICK_S = 0.005
# Time the loop's thread spent waiting for a CPU (a busy machine, not the app) is not a
# stall: the kernel's run-queue delay of the thread is read at most this often...
SCHED_EVERY_S = 0.002
# ...and subtracted from gaps longer than this (shorter ones cannot reach a limit).
SCHED_MIN_GAP_S = 0.05


@dataclass
class Window:
    """One measured interval (an upload and its tasks)."""

    max_gap_s: float = 0.0


class LoopMonitor:
    def __init__(self) -> None:
        self._busy_s = 0.0
        self._busy_queued_s = 0.0
        self._last_tick = time.perf_counter()
        self._busy_at_last_tick = 0.0
        self._busy_queued_at_last_tick = 0.0
        self._open: dict[int, Window] = {}
        self._task: asyncio.Task[None] | None = None
        self._selector: Any = None
        self._sched_fd: int | None = None
        self._delay_at_last_tick = 0.0
        self._sched_read_at = float("-inf")

    @property
    def running(self) -> bool:
        return self._task is not None or self._selector is not None

    def add_busy(self, seconds: float, queued_s: float = 0.0) -> None:
        """The grader blocked the loop itself for ``seconds``: not the student's stall.

        ``queued_s``: the part of it the thread spent on a run queue (a held send ends with
        a wake-up, and on a busy machine the thread then waits for a CPU). That part is
        already in ``seconds``; it must not be subtracted a second time as run-queue delay:
        it was, and under load a 0.3 s ``time.sleep`` in a task measured 218 ms."""
        self._busy_s += seconds
        self._busy_queued_s += queued_s

    @contextmanager
    def grader_time(self) -> Iterator[None]:
        """The grader holds the loop for the block (a held send, its own look at the disk):
        its time is added with :meth:`add_busy`, with the run-queue wait inside it."""
        begun, queued = time.perf_counter(), self.run_delay()
        try:
            yield
        finally:
            after = self.run_delay()
            self.add_busy(time.perf_counter() - begun,
                          max(0.0, after - queued) if after is not None and queued is not None else 0.0)

    def run_delay(self) -> float | None:
        """Seconds the loop's thread has waited on a run queue (schedstat), or None."""
        if self._sched_fd is None:
            return None
        try:
            return int(os.pread(self._sched_fd, 128, 0).split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def _current_gap(self, now: float) -> float:
        # The heartbeat's own sleep is not a stall; timed iterations have none.
        expected = TICK_S if self._task is not None else 0.0
        gap = now - self._last_tick - (self._busy_s - self._busy_at_last_tick) - expected
        if gap > SCHED_MIN_GAP_S and (delay := self.run_delay()) is not None:
            queued_in_busy = self._busy_queued_s - self._busy_queued_at_last_tick
            gap -= max(0.0, delay - self._delay_at_last_tick - queued_in_busy)
            self._delay_baseline(delay, now)
        return max(gap, 0.0)

    def _delay_baseline(self, delay: float, now: float) -> None:
        """The run-queue delay (and the part of it in held time) later gaps are measured from."""
        self._delay_at_last_tick, self._sched_read_at = delay, now
        self._busy_queued_at_last_tick = self._busy_queued_s

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = self._current_gap(now)
        for window in self._open.values():
            window.max_gap_s = max(window.max_gap_s, gap)
        self._reset(now)

    def _reset(self, now: float) -> None:
        self._last_tick = now
        self._busy_at_last_tick = self._busy_s
        if now - self._sched_read_at >= SCHED_EVERY_S and (delay := self.run_delay()) is not None:
            # Read at most every SCHED_EVERY_S: a gap may then lose up to that much of the
            # waiting before it started, never count waiting as a stall.
            self._delay_baseline(delay, now)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self._tick()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:  # this thread's own file: the loop runs here
            self._sched_fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self._sched_fd = None
        self._reset(time.perf_counter())
        selector = getattr(loop, "_selector", None)
        if selector is not None and callable(getattr(selector, "select", None)):
            self._selector = selector
            selector.select = self._timed_select(selector.select)  # an instance attribute: stop() removes it
            return
        self._task = loop.create_task(self._beat())

    def _timed_select(self, select: Callable[..., Any]) -> Callable[..., Any]:
        def timed_select(timeout: float | None = None) -> Any:
            self._tick()  # the iteration since the last select ends here
            try:
                return select(timeout)
            finally:
                self._reset(time.perf_counter())

        return timed_select

    def stop(self) -> None:
        if self._sched_fd is not None:
            os.close(self._sched_fd)
            self._sched_fd = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._selector is not None:
            try:
                del self._selector.select
            except AttributeError:
                pass
            self._selector = None

    def open_window(self) -> Window:
        window = Window()
        self._open[id(window)] = window
        return window

    def close_window(self, window: Window) -> float:
        """Close ``window`` and return its largest stall in seconds.

        The stall that ends right before the window closes (in the same loop iteration)
        has not been seen by a tick yet, so it is measured here too.
        """
        window.max_gap_s = max(window.max_gap_s, self._current_gap(time.perf_counter()))
        self._open.pop(id(window), None)
        return window.max_gap_s
