"""What one custom-check upload did: the response, its background tasks, the files on disk.

The object an instructor's ``upload(...)`` call returns (grader.behavior.custom.pytest_plugin).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.behavior.custom.workarea import FileState


@dataclass(frozen=True)
class TaskRun:
    """One background task the request ran; times in ms since the request started."""

    name: str
    started_ms: float
    ended_ms: float | None
    error: dict[str, str] | None  # {"type", "message", "where"} when it raised


@dataclass(repr=False)
class UploadResult:
    """What one upload did: the response, the tasks, and the files on disk around it.

    File maps are ``relative path -> size`` under the work area (the app's folder).
    """

    status: int | None
    body: bytes
    headers: dict[str, str]
    response_ms: float | None  # the response's last byte, since the request started
    finished_ms: float | None  # the app (and its background tasks) returned
    tasks: list[TaskRun]
    files_before: dict[str, int]
    files_at_response: dict[str, int]
    files_after: dict[str, int]
    saved_at_response: list[str]  # files holding exactly the uploaded bytes
    saved_after: list[str]
    written_by_tasks: list[str]  # created or rewritten after the response: the processing's output
    timed_out: bool = False
    app_error: dict[str, str] | None = None
    max_loop_stall_ms: float = 0.0
    _root: Path = field(default=Path("."), repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        """The response body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def task_errors(self) -> list[dict[str, str]]:
        return [t.error for t in self.tasks if t.error is not None]

    @property
    def new_at_response(self) -> list[str]:
        return sorted(p for p in self.files_at_response if p not in self.files_before)

    @property
    def new_after(self) -> list[str]:
        return sorted(p for p in self.files_after if p not in self.files_before)

    @property
    def response_before_tasks(self) -> bool:
        """The response was complete before any background task started."""
        if self.response_ms is None or not self.tasks:
            return False
        return all(t.started_ms >= self.response_ms for t in self.tasks)

    def read(self, path: str) -> bytes:
        """A file's bytes, by its path relative to the work area (never outside it)."""
        target = (self._root / path).resolve()
        if not target.is_relative_to(self._root):
            raise ValueError(f"{path!r} is outside the work area")
        return target.read_bytes()

    def __repr__(self) -> str:
        # Short: pytest prints it inside assertion explanations the student reads.
        return f"<upload: {self.summary()}>"

    def summary(self) -> str:
        """One line for assertion messages: what came back and what ran."""
        tasks = ", ".join(f"{t.name}{' raised ' + t.error['type'] if t.error else ''}" for t in self.tasks) or "none"
        return f"HTTP {self.status} {self.text[:200]!r}; tasks: {tasks}; new files after tasks: {self.new_after}"


def sizes_of(snapshot: dict[str, FileState]) -> dict[str, int]:
    return {path: state.size for path, state in snapshot.items()}


def changed_files(earlier: dict[str, FileState], later: dict[str, FileState]) -> list[str]:
    return sorted(
        path for path, state in later.items()
        if path not in earlier or (earlier[path].size, earlier[path].mtime_ns) != (state.size, state.mtime_ns)
    )


def copies_of(snapshot: dict[str, FileState], digest: str) -> list[str]:
    return sorted(path for path, state in snapshot.items() if state.sha256 == digest)
