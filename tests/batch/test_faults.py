"""One submission's failure never stops the batch: it gets an error report, the rest are graded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.batch.runner import BatchOptions, run_batch
from tests.batch.classroom import make_class
from tests.batch.faults import die_on_crasher, hang_on_sloth, raise_on_boom
from tests.reports.samples import GOOD_MAIN, test_rubric


def _with(classroom: Path, name: str) -> None:
    (classroom / name).mkdir()
    (classroom / name / "main.py").write_text(GOOD_MAIN)


def test_a_worker_process_that_dies_gets_an_error_report_and_the_others_are_graded(tmp_path: Path):
    classroom = make_class(tmp_path / "class", 6)
    _with(classroom, "crasher")
    out = tmp_path / "out"
    result = run_batch(BatchOptions(classroom, out, test_rubric(tmp_path), jobs=2, run_behavior=False),
                       work=die_on_crasher)
    crashed = json.loads((out / "crasher.json").read_text())
    assert crashed["status"] == "error"
    assert "worker process died" in crashed["errors"][0]
    others = [json.loads((out / f"student{i:03d}.json").read_text()) for i in range(6)]
    assert all(r["status"] == "graded" for r in others)
    assert result.summary["stats"]["errors"] == 1 and result.summary["stats"]["graded"] == 6


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_an_exception_escaping_the_worker_becomes_an_error_report(tmp_path: Path, executor: str):
    classroom = make_class(tmp_path / "class", 3)
    _with(classroom, "boom")
    out = tmp_path / "out"
    run_batch(BatchOptions(classroom, out, test_rubric(tmp_path), jobs=2, run_behavior=False, executor=executor),
              work=raise_on_boom)
    boom = json.loads((out / "boom.json").read_text())
    assert boom["status"] == "error" and "RuntimeError: unexpected failure" in boom["errors"][0]
    assert json.loads((out / "student000.json").read_text())["status"] == "graded"


def test_grading_errors_inside_the_guard_are_reported_with_their_reason(tmp_path: Path):
    classroom = tmp_path / "class"
    classroom.mkdir()
    (classroom / "notes.txt").write_text("not a submission")
    (classroom / "broken.zip").write_bytes(b"PK\x03\x04 truncated")
    out = tmp_path / "out"
    result = run_batch(BatchOptions(classroom, out, test_rubric(tmp_path), jobs=1, run_behavior=False))
    assert not (out / "notes.json").exists()  # not a submission: skipped with a note, not a student "notes"
    assert [s["student"] for s in result.summary["students"]] == ["broken"]
    broken = json.loads((out / "broken.json").read_text())
    assert broken["status"] == "error" and broken["errors"]


def test_a_submission_stuck_past_the_deadline_is_stopped_and_the_rest_finish(tmp_path: Path):
    classroom = make_class(tmp_path / "class", 5)
    _with(classroom, "sloth")
    out = tmp_path / "out"
    result = run_batch(BatchOptions(classroom, out, test_rubric(tmp_path), jobs=2, run_behavior=False,
                                    submission_timeout=4), work=hang_on_sloth)
    sloth = json.loads((out / "sloth.json").read_text())
    assert sloth["status"] == "error" and "longer than 4 s" in sloth["errors"][0]
    assert all(json.loads((out / f"student{i:03d}.json").read_text())["status"] == "graded" for i in range(5))
    assert result.summary["stats"]["students"] == 6
