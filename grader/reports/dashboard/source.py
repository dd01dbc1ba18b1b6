"""The student's source files, read back for the per-student page.

Files are opened through :func:`grader.discovery.load_submission` (the same safe path the
grading took: symlinks skipped, zips extracted with their limits), and only the Python
files discovery lists are read, so a report's ``path`` can never point the dashboard at
a file outside the submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.discovery import load_submission
from grader.errors import GraderError

# A dashboard page stays small enough to open: long files are cut, with a note.
MAX_FILE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024


@dataclass
class SourceFiles:
    files: dict[str, str] = field(default_factory=dict)  # relative posix path -> text
    notes: list[str] = field(default_factory=list)


def find_submission(submissions_dir: Path, student: str) -> Path | None:
    """The folder, ``.py`` or ``.zip`` the batch graded as ``student``."""
    for candidate in (submissions_dir / student, submissions_dir / f"{student}.py", submissions_dir / f"{student}.zip"):
        if candidate.exists() and candidate.resolve().parent == submissions_dir.resolve():
            return candidate
    return None


def read_sources(submissions_dir: Path | None, student: str) -> SourceFiles:
    result = SourceFiles()
    if submissions_dir is None:
        result.notes.append("Source not shown: the dashboard was built without --submissions.")
        return result
    entry = find_submission(submissions_dir, student)
    if entry is None:
        result.notes.append(f"Source not shown: no folder, .py or .zip named {student!r} in the submissions folder.")
        return result
    try:
        with load_submission(entry, name=student) as submission:
            total = 0
            for path in submission.python_files:
                rel = submission.relpath(path)
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    result.notes.append(f"{rel}: cannot be read ({exc.strerror}).")
                    continue
                if total >= MAX_TOTAL_BYTES:
                    result.notes.append(f"{rel}: not shown (the page already holds {MAX_TOTAL_BYTES // 1024} KiB of source).")
                    continue
                if len(data) > MAX_FILE_BYTES:
                    result.notes.append(f"{rel}: cut after {MAX_FILE_BYTES // 1024} KiB.")
                    data = data[:MAX_FILE_BYTES]
                total += len(data)
                result.files[rel] = data.decode("utf-8", errors="replace")
    except GraderError as exc:
        result.notes.append(f"Source not shown: {exc.message}")
    return result
