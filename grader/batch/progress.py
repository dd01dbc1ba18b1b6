"""Batch progress on stderr: a live line on a terminal, one plain line per submission otherwise."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.running: dict[str, float] = {}  # student -> start (monotonic)
        self._last_draw = 0.0

    def started(self, student: str) -> None:
        self.running[student] = time.monotonic()
        self.draw()

    def skipped(self, count: int) -> None:
        if count:
            self.done += count
            self._line(f"{count} submission(s) unchanged since their report: skipped (--force regrades).")

    def finished(self, student: str, status: str, score: float, max_score: float, seconds: float) -> None:
        self.running.pop(student, None)
        self.done += 1
        outcome = f"{score:g}/{max_score:g}" if status == "graded" else "ERROR (see its report)"
        if self.live:
            self.draw(force=True)
        else:
            self._line(f"[{self.done}/{self.total}] {student}: {outcome} ({seconds:.1f}s)")

    def slowest(self) -> tuple[str, float] | None:
        if not self.running:
            return None
        student, start = min(self.running.items(), key=lambda item: item[1])
        return student, time.monotonic() - start

    def draw(self, force: bool = False) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        width = max(20, shutil.get_terminal_size((80, 20)).columns - 1)
        filled = int(20 * self.done / self.total) if self.total else 20
        line = f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total}"
        slow = self.slowest()
        if slow:
            line += f"  slowest running: {slow[0]} ({slow[1]:.1f}s)"
        self.stream.write("\r" + line[:width].ljust(width))
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self, text: str) -> None:
        if self.live:
            self.stream.write("\r" + " " * (shutil.get_terminal_size((80, 20)).columns - 1) + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()
        if self.live:
            self.draw(force=True)
