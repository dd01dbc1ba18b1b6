"""``grader lint``: one submission, or each submission of a class folder on its own.

Linting a class as one program would hide findings: a rule that looks for something
missing from the whole program (BG006: no background work) is satisfied by another
student's code. So a class folder (``grader.discovery.classfolder``) is linted one
submission at a time; the paths shown start with the submission's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError


@dataclass(frozen=True)
class LintTarget:
    path: Path  # the submission: a folder, a .py or a .zip
    shown: str  # the prefix of the paths shown for its files


def lint_targets(path: Path, note: Callable[[str], None]) -> list[LintTarget]:
    from grader.discovery.classfolder import is_class_folder, read_class_folder

    if not path.exists():
        raise GraderError(f"{path}: no such file or folder.")
    if not is_class_folder(path):
        return [LintTarget(path, path.as_posix())]
    folder = read_class_folder(path)
    if folder.skipped_note():
        note(folder.skipped_note() + ".")
    note(f"{path} is a class folder: linting its {len(folder.submissions)} submissions one by one.")
    return [LintTarget(entry, entry.as_posix()) for entry in folder.submissions]


def _shown(target: LintTarget, file_path: str) -> str:
    """A finding's path as the user can open it: the .py itself, or the file in the folder/archive."""
    if target.path.is_file() and target.path.suffix == ".py":
        return target.shown
    return f"{target.shown}/{file_path}"


def run_lint(targets: list[LintTarget]) -> tuple[list[dict[str, Any]], list[str]]:
    """Findings (as JSON objects with the shown path) and error lines of every target."""
    from grader.discovery import load_submission
    from grader.static.engine import lint_paths

    findings: list[dict[str, Any]] = []
    errors: list[str] = []
    alone = len(targets) == 1
    for target in targets:
        try:
            with load_submission(target.path) as submission:
                if not submission.python_files:
                    raise GraderError(f"{target.path}: no Python files to lint.")
                # jobs=0: many files are linted in one worker process per CPU (same output)
                result = lint_paths(submission.root, submission.python_files, jobs=0)
        except GraderError as exc:
            if alone:
                raise
            errors.append(exc.message)
            continue
        errors.extend(f"{target.shown}: {error}" if not alone else error for error in result.errors)
        findings.extend({**f.to_dict(), "path": _shown(target, f.path)} for f in result.findings)
    return findings, errors
