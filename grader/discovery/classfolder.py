"""A class folder: one submission per entry, and the files that are not submissions.

A submission is a folder, a ``.zip`` or a ``.py`` file; its name (without the suffix) is
the student id. Anything else (``README.txt``, ``grades.csv``, a spreadsheet) is skipped
with a note, and so are hidden entries (``.DS_Store``, ``.git``), editor and OS debris
(``~$x.docx``, ``__MACOSX``, ``__pycache__``) and the batch's own output folder when it
lies inside the class folder.

``grader lint`` and ``grader batch`` share this. ``lint`` must also tell a class folder from
one submission whose code spans several files or folders: a folder is a class when two
or more of its entries each hold their own FastAPI app (archives count: only students
hand them in) and every ``.py`` directly in it does (single-file submissions). A project
has one app; its ``tests`` folder is not counted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from grader.discovery.submission import IGNORED_DIRS, iter_files

SUBMISSION_SUFFIXES = (".zip", ".py")
_DEBRIS = frozenset({"__MACOSX", "__pycache__", "Thumbs.db", "desktop.ini"})
_NOT_STUDENTS = frozenset({"test", "tests", "docs", "scripts"})  # a project's folders, not student ids
_APP_MARK = b"FastAPI("
_SCAN_FILES = 200  # per entry, when looking for an app
_SCAN_BYTES = 1 << 20


@dataclass
class ClassFolder:
    root: Path
    submissions: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # not submissions: shown to the user, never graded

    def skipped_note(self) -> str | None:
        if not self.skipped:
            return None
        names = ", ".join(p.name for p in self.skipped[:5]) + (f" and {len(self.skipped) - 5} more"
                                                              if len(self.skipped) > 5 else "")
        return (f"skipped {len(self.skipped)} entr{'y' if len(self.skipped) == 1 else 'ies'} of {self.root} "
                f"that {'is' if len(self.skipped) == 1 else 'are'} not a submission (a folder, a .zip or a .py): {names}")


def _is_submission(path: Path) -> bool:
    if path.is_symlink():
        return False
    if path.is_dir():
        return path.name not in IGNORED_DIRS
    return path.is_file() and path.suffix.lower() in SUBMISSION_SUFFIXES


def read_class_folder(root: Path, exclude: tuple[Path, ...] = ()) -> ClassFolder:
    """Sort the entries of ``root`` into submissions and skipped files (hidden ones are not mentioned)."""
    excluded = {p.resolve() for p in exclude}
    folder = ClassFolder(root)
    for path in sorted(root.iterdir()):
        if path.name.startswith((".", "~")) or path.name in _DEBRIS or path.resolve() in excluded:
            continue
        (folder.submissions if _is_submission(path) else folder.skipped).append(path)
    return folder


def _holds_an_app(entry: Path) -> bool:
    if entry.suffix.lower() == ".zip":
        return True
    files = [entry] if entry.is_file() else [p for p in iter_files(entry) if p.suffix == ".py"][:_SCAN_FILES]
    for path in files:
        try:
            with path.open("rb") as handle:
                if _APP_MARK in handle.read(_SCAN_BYTES):
                    return True
        except OSError:
            continue
    return False


def is_class_folder(path: Path) -> bool:
    """Several submissions side by side (see the module docstring), not one project."""
    if not path.is_dir():
        return False
    entries = [p for p in read_class_folder(path).submissions
               if os.access(p, os.R_OK) and p.name.lower() not in _NOT_STUDENTS]
    with_app = [entry for entry in entries if _holds_an_app(entry)]
    modules = [entry for entry in entries if entry.is_file() and entry.suffix == ".py"]
    return len(with_app) >= 2 and all(module in with_app for module in modules)
