"""A single ``grader grade`` prestarts a lean warm fork server (its imports overlap the
rubric's loading and the lint): it must grade like a fresh interpreter and cost nothing
when unused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.behavior.sandbox.launcher import ForkServer
from grader.errors import GraderError
from grader.pipeline import grade_submission
from grader.discovery import load_submission
from grader.scoring.rubric import load_rubric
from tests.batch.test_speedups_identical import comparable

SAMPLE = Path(__file__).resolve().parents[2] / "sample_submissions" / "save_then_process"


def test_an_unused_prestarted_server_is_killed_not_awaited() -> None:
    server = ForkServer(preload=True, lean=True)
    server.prestart()
    proc = server._proc
    assert proc is not None and proc.poll() is None
    server.stop()
    assert proc.returncode == -9  # killed during its preload, not left to finish it


def _grade_cli(env_extra: dict[str, str]) -> dict:
    env = {**os.environ, **env_extra}
    env.pop("GRADER_SANDBOX", None) if "GRADER_SANDBOX" not in env_extra else None
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(SAMPLE), "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_grade_with_the_prestarted_server_matches_a_fresh_interpreter() -> None:
    warm = _grade_cli({})
    fresh = _grade_cli({"GRADER_SANDBOX": "fresh"})
    assert warm["run"]["timings"]["sandbox_mode"] == "forkserver"
    assert fresh["run"]["timings"]["sandbox_mode"] == "fresh"
    assert comparable(json.dumps(warm)) == comparable(json.dumps(fresh))


def test_an_error_in_the_behavior_run_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.behavior.runner as runner

    def broken(*_args: object, **_kwargs: object) -> None:
        raise GraderError("the sandbox broke")

    monkeypatch.setattr(runner, "run_behavior", broken)
    with load_submission(SAMPLE) as submission, pytest.raises(GraderError, match="the sandbox broke"):
        grade_submission(submission, load_rubric(None))


def test_a_lint_crash_waits_for_the_behavior_run_before_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import grader.behavior.runner as runner
    import grader.pipeline as pipeline

    finished = threading.Event()

    def slow_run(*_args: object, **_kwargs: object) -> None:
        finished.wait(0.2)
        finished.set()

    def crashing_lint(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("lint broke")

    monkeypatch.setattr(runner, "run_behavior", slow_run)
    monkeypatch.setattr(pipeline, "lint_paths", crashing_lint)
    with load_submission(SAMPLE) as submission, pytest.raises(RuntimeError, match="lint broke"):
        grade_submission(submission, load_rubric(None))
    assert finished.is_set()  # the run ended before the submission's folder could go
