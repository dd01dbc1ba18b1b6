"""Gradescope results.json against the published field list (Autograder Specifications)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from grader.pipeline import grade_path
from grader.reports import gradescope
from tests.reports.samples import BAD_MAIN, GOOD_MAIN, hostile_report, test_rubric

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
# https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format"): every
# key we may emit must be one of these, with these types.
PUBLISHED_FIELDS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "leaderboard": {"type": "array"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "number", "score", "max_score", "status", "output", "visibility"],
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": FORMAT,
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": FORMAT,
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": VISIBILITY,
                    "extra_data": {"type": "object"},
                },
            },
        },
    },
}


def _grade(tmp_path: Path, source: str) -> dict:
    (tmp_path / "main.py").write_text(source)
    report = grade_path(tmp_path, test_rubric(), run_behavior=False)
    data = json.loads(gradescope.render(report))
    jsonschema.validate(data, PUBLISHED_FIELDS)
    return data


def test_failing_submission_matches_the_published_fields_and_loses_the_points(tmp_path: Path):
    data = _grade(tmp_path, BAD_MAIN)
    bg001 = next(t for t in data["tests"] if t["name"].startswith("BG001"))
    assert bg001["status"] == "failed" and bg001["score"] == 0 and bg001["max_score"] == 10
    assert "main.py:11:5" in bg001["output"]
    assert data["score"] == sum(t["score"] for t in data["tests"]) == 0


def test_passing_static_check_earns_its_points_and_skipped_checks_say_why(tmp_path: Path):
    data = _grade(tmp_path, GOOD_MAIN)
    bg001 = next(t for t in data["tests"] if t["name"].startswith("BG001"))
    assert bg001["status"] == "passed" and bg001["score"] == 10
    skipped = [t for t in data["tests"] if not t["name"].startswith("BG001")]
    assert skipped and all(t["status"] == "failed" and t["score"] == 0 for t in skipped)
    assert all("Not run" in t["output"] for t in skipped)
    assert data["score"] == 10
    assert [t["number"] for t in data["tests"]] == ["1", "2", "3"]


def test_hostile_report_still_valid_and_error_checks_carry_their_details():
    data = json.loads(gradescope.render(hostile_report()))
    jsonschema.validate(data, PUBLISHED_FIELDS)
    errored = next(t for t in data["tests"] if t["name"].startswith("saved-file-intact"))
    assert errored["status"] == "failed" and "Could not be checked" in errored["output"]
    assert "got: " in errored["output"] and "sent: a.txt" in errored["output"]
    assert data["execution_time"] == 1
    assert "syntax error" in data["output"]


def test_the_schema_used_here_rejects_what_gradescope_would_reject():
    bad = json.loads(gradescope.render(hostile_report()))
    bad["tests"][0]["status"] = "skipped"
    try:
        jsonschema.validate(bad, PUBLISHED_FIELDS)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("status 'skipped' is not a Gradescope status and must be rejected")
