"""Batch progress on stderr.

On a terminal: one live line (bar, count, rate, ETA, the longest-running submission).
Otherwise (a CI log, a file): a plain line every ``PLAIN_EVERY`` seconds. Either way a
submission that could not be graded gets a line of its own. ``level``: -1 (``-q``) prints
only those, 1 (``-v``) a line for every submission.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

import click

from grader.reports.feedback import printable

PLAIN_EVERY = 10.0  # seconds between plain progress lines


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, live: bool | None = None, level: int = 0,
                 color: bool = False) -> None:
        self.total = total
        self.done = 0
        self.graded = 0  # done in this run (not reused): the rate and ETA count these
        self.stream = stream or sys.stderr
        self.live = (self.stream.isatty() if live is None else live) and level >= 0
        self.level = level
        self.color = color
        self.running: dict[str, float] = {}  # student -> start (monotonic)
        self.started_at = time.monotonic()
        self._last_draw = 0.0
        self._last_plain = self.started_at

    def note(self, message: str) -> None:
        if self.level >= 0:
            self._line(f"grader: note: {message}")

    def started(self, student: str) -> None:
        self.running[student] = time.monotonic()
        self.draw()

    def skipped(self, count: int) -> None:
        if count:
            self.done += count
            if self.level >= 0:
                self._line(f"{count} submission(s) unchanged since their report: reused (--force regrades).")

    def finished(self, student: str, status: str, score: float, max_score: float, seconds: float) -> None:
        self.running.pop(student, None)
        self.done += 1
        self.graded += 1
        if status == "error" or self.level > 0:
            outcome = f"{score:g}/{max_score:g}" if status == "graded" else f"{status.upper()} (see its report)"
            if status == "error" and self.color:
                outcome = click.style(outcome, fg="red", bold=True)
            self._line(f"[{self.done}/{self.total}] {printable(student)}: {outcome} ({seconds:.1f}s)")
        elif self.live:
            self.draw(force=True)
        elif self.level >= 0 and (time.monotonic() - self._last_plain >= PLAIN_EVERY or self.done == self.total):
            self._last_plain = time.monotonic()
            self._line(self.status_text())

    def eta(self) -> float | None:
        if not self.graded:
            return None
        elapsed = time.monotonic() - self.started_at
        return elapsed / self.graded * (self.total - self.done)

    def status_text(self) -> str:
        elapsed = time.monotonic() - self.started_at
        text = f"{self.done}/{self.total} done, {duration(elapsed)} elapsed"
        eta = self.eta()
        if eta is not None and self.done < self.total:
            text += f", about {duration(eta)} left"
        return text

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
        line = f"[{'#' * filled}{'.' * (20 - filled)}] {self.status_text()}"
        slow = self.slowest()
        if slow:
            line += f"; slowest running: {printable(slow[0])} ({slow[1]:.0f}s)"
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
