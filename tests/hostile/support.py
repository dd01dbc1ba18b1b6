"""What every hostile test checks: a valid report, in time, no process and no file left."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import psutil

from grader.behavior.sandbox import launcher
from grader.behavior.sandbox import supervisor as sandbox
from grader.pipeline import grade_path
from grader.scoring.rubric import Rubric, load_rubric

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"
RUBRIC_PATH = HERE / "hostile.toml"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "grader/reports/report.schema.json").read_text())
# Where a hostile submission would try to leave files (markers are checked by name).
WATCHED_DIRS = [Path(p) for p in ("/", "/tmp", "/var/tmp", "/dev/shm", "/root", "/etc")] + [
    HERE, HERE.parent, HERE.parents[1], SUBMISSIONS,
]
MARKER_NAMES = ("results.json", "report.json", "HOSTILE-report.json", "HOSTILE-escape.txt")


def hostile_rubric() -> Rubric:
    return load_rubric(str(RUBRIC_PATH))


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            digest.update(os.fsencode(path.relative_to(root)) + b"\0")
            digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def marker_files() -> set[str]:
    found = set()
    for folder in WATCHED_DIRS:
        for name in MARKER_NAMES:
            if (folder / name).exists():
                found.add(str(folder / name))
    return found


def sandbox_processes(grader_temp: Path) -> list[str]:
    """Processes a run could have left: anything under a fork server of ours, a fork
    server other than the shared one (fresh mode), a process of this grader's sandbox
    uids, or a process whose cwd is in the grader's temp dir."""
    server_pid = launcher._shared.pid if launcher._shared is not None else None
    left = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if "grader.behavior.sandbox.forkserver" not in " ".join(proc.cmdline()):
                continue
            if proc.pid != server_pid:
                left.append(f"{proc.pid} stray fork server")
            left.extend(f"{c.pid} {c.name()} {c.status()}" for c in proc.children(recursive=True))
        except psutil.Error:
            continue
    for proc in psutil.process_iter(["pid", "uids", "name"]):
        try:
            uid = proc.info["uids"].real if proc.info["uids"] else 0
            cwd = proc.cwd()
        except psutil.Error:
            continue
        # Only this grader process's uid range: other graders on the machine use their own.
        mine = sandbox._uids._base < uid <= sandbox._uids._base + 1000
        if mine or cwd.startswith(str(grader_temp)):
            left.append(f"{proc.pid} {proc.info['name']} uid={uid}")
    return sorted(set(left))


@dataclass
class Graded:
    report: dict[str, Any]
    elapsed: float

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check_id)

    @property
    def errors_text(self) -> str:
        return "\n".join(self.report["errors"])


def grade_hostile(path: Path, grader_temp: Path, rubric: Rubric | None = None, time_limit: float | None = None) -> Graded:
    """Grade one submission and assert the invariants every hostile test shares."""
    rubric = rubric or hostile_rubric()
    limit = time_limit if time_limit is not None else rubric.behavior.timeout + 15
    source_digest = tree_digest(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    markers_before = marker_files()
    started = time.monotonic()
    report = grade_path(path, rubric).to_dict()
    elapsed = time.monotonic() - started
    jsonschema.validate(report, SCHEMA)
    assert elapsed < limit, f"took {elapsed:.1f} s (limit {limit} s)"
    left = sandbox_processes(grader_temp)
    assert left == [], f"processes left behind: {left}"
    assert marker_files() - markers_before == set(), "files planted outside the sandbox"
    after = tree_digest(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    assert after == source_digest, "the submission itself was modified"
    assert list(grader_temp.iterdir()) == [], f"temp dirs left: {list(grader_temp.iterdir())}"
    return Graded(report, elapsed)


def use_private_tempdir(monkeypatch: Any, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder
