"""Measure how long the event loop stalls while the student's code runs on it.

The grader shares the event loop with the app. A heartbeat coroutine sleeps a few
milliseconds at a time; the gap between two wake-ups, minus the sleep and minus the time
the grader itself spent in synchronous work (disk snapshots), is a stall the app caused:
a ``time.sleep`` or a blocking read inside ``async def`` code.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

TICK_S = 0.005


@dataclass
class Window:
    """One measured interval (an upload and its tasks)."""

    max_gap_s: float = 0.0


class LoopMonitor:
    def __init__(self) -> None:
        self._busy_s = 0.0
        self._last_tick = time.perf_counter()
        self._busy_at_last_tick = 0.0
        self._open: dict[int, Window] = {}
        self._task: asyncio.Task[None] | None = None

    def add_busy(self, seconds: float) -> None:
        """The grader blocked the loop itself for ``seconds``: not the student's stall."""
        self._busy_s += seconds

    def _current_gap(self, now: float) -> float:
        gap = now - self._last_tick - (self._busy_s - self._busy_at_last_tick) - TICK_S
        return max(gap, 0.0)

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = self._current_gap(now)
        for window in self._open.values():
            window.max_gap_s = max(window.max_gap_s, gap)
        self._last_tick = now
        self._busy_at_last_tick = self._busy_s

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self._tick()

    def start(self) -> None:
        self._last_tick = time.perf_counter()
        self._busy_at_last_tick = self._busy_s
        self._task = asyncio.get_running_loop().create_task(self._beat())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def open_window(self) -> Window:
        window = Window()
        self._open[id(window)] = window
        return window

    def close_window(self, window: Window) -> float:
        """Close ``window`` and return its largest stall in seconds.

        The stall that ends right before the window closes has not been seen by a tick
        yet, so it is measured here too.
        """
        window.max_gap_s = max(window.max_gap_s, self._current_gap(time.perf_counter()))
        self._open.pop(id(window), None)
        return window.max_gap_s
