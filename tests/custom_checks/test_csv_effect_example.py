"""rubrics/examples/csv-summary: a CSV fixture and a declared processing effect, checked by
the parent on the app's output (the checker runs in its own process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.behavior.checks.effect import run_checker
from grader.errors import RubricError
from grader.pipeline import grade_path
from grader.scoring.rubric import load_rubric, parse_rubric

EXAMPLE = Path(__file__).resolve().parents[2] / "rubrics" / "examples" / "csv-summary"
CHECKER = f"{EXAMPLE / 'checks' / 'effect.py'}:check_summary"
CSV = b"id,region,product,quantity,unit_price\nT-1,north,widget,3,2.50\nT-2,south,gadget,1,10.00\n"

# sample -> (failed checks, score out of 100)
EXPECTED = {
    "good": (set(), 100),
    "inline": ({"task-scheduled", "response-before-processing"}, 30),
    "wrong_total": ({"processing-effect"}, 30),
    "no_output": ({"processing-effect"}, 30),
}


@pytest.fixture(scope="module")
def reports():
    rubric = load_rubric(str(EXAMPLE / "rubric.toml"))
    return {name: grade_path(EXAMPLE / "samples" / name, rubric) for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_samples_pass_and_fail_the_declared_effect(reports, name):
    failed, score = EXPECTED[name]
    report = reports[name]
    assert {c.id for c in report.checks if c.status == "failed"} == failed
    assert report.score == score


def test_the_checker_binds_the_output_to_this_upload():
    right = b'{"rows": 2, "total": 17.5, "first_id": "T-1"}'
    assert run_checker(CHECKER, CSV, right, "T") is None
    assert "first_id" in run_checker(CHECKER, CSV, right.replace(b"T-1", b"X-1"), "T")
    assert "total" in run_checker(CHECKER, CSV, right.replace(b"17.5", b"4"), "T")
    assert run_checker(CHECKER, CSV, b"\xff not json", "T") == "the summary is not JSON"


def test_a_checker_that_hangs_is_cut(tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ndef check(upload, output, tag):\n    time.sleep(60)\n")
    assert "did not finish" in run_checker(f"{slow}:check", b"", b"", "t")


@pytest.mark.parametrize(("behavior", "message"), [
    ('fixture = "nope.csv"', "no file 'nope.csv'"),
    ('fixture = "../etc/passwd"', "must be a file name"),
    ('[behavior.effect]\nchecker = "missing.py:f"', "is not a function in a file"),
    ('[behavior.effect]\noutput = "*.json"\nchecker = "x"', "must be \"file.py:function\""),
    ('[behavior.effect]\nwhat = 1\nchecker = "a.py:f"', "unknown key behavior.effect.what"),
])
def test_bad_fixture_and_effect_keys_are_one_line_errors(tmp_path, behavior, message):
    text = f'title = "t"\n[behavior]\n{behavior}\n[[checks]]\nid = "app-loads"\npoints = 1\n'
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, tmp_path / "r.toml")
    assert message in str(caught.value) and "\n" not in str(caught.value)
