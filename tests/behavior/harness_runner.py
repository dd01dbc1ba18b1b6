"""Run the in-child harness on a temp copy of a submission, in a fresh interpreter.

Not the sandbox (helper D's runner): just enough isolation for tests, so student code
never runs in the pytest process. Layout: <tmp>/sandbox/work is the app's cwd, and
<tmp>/sandbox is watched for files escaping it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_submissions"


def run_on_folder(source: Path, settings: dict[str, Any] | None = None, timeout: float = 120) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="grader-beh-") as tmp:
        work = Path(tmp) / "sandbox" / "work"
        shutil.copytree(source, work)
        out = Path(tmp) / "result.json"
        proc = subprocess.run(
            [sys.executable, "-m", "grader.behavior.harness.run", str(work), str(out), json.dumps(settings or {})],
            capture_output=True, text=True, timeout=timeout, cwd=tmp,
        )
        if not out.exists():
            raise AssertionError(f"the harness wrote no result (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


def run_on_files(files: dict[str, str], settings: dict[str, Any] | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="grader-src-") as tmp:
        for rel, text in files.items():
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return run_on_folder(Path(tmp), settings)


def run_sample(name: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    return run_on_folder(SAMPLES / name, settings)


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {v["id"]: v["status"] for v in result["verdicts"]}


def verdict(result: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(v for v in result["verdicts"] if v["id"] == check_id)
