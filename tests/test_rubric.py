"""Rubric loading: the bundled rubric is valid; every bad rubric is one clear line naming the key."""

from __future__ import annotations

import pytest

from grader.errors import RubricError
from grader.scoring.rubric import load_rubric, parse_rubric


def test_default_rubric_loads_and_weights_core_checks_most():
    rubric = load_rubric(None)
    points = {c.id: c.points for c in rubric.checks}
    core = min(points["response-before-processing"], points["saved-file-intact"])
    others = [p for cid, p in points.items() if cid not in {"response-before-processing", "saved-file-intact"}]
    assert core > max(others)
    assert rubric.max_score > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title = "x"\n[[checks]]\nid = "BG001"\npoints = 1\n[', "invalid TOML"),
        ('title = "x"\n[[checks]]\nid = "NOPE"\npoints = 1\n', "unknown check id 'NOPE'"),
        ('title = "x"\n[[checks]]\nid = "BG001"\npoints = -3\n', "points must not be negative"),
        ('title = "x"\n[[checks]]\nid = "BG001"\npoints = "ten"\n', "points must be a number"),
        ('title = "x"\n[[checks]]\nid = "BG001"\npoints = 1\nbogus = 2\n', "unknown key checks[0].bogus"),
        ('title = "x"\nchecks = []\n', "'checks' must be a non-empty array"),
        ('[[checks]]\nid = "BG001"\npoints = 1\n', "'title' must be a non-empty string"),
        ('title = "x"\n[behavior]\ntimeout = 0\n[[checks]]\nid = "BG001"\npoints = 1\n', "behavior.timeout must be a positive number"),
        ('title = "x"\n[behavior]\napp = "main"\n[[checks]]\nid = "BG001"\npoints = 1\n', "behavior.app must look like"),
        ('title = "x"\n[[checks]]\nid = "BG001"\npoints = 1\n[[checks]]\nid = "BG001"\npoints = 2\n', "appears twice"),
        ('title = "x"\n[[checks]]\nid = "grp"\ncodes = ["ZZ999"]\npoints = 1\n', "unknown rule code 'ZZ999'"),
        ('title = "x"\n[[checks]]\nid = "t"\nkind = "pytest"\npath = "missing.py"\npoints = 1\n', "does not exist"),
    ],
)
def test_bad_rubric_is_one_line_naming_the_problem(text, expected):
    with pytest.raises(RubricError) as info:
        parse_rubric(text)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_grouped_static_check_and_inform_mode():
    rubric = parse_rubric('title = "x"\n[[checks]]\nid = "reads"\ncodes = ["bg001"]\npoints = 2\non_finding = "inform"\n')
    (check,) = rubric.checks
    assert check.kind == "static" and check.codes == ("BG001",) and not check.fail_on_finding
