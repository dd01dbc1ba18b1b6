"""Build a class of submissions in a temp dir from the small templates in tests/reports/samples."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from tests.reports.samples import BAD_MAIN, GOOD_MAIN


def make_class(root: Path, count: int, padding_modules: int = 0) -> Path:
    """``count`` folder submissions, alternating good/bad; ``padding_modules`` extra files each
    (more files = more static analysis work per submission, for the kill test's time window)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        sub = root / f"student{i:03d}"
        sub.mkdir()
        (sub / "main.py").write_text(GOOD_MAIN if i % 2 == 0 else BAD_MAIN)
        for j in range(padding_modules):
            (sub / f"helper{j}.py").write_text(GOOD_MAIN.replace("/upload", f"/upload{j}"))
    return root


def make_mixed_class(root: Path) -> Path:
    """One of every kind of entry a class folder really holds."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "alice").mkdir()
    (root / "alice" / "main.py").write_text(GOOD_MAIN)
    (root / "bob").mkdir()
    (root / "bob" / "main.py").write_text(BAD_MAIN)
    (root / "carol.py").write_text(GOOD_MAIN)
    with zipfile.ZipFile(root / "dave.zip", "w") as archive:
        archive.writestr("dave/main.py", BAD_MAIN)
    (root / "erin.zip").write_bytes(b"this is not a zip archive")
    (root / "frank").mkdir()  # nothing to grade
    (root / "summary").mkdir()  # a student whose id is one of the batch's own file names
    (root / "summary" / "main.py").write_text(GOOD_MAIN)
    (root / "=cmd").mkdir()  # spreadsheet formula injection attempt
    (root / "=cmd" / "main.py").write_text(GOOD_MAIN)
    (root / ".DS_Store").write_text("hidden: skipped")
    (root / ".git").mkdir()
    return root


def snapshot(out_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out_dir.iterdir() if p.is_file() and not p.name.startswith(".")}


def env_with_repo_on_path() -> dict[str, str]:
    env = dict(os.environ)
    repo = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env
