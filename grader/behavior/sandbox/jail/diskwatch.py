"""The disk budget where no tmpfs can hold the run (the grader is not root): the parent
counts what the run's folders hold, a few times a second, and the run is stopped past
the budget. Allocated blocks are counted (a sparse file costs what it holds), and
entries too: a million empty files fill a disk's inodes. Best effort: a fast writer can
pass the budget by what it writes between two counts (``RLIMIT_FSIZE`` still caps each
file); the report names it ``disk-watch-<N>MiB``, not ``disk-budget``.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

MAX_ENTRIES = 100_000
# Counted every 50 ms while a count is cheap (a few files: tens of microseconds), less
# often as it gets dearer (at most ~5 % of a core on it).
MIN_INTERVAL_S = 0.05
MAX_INTERVAL_S = 0.5


class DiskWatch:
    def __init__(self, roots: list[Path], budget_bytes: int, max_entries: int = MAX_ENTRIES) -> None:
        self.roots = [str(r) for r in roots]
        self.budget = budget_bytes
        self.max_entries = max_entries
        self.next_check = 0.0
        self.peak_bytes = 0

    def due(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) >= self.next_check

    def over(self) -> str | None:
        """What the run passed (a sentence), or None; counts now."""
        started = time.monotonic()
        try:
            return self._count()
        finally:
            cost = time.monotonic() - started
            self.next_check = time.monotonic() + min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, cost * 20))

    def _count(self) -> str | None:
        used, entries = 0, 0
        stack = list(self.roots)
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    for entry in listing:
                        entries += 1
                        if entries > self.max_entries:
                            return f"more than {self.max_entries:,} files and folders"
                        try:
                            info = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        used += info.st_blocks * 512
                        if stat.S_ISDIR(info.st_mode):
                            stack.append(entry.path)
            except OSError:
                continue
            if used > self.budget:
                break
        self.peak_bytes = max(self.peak_bytes, used)
        if used > self.budget:
            return f"more than {self.budget // (1024 * 1024)} MiB on disk"
        return None
