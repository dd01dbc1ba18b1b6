"""The grader installed under /tmp (a CI checkout, a venv in /tmp) still runs the app.

Regression: the private /tmp of the sandbox hid an installation living under /tmp, and the
re-exposure covered /tmp itself with a tmpfs, so every app 'exited with status 70'.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_grading_works_when_the_grader_lives_under_tmp():
    with tempfile.TemporaryDirectory(prefix="grader-install-", dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)  # as a git checkout would be
        shutil.copytree(ROOT / "grader", Path(tmp) / "grader", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "fixtures", Path(tmp) / "grader" / "_fixtures")  # where the wheel puts them
        env = {**os.environ, "PYTHONPATH": tmp, "GRADER_SANDBOX": "forkserver"}
        proc = subprocess.run(
            [sys.executable, "-m", "grader", "grade", str(ROOT / "sample_submissions" / "save_then_process"),
             "--rubric", str(ROOT / "rubrics" / "background-file-processing.toml"), "--format", "json"],
            capture_output=True, text=True, cwd=tmp, env=env, timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["app-loads"] == "passed", report["errors"]
    assert statuses["saved-file-intact"] == "passed"
    if os.geteuid() == 0:
        assert "unprivileged-user" in report["run"]["protections"]
