"""The submissions of a class: each entry of SUBMISSIONS_DIR, named by its student id."""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader import __version__
from grader.discovery.classfolder import read_class_folder
from grader.discovery.submission import Submission
from grader.errors import GraderError
from grader.reports.outputs import SUFFIXES
from grader.scoring.rubric import Rubric

# Output names of the batch itself: a student with such an id gets ``<id>.student.json``.
RESERVED_STEMS = frozenset({"summary", "grades", "index"})
_FORMAT_STEMS = tuple(s[: -len(".json")] for s in SUFFIXES.values() if s.endswith(".json") and s != ".json")


@dataclass(frozen=True)
class BatchEntry:
    student: str
    path: Path

    @property
    def stem(self) -> str:
        """File stem of this student's reports in OUT_DIR (``<stem>.json``, ``<stem>.junit.xml``)."""
        lowered = self.student.lower()
        if lowered in RESERVED_STEMS or lowered.startswith("summary.") or lowered.startswith("grades.") \
                or lowered.endswith(_FORMAT_STEMS):
            return f"{self.student}.student"
        return self.student

    def report_path(self, out_dir: Path, fmt: str = "json") -> Path:
        return out_dir / f"{self.stem}{SUFFIXES[fmt]}"


def discover_entries(submissions_dir: Path, exclude: tuple[Path, ...] = (),
                     note: Callable[[str], None] = lambda _m: None) -> list[BatchEntry]:
    """Every submission of the class folder, sorted by student id (``grader.discovery.classfolder``).

    The id is the folder name or the file stem; when two entries share a stem
    (``alice/`` and ``alice.zip``) both keep their full names so neither report is lost.
    Entries that are not submissions are skipped and ``note`` says which; a folder with no
    submission at all is an error.
    """
    if not submissions_dir.is_dir():
        raise GraderError(f"{submissions_dir}: not a folder of submissions.")
    folder = read_class_folder(submissions_dir, exclude)
    skipped = folder.skipped_note()
    if not folder.submissions:
        raise GraderError(f"{submissions_dir}: no submissions (a submission is a folder, a .zip or a .py)"
                          + (f"; {skipped}." if skipped else "."))
    if skipped:
        note(skipped + ".")
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for path in folder.submissions:
        by_stem[path.name if path.is_dir() else path.stem].append(path)
    entries: list[BatchEntry] = []
    for stem, group in by_stem.items():
        for path in group:
            entries.append(BatchEntry(stem if len(group) == 1 else path.name, path))
    return sorted(entries, key=lambda e: e.student)


def entry_fingerprint(path: Path) -> str:
    """SHA-256 of the entry as it lies on disk: a folder's files, or a file's bytes."""
    if path.is_dir():
        return Submission(path.name, path.resolve(), path).content_hash()
    digest = hashlib.sha256(b"file\0")
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        digest.update(f"<unreadable: {exc.strerror}>".encode())
    return digest.hexdigest()


def content_hash(path: Path, rubric: Rubric, run_behavior: bool) -> str:
    """What a stored report must match to be reused: files, rubric text, grader, mode."""
    key = {
        "submission": entry_fingerprint(path),
        "rubric": hashlib.sha256(rubric.text.encode("utf-8")).hexdigest(),
        "grader_version": __version__,
        "behavior": run_behavior,
        # How the behavior run drives the app (in-process ASGI or a real uvicorn server):
        # a report graded one way is not reused for the other.
        "server": (os.environ.get("GRADER_SERVER") or "inprocess") if run_behavior else None,
        # The rubric's pytest files are part of the rubric: editing one regrades.
        "pytest_files": [_file_digest(c.path) for c in rubric.checks if c.kind == "pytest" and c.path],
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"<unreadable: {exc.strerror}>"
