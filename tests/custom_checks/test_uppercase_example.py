"""The worked example (rubrics/examples/uppercase) graded end to end, through the sandbox."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.pipeline import grade_path
from grader.reports.json_report import schema
from grader.reports.outputs import render_as
from grader.scoring.rubric import load_rubric

EXAMPLE = Path(__file__).resolve().parents[2] / "rubrics" / "examples" / "uppercase"
CUSTOM = ("uppercase::test_processed_file_is_uppercased", "uppercase::test_uppercasing_runs_after_the_response",
          "uppercase::test_original_upload_is_kept")
# Measured verdicts of the three custom tests, and the whole score out of 30.
EXPECTED = {
    "good": (("passed", "passed", "passed"), 30),
    # Inline: the built-in task-scheduled and response-before-processing fail too.
    "inline": (("passed", "failed", "passed"), 16),
    "wrong_case": (("failed", "failed", "passed"), 21),
    "task_crashes": (("failed", "failed", "passed"), 21),
}


@pytest.fixture(scope="module")
def reports():
    rubric = load_rubric(str(EXAMPLE / "rubric.toml"))
    return {name: grade_path(EXAMPLE / "samples" / name, rubric) for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_custom_test_is_its_own_check_and_the_points_add_up(reports, name):
    report = reports[name]
    assert report.errors == []
    by_id = {c.id: c for c in report.checks}
    statuses, total = EXPECTED[name]
    assert tuple(by_id[c].status for c in CUSTOM) == statuses
    assert [by_id[c].max_score for c in CUSTOM] == [6, 3, 1]
    assert sum(by_id[c].max_score for c in CUSTOM) == 10  # the rubric entry's points
    assert report.max_score == 30
    assert report.score == total
    assert report.score == sum(c.score for c in report.checks)
    assert all(by_id[c].kind == "pytest" for c in CUSTOM)


def test_failed_custom_check_feedback_tells_what_to_change(reports):
    check = next(c for c in reports["inline"].checks if c.id == CUSTOM[1])
    assert check.title == "The upper-cased file is written by the background task, after the response was sent."
    assert "move the upper-casing into the function you pass to background_tasks.add_task" in check.feedback


def test_custom_checks_appear_in_every_report_format(reports):
    report = reports["wrong_case"]
    jsonschema.validate(report.to_dict(), schema())
    gradescope = json.loads(render_as(report, "gradescope"))
    names = " ".join(t["name"] for t in gradescope["tests"])
    junit = ET.fromstring(render_as(report, "junit"))
    cases = {case.get("name") for case in junit.iter("testcase")}
    text = render_as(report, "text")
    for check_id in CUSTOM:
        assert check_id in names
        assert any(check_id in case for case in cases)
        assert check_id in text


def test_a_bug_in_the_rubric_file_is_reported_as_a_rubric_error(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "test_broken.py").write_text(
        "def test_typo(uplaod):\n    '''misspelled fixture'''\n\ndef test_fine(upload):\n"
        "    '''fine'''\n    assert upload(b'x').status == 200\n"
    )
    (tmp_path / "rubric.toml").write_text(
        'title = "t"\n[[checks]]\nid = "app-loads"\npoints = 1\n'
        '[[checks]]\nid = "mine"\nkind = "pytest"\npath = "checks/test_broken.py"\npoints = 4\n'
    )
    report = grade_path(EXAMPLE / "samples" / "good", load_rubric(str(tmp_path / "rubric.toml")))
    by_id = {c.id: c for c in report.checks}
    assert by_id["mine::test_typo"].status == "error"
    assert by_id["mine::test_fine"].status == "passed"
    assert report.errors == ["rubric error in checks/test_broken.py: test_typo: fixture 'uplaod' not found"]
    assert report.max_score == 5 and report.score == 3


def test_batch_over_the_samples_has_one_column_per_custom_test(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(EXAMPLE / "samples"), "--out", str(out),
                                       "--rubric", str(EXAMPLE / "rubric.toml"), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert {s["student"]: s["score"] for s in summary["students"]} == {n: t for n, (_, t) in EXPECTED.items()}
    header = (out / "grades.csv").read_text().splitlines()[0]
    for check_id in CUSTOM:
        assert check_id in header
