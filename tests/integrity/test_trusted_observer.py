"""Attacks on the trusted observer: each submission tries to earn points it did not earn.

A point may only come from what the parent observed itself. Every test grades an attack
with the default rubric and asserts the score it deserves, plus what every hostile run
must hold (tests.hostile.support.grade_hostile): a valid report, in time, no process or
file left behind, the submission untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.reports.outputs import render_as
from grader.scoring.rubric import load_rubric, parse_rubric
from tests.hostile.support import grade_hostile

HERE = Path(__file__).resolve().parent / "submissions"
CORE = ("task-scheduled", "response-before-processing")


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(None)


@pytest.fixture(scope="module")
def short_rubric(rubric):
    """The default rubric with a 12 s run: for attacks that hold the run until its limit
    (the verdicts are the ones at 45 s, reached sooner)."""
    assert "timeout = 45 " in rubric.text
    return parse_rubric(rubric.text.replace("timeout = 45 ", "timeout = 12 ", 1))


def grade(name: str, grader_temp: Path, rubric) -> dict:
    return grade_hostile(HERE / name, grader_temp, rubric, time_limit=60).report


def statuses(report: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["checks"]}


def test_a_result_forged_into_the_result_pipe_counts_for_nothing(grader_temp, rubric):
    report = grade("forged_result", grader_temp, rubric)
    behavior = [c for c in report["checks"] if c["kind"] == "behavior"]
    assert not [c["id"] for c in behavior if c["status"] == "passed" and c["id"] not in ("app-loads",
                                                                                       "missing-file-rejected",
                                                                                       "upload-accepted",
                                                                                       "empty-upload-handled",
                                                                                       "loop-responsive")]
    assert report["score"] <= 40
    assert "forged" not in json.dumps(report["checks"])


def test_rewritten_bookkeeping_in_the_app_earns_nothing(grader_temp, rubric):
    report = grade("patched_bookkeeping", grader_temp, rubric)
    states = statuses(report)
    assert all(states[c] == "failed" for c in CORE)
    assert states["saved-file-intact"] == "failed"
    assert report["score"] <= 40


def test_frozen_clocks_in_the_app_do_not_hide_inline_processing(grader_temp, short_rubric):
    report = grade("clock_shift", grader_temp, short_rubric)
    states = statuses(report)
    assert states["response-before-processing"] == "failed"
    assert report["score"] <= 40


def test_copies_written_at_import_are_not_saves(grader_temp, rubric):
    report = grade("import_time_copies", grader_temp, rubric)
    assert statuses(report)["saved-file-intact"] == "failed"
    assert report["score"] <= 40


def test_inline_processing_then_a_trivial_task_fails_the_core(grader_temp, rubric):
    report = grade("inline_then_touch", grader_temp, rubric)
    states = statuses(report)
    assert states["response-before-processing"] == "failed"
    assert states["saved-file-intact"] == "passed"
    check = next(c for c in report["checks"] if c["id"] == "response-before-processing")
    assert check["details"]["timeline"]["output_before_response"], check
    assert report["score"] <= 40


def test_a_test_added_by_the_app_and_forged_points_are_ignored(grader_temp):
    rubric = load_rubric(str(HERE / "pytest_bonus" / "rubric.toml"))
    report = grade_hostile(HERE / "pytest_bonus", grader_temp, rubric, time_limit=60).report
    pytest_checks = [c for c in report["checks"] if c["kind"] == "pytest"]
    # The tests and their points are the instructor's, read by the parent.
    assert sorted(c["id"] for c in pytest_checks) == ["checks::test_answers_2xx", "checks::test_upload_is_saved"]
    assert [c["max_score"] for c in pytest_checks] == [3.0, 3.0]
    assert report["max_score"] == 10
    assert report["score"] <= report["max_score"]
    assert statuses(report)["saved-file-intact"] == "failed"


def test_fifos_and_symlinks_where_uploads_land_do_not_hang_or_leak(grader_temp, rubric):
    report = grade("fifo_and_symlink", grader_temp, rubric)
    assert statuses(report)["saved-file-intact"] == "failed"
    assert "root:" not in json.dumps(report)  # /etc/passwd was never read into the report


def test_undecodable_route_and_module_names_still_give_every_report_format(grader_temp, rubric):
    for name in ("surrogate_route", "odd_module_name"):
        report_dict = grade(name, grader_temp, rubric)
        text = json.dumps(report_dict, ensure_ascii=False)
        text.encode("utf-8")  # no lone surrogate left
        assert "\x1b" not in text
    from grader.pipeline import grade_path

    report = grade_path(HERE / "odd_module_name", rubric, run_behavior=False)
    for fmt in ("json", "text", "markdown", "gradescope", "junit", "sarif", "github"):
        render_as(report, fmt).encode("utf-8")


def test_a_response_sent_around_the_send_trap_proves_no_order(grader_temp, rubric):
    report = grade("bypass_send_trap", grader_temp, rubric)
    states = statuses(report)
    assert states["response-before-processing"] != "passed"
    assert report["score"] <= 60


def test_an_event_flood_proves_no_order(grader_temp, rubric):
    report = grade("inotify_flood", grader_temp, rubric)
    states = statuses(report)
    assert states["response-before-processing"] != "passed"
    assert report["score"] <= 40


def test_an_endless_answer_to_every_request_is_cut(grader_temp, short_rubric):
    report = grade("huge_info_answer", grader_temp, short_rubric)
    assert report["score"] <= 10
