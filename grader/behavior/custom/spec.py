"""The rubric's pytest files, packed for the sandboxed child (trusted parent side).

The parent reads each file itself and passes its text in the job settings: the child may
run as another user, in a private /tmp, and must not need to reach the rubric's folder.
Import-light on purpose: the parent never imports pytest for this.
"""

from __future__ import annotations

from typing import Any

from grader.errors import RubricError
from grader.scoring.rubric import Rubric

MAX_SOURCE_BYTES = 512 * 1024


def pytest_files(rubric: Rubric) -> list[dict[str, Any]]:
    """``settings["pytest_files"]``: one entry per ``kind = "pytest"`` rubric check."""
    files: list[dict[str, Any]] = []
    base = rubric.source.parent if rubric.source else None
    for check in rubric.checks:
        if check.kind != "pytest" or check.path is None:
            continue
        try:
            data = check.path.read_bytes()
        except OSError as exc:
            raise RubricError(f"rubric {rubric.name}: check {check.id}: cannot read {check.path} ({exc.strerror}).") from None
        if len(data) > MAX_SOURCE_BYTES:
            raise RubricError(f"rubric {rubric.name}: check {check.id}: {check.path.name} is larger than 512 KiB.")
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RubricError(f"rubric {rubric.name}: check {check.id}: {check.path.name} is not UTF-8 text.") from None
        try:
            name = check.path.relative_to(base.resolve()).as_posix() if base else check.path.name
        except ValueError:
            name = check.path.name
        files.append({"id": check.id, "name": name, "source": source, "points": check.points, "title": check.title})
    return files
