"""Every sample gets the same verdicts every time, graded 10 times over in one loaded batch
with another core kept busy (bench/flake_loop.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.behavior.observed import REPO


@pytest.mark.slow
def test_verdicts_are_stable_over_10_runs_under_load(tmp_path) -> None:
    out = tmp_path / "flake.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "flake_loop.py"), "--runs", "10", "--out", str(out)],
        capture_output=True, text=True, timeout=3600,
    )
    report = json.loads(out.read_text())
    unstable = [r["sample"] for r in report["results"] if not r["stable"]]
    assert not unstable, report
    assert proc.returncode == 0
    by_sample = {r["sample"]: r for r in report["results"]}
    assert by_sample["beh_blocking_task"]["not_passed"] == ["AS002", "UP001", "loop-responsive"]
    assert by_sample["good_sync_def"]["not_passed"] == []
