"""Record every Starlette background task: when it started, ended, and what it raised.

FastAPI's ``BackgroundTasks`` runs each task through
``starlette.background.BackgroundTask.__call__``, after the response's last body message
was sent. Wrapping that one method (at class level, restored afterwards) tells the grader
the order of events without changing what the tasks do: an exception is recorded and
re-raised, so later tasks are skipped exactly as they would be in production.
"""

from __future__ import annotations

import contextvars
import os
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.background import BackgroundTask


@dataclass
class TaskEvent:
    name: str
    started: float
    ended: float | None = None
    error: dict[str, str] | None = None
    # Paths the task was given (str / PathLike arguments): its input files.
    inputs: list[str] = field(default_factory=list)

    def to_dict(self, origin: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "started_ms": round((self.started - origin) * 1000, 2),
            "ended_ms": None if self.ended is None else round((self.ended - origin) * 1000, 2),
            "error": self.error,
        }


@dataclass
class TaskLog:
    """The tasks one request ran (bound to the request through a context variable)."""

    events: list[TaskEvent] = field(default_factory=list)


class TaskExited(Exception):
    """A task called sys.exit(): recorded as a failure instead of stopping the grader."""


_current_log: contextvars.ContextVar[TaskLog | None] = contextvars.ContextVar("grader_task_log", default=None)


def bind(log: TaskLog) -> None:
    """Attribute the tasks run in the current asyncio task (one request) to ``log``."""
    _current_log.set(log)


def _task_name(task: BackgroundTask) -> str:
    func = task.func
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)


def _path_arguments(task: BackgroundTask) -> list[str]:
    paths = []
    for value in [*task.args, *task.kwargs.values()]:
        if isinstance(value, os.PathLike) or (isinstance(value, str) and 0 < len(value) < 4096):
            paths.append(os.path.abspath(os.fspath(value)))
    return paths


def describe_exception(exc: BaseException, student_root: str) -> dict[str, str]:
    """Type, message and the innermost frame of the student's own code."""
    where = ""
    root = os.path.abspath(student_root) + os.sep
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = os.path.abspath(frame.f_code.co_filename)
        if filename.startswith(root):
            where = f"{filename[len(root):]}:{lineno}"
    message = str(exc)
    if len(message) > 500:
        message = message[:500] + "..."
    return {"type": type(exc).__name__, "message": message, "where": where}


@contextmanager
def recording_tasks(student_root: str) -> Iterator[None]:
    original = BackgroundTask.__call__

    async def recorded_call(self: BackgroundTask) -> None:
        log = _current_log.get()
        if log is None:
            await original(self)
            return
        event = TaskEvent(_task_name(self), time.perf_counter(), inputs=_path_arguments(self))
        log.events.append(event)
        try:
            await original(self)
        except SystemExit as exc:
            event.ended = time.perf_counter()
            event.error = describe_exception(exc, student_root)
            event.error["message"] = f"the task called sys.exit({exc.code!r})"
            raise TaskExited(event.error["message"]) from None
        except BaseException as exc:
            event.ended = time.perf_counter()
            event.error = describe_exception(exc, student_root)
            raise
        event.ended = time.perf_counter()

    BackgroundTask.__call__ = recorded_call  # type: ignore[method-assign]
    try:
        yield
    finally:
        BackgroundTask.__call__ = original  # type: ignore[method-assign]
