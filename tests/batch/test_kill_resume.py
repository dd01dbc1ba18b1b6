"""kill -9 halfway through a 60-submission batch, then a rerun: nothing lost, nothing rewritten."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.batch.classroom import make_class, snapshot
from tests.reports.samples import RUBRIC_TEXT

GRADER = [sys.executable, "-m", "grader"]


def _reports(out: Path) -> dict[str, bytes]:
    return {n: b for n, b in snapshot(out).items() if n.startswith("student") and n.endswith(".json")}


def _live_members(session_id: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getsid(process.pid) == session_id and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (OSError, psutil.Error):
            continue
    return members


def test_kill_9_midway_then_rerun_keeps_written_reports_and_completes_the_class(tmp_path: Path):
    classroom = make_class(tmp_path / "class", 60)
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(RUBRIC_TEXT)
    out = tmp_path / "out"
    command = [*GRADER, "batch", str(classroom), "--out", str(out), "--rubric", str(rubric),
               "--static-only", "--jobs", "2"]
    # A session of its own, so the cleanup below can reach the workers this test started.
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_reports(out) if out.exists() else {}) < 10:
            if proc.poll() is not None:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # the batch process itself, like `kill -9 PID`
        proc.wait(timeout=10)
        # Its worker processes notice and exit by themselves: no orphan keeps running.
        deadline = time.monotonic() + 15
        while _live_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _live_members(proc.pid) == []
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # leftover workers of this test's session
        except ProcessLookupError:
            pass
    # Only the batch process writes, so nothing changes after its death.
    before = _reports(out)
    assert 0 < len(before) < 60, f"the kill must land midway, {len(before)} reports were written"
    assert not (out / "summary.json").exists()
    for name, data in before.items():
        json.loads(data)  # atomic writes: every report present is complete

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    after = _reports(out)
    assert len(after) == 60
    assert {n: after[n] for n in before} == before  # same bytes: reused, not regraded
    assert f"Graded {60 - len(before)}, reused {len(before)}" in rerun.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stats"]["students"] == 60 and summary["stats"]["graded"] == 60
    assert not list(out.glob(".*.tmp"))
    print(f"killed after {len(before)} of 60 reports; rerun graded {60 - len(before)}")
