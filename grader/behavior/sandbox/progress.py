"""Phase progress, reported by the child as it goes so the parent knows the last phase.

The sandboxed child installs a sink; the harness (or the hooks in ``worker``) call
``report_phase``. Outside a sandbox the sink is unset and reporting costs nothing.

Phases: ``import`` (finding and importing the app), ``startup`` (lifespan),
``endpoint`` (a request is inside the app), ``task`` (a background task runs),
``harness`` (the grader's own work between requests), ``done``.
"""

from __future__ import annotations

import threading
from typing import Callable

PHASES = ("import", "startup", "endpoint", "task", "harness", "done")

_sink: Callable[[str], None] | None = None
_lock = threading.Lock()
_last: str | None = None


def install_sink(sink: Callable[[str], None] | None) -> None:
    global _sink, _last
    _sink, _last = sink, None


def report_phase(phase: str) -> None:
    """Tell the parent the child entered ``phase`` (repeats are sent once)."""
    global _last
    sink = _sink
    if sink is None or phase == _last:
        return
    with _lock:
        if phase == _last:
            return
        _last = phase
        try:
            sink(phase)
        except OSError:
            pass  # the parent is gone or gave up; nothing to report to
