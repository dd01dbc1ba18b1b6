"""A submission: the student's files, found from a folder, a single ``.py`` or a ``.zip``."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import SubmissionError

# Folders that hold tools, not the student's code.
IGNORED_DIRS = frozenset(
    {
        "__pycache__",
        "venv",
        ".venv",
        "env",
        ".env",
        "site-packages",
        "node_modules",
        ".git",
        ".hg",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
    }
)
MAX_PY_FILES = 500


@dataclass
class Submission:
    """The student's code on disk: ``root`` is a folder we may read (never write)."""

    name: str
    root: Path
    origin: Path
    python_files: list[Path] = field(default_factory=list)
    # Set when the grader extracted an archive or copied a lone file into a temp dir.
    _tempdir: tempfile.TemporaryDirectory[str] | None = None

    def relpath(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def content_hash(self) -> str:
        """SHA-256 over every file's relative path and bytes (for batch resume)."""
        digest = hashlib.sha256()
        for path in sorted(iter_files(self.root)):
            digest.update(self.relpath(path).encode("utf-8", "surrogateescape") + b"\0")
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                digest.update(b"<unreadable>")
        return digest.hexdigest()

    def cleanup(self) -> None:
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> Submission:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def iter_files(root: Path) -> list[Path]:
    """Regular files under ``root``, skipping tool folders and symlinks."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if d not in IGNORED_DIRS and not d.startswith(".")
        )
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def find_python_files(root: Path) -> list[Path]:
    files = [p for p in iter_files(root) if p.suffix == ".py"]
    if len(files) > MAX_PY_FILES:
        raise SubmissionError(
            f"{root.name} holds {len(files)} Python files; the grader reads at most {MAX_PY_FILES}."
        )
    return files


def load_submission(path: str | os.PathLike[str], name: str | None = None) -> Submission:
    """Open a submission from a folder, a single ``.py`` file or a ``.zip`` archive.

    Raises :class:`SubmissionError` with a one-line message when the path cannot be graded.
    """
    origin = Path(path)
    if not origin.exists():
        raise SubmissionError(f"{origin}: no such file or folder.")
    student = name or (origin.stem if origin.is_file() else origin.resolve().name)
    if origin.is_dir():
        root = origin.resolve()
        return Submission(student, root, origin, find_python_files(root))
    if origin.suffix == ".py":
        tmp = tempfile.TemporaryDirectory(prefix="grader-single-")
        # A lone file is graded as if it were main.py in a folder of its own.
        target = Path(tmp.name) / ("main.py" if origin.name != "main.py" else origin.name)
        shutil.copyfile(origin, target)
        sub = Submission(student, Path(tmp.name), origin, [target])
        sub._tempdir = tmp
        return sub
    if origin.suffix == ".zip":
        from grader.discovery.archive import extract_zip

        tmp = tempfile.TemporaryDirectory(prefix="grader-zip-")
        try:
            root = extract_zip(origin, Path(tmp.name))
            sub = Submission(student, root, origin, find_python_files(root))
        except BaseException:
            tmp.cleanup()
            raise
        sub._tempdir = tmp
        return sub
    raise SubmissionError(
        f"{origin}: not a folder, a .py file or a .zip archive; cannot grade it."
    )
