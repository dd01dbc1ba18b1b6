"""Rubric loading: the bundled rubric is valid; every bad rubric is one clear line naming the key."""

from __future__ import annotations

import pytest

from grader.errors import RubricError
from grader.scoring.rubric import load_rubric, parse_rubric


def test_default_rubric_is_made_of_criteria_with_a_capped_core():
    rubric = load_rubric(None)
    assert rubric.max_score == 100
    by_id = {c.id: c for c in rubric.criteria}
    core = by_id["processing-after-response"]
    assert core.core and core.cap == 40 and core.partial == "all"
    points = {c.id: sum(k.points for k in rubric.checks if k.criterion == c.id) for c in rubric.criteria}
    assert points["processing-after-response"] == max(points.values())
    assert {c.id for c in rubric.checks if c.cap} == {"app-loads", "upload-accepted"}
    assert all(check.criterion in by_id for check in rubric.checks)


def test_a_rubric_without_criteria_gives_each_check_its_own():
    rubric = parse_rubric('title = "x"\n[[checks]]\nid = "BG001"\npoints = 2\n[[checks]]\nid = "app-loads"\npoints = 3\n')
    assert [(c.id, c.checks) for c in rubric.criteria] == [("BG001", ("BG001",)), ("app-loads", ("app-loads",))]
    assert [c.criterion for c in rubric.checks] == ["BG001", "app-loads"]


def test_visibility_is_inherited_from_the_criterion():
    rubric = parse_rubric('title = "x"\n[[criteria]]\nid = "c"\nvisibility = "hidden"\n'
                          '[[checks]]\nid = "BG001"\npoints = 1\ncriterion = "c"\n'
                          '[[checks]]\nid = "BG003"\npoints = 1\ncriterion = "c"\nvisibility = "after_due_date"\n')
    assert [c.visibility for c in rubric.checks] == ["hidden", "after_due_date"]


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
        ('title = "x"\n[[criteria]]\nid = "c"\n[[checks]]\nid = "BG001"\npoints = 1\n', "needs a criterion"),
        ('title = "x"\n[[criteria]]\nid = "c"\n[[checks]]\nid = "BG001"\npoints = 1\ncriterion = "d"\n',
         "unknown criterion 'd'"),
        ('title = "x"\n[[criteria]]\nid = "c"\ncore = true\n[[checks]]\nid = "BG001"\npoints = 1\ncriterion = "c"\n',
         "a core criterion needs a cap"),
        ('title = "x"\n[[criteria]]\nid = "c"\npartial = "some"\n[[checks]]\nid = "BG001"\npoints = 1\ncriterion = "c"\n',
         "partial must be 'each'"),
        ('title = "x"\n[[criteria]]\nid = "c"\ncap = 140\n[[checks]]\nid = "BG001"\npoints = 1\ncriterion = "c"\n',
         "cap must be a percent"),
        ('title = "x"\n[[criteria]]\nid = "c"\n[[criteria]]\nid = "c"\n[[checks]]\nid = "BG001"\npoints = 1\ncriterion = "c"\n',
         "criteria id 'c' appears twice"),
        ('title = "x"\n[[criteria]]\nid = "c"\n[[criteria]]\nid = "d"\n[[checks]]\nid = "BG001"\npoints = 1\ncriterion = "c"\n',
         "criterion 'd' has no check"),
        ('title = "x"\n[[checks]]\nid = "BG001"\npoints = 1\nvisibility = "secret"\n', "visibility must be one of"),
        ('title = "x"\n[behavior]\nlarge_upload_mb = 1000\n[[checks]]\nid = "BG001"\npoints = 1\n', "at most 256"),
        ('title = "x"\n[static]\nblocking_calls = ["sleep"]\n[[checks]]\nid = "BG001"\npoints = 1\n', "dotted names"),
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


def _report(text: str, verdicts: dict[str, str], findings=()):  # noqa: ANN001
    from grader.behavior.outcome import BehaviorOutcome, Verdict
    from grader.scoring.score import score_submission

    rubric = parse_rubric(text)
    behavior = BehaviorOutcome(verdicts={k: Verdict(k, v) for k, v in verdicts.items()})
    return score_submission("s", rubric, list(findings), [], parsed_any=True, behavior=behavior)


CORE_RUBRIC = '''title = "x"
[[criteria]]
id = "app"
[[criteria]]
id = "core"
partial = "all"
core = true
cap = 40
[[criteria]]
id = "extra"
[[checks]]
id = "app-loads"
criterion = "app"
points = 10
cap = 30
[[checks]]
id = "upload-accepted"
criterion = "app"
points = 10
[[checks]]
id = "task-scheduled"
criterion = "core"
points = 30
[[checks]]
id = "BG006"
criterion = "core"
points = 10
[[checks]]
id = "missing-file-rejected"
criterion = "extra"
points = 40
'''


def test_a_failed_core_criterion_costs_its_points_once_and_caps_the_total():
    report = _report(CORE_RUBRIC, {"app-loads": "passed", "upload-accepted": "passed", "task-scheduled": "failed",
                                   "missing-file-rejected": "passed"})
    by_id = {c.id: c for c in report.criteria}
    assert by_id["core"].score == 0 and by_id["core"].status == "failed"
    assert next(c for c in report.checks if c.id == "BG006").score == 0  # passed, but its criterion is 'all'
    assert report.cap == {"percent": 40.0, "at": 40.0, "because": report.cap["because"], "applied": True}
    assert report.score == 40


def test_a_static_finding_alone_does_not_cap_an_app_whose_behavior_passed():
    from grader.model import Finding, Severity

    finding = Finding("main.py", 3, 1, "BG006", Severity.ERROR, "no background work")
    report = _report(CORE_RUBRIC, {"app-loads": "passed", "upload-accepted": "passed", "task-scheduled": "passed",
                                   "missing-file-rejected": "passed"}, [finding])
    assert report.cap is None
    assert report.score == 60  # the core criterion's 40 points are lost, nothing more


def test_a_core_check_that_could_not_be_established_caps_like_a_failure():
    """An attack that makes the parent's observation incomplete (an event flood) leaves the
    core check in error: that must not score above a core that was measured and failed."""
    for status in ("error", "timeout"):
        report = _report(CORE_RUBRIC, {"app-loads": "passed", "upload-accepted": "passed",
                                       "task-scheduled": status, "missing-file-rejected": "passed"})
        assert report.cap is not None and report.cap["applied"], status
        assert "could not be established (task-scheduled" in report.cap["because"]
        assert report.score == 40


def test_a_failed_check_with_a_cap_caps_the_total():
    report = _report(CORE_RUBRIC, {"app-loads": "failed"})
    assert report.cap["percent"] == 30 and report.score <= 30


def test_static_only_scores_out_of_the_static_points():
    from grader.scoring.score import score_submission

    rubric = parse_rubric(CORE_RUBRIC)
    report = score_submission("s", rubric, [], [], parsed_any=True, behavior=None, static_only=True)
    assert report.mode == "static-only" and report.max_score == 10 and report.score == 10


def test_no_upload_endpoint_means_no_static_points():
    from grader.scoring.score import score_submission

    rubric = parse_rubric(CORE_RUBRIC)
    report = score_submission("s", rubric, [], [], parsed_any=True, behavior=None, static_only=True,
                              has_endpoint=False)
    assert next(c for c in report.checks if c.id == "BG006").status == "not-applicable"
    assert report.score == 0


def test_an_int001_finding_puts_the_report_in_review_and_keeps_the_score():
    from grader.model import Finding, Severity

    finding = Finding("main.py", 1, 1, "INT001", Severity.WARNING, "reaches into the grader")
    from grader.scoring.score import score_submission

    rubric = parse_rubric(CORE_RUBRIC)
    report = score_submission("s", rubric, [finding], [], parsed_any=True, behavior=None, static_only=True)
    assert report.status == "review" and report.score == 10


def test_the_large_upload_title_says_the_rubric_size_unless_the_rubric_names_it():
    sized = parse_rubric('title = "x"\n[behavior]\nlarge_upload_mb = 2.5\n[[checks]]\nid = "large-upload-intact"\npoints = 1\n')
    assert [c.title for c in sized.checks] == ["A 2.5 MiB upload is saved intact"]
    default = parse_rubric('title = "x"\n[[checks]]\nid = "large-upload-intact"\npoints = 1\n')
    assert [c.title for c in default.checks] == ["A 4 MiB upload is saved intact"]
    named = parse_rubric('title = "x"\n[behavior]\nlarge_upload_mb = 2\n[[checks]]\nid = "large-upload-intact"\n'
                         'points = 1\ntitle = "Big files survive"\n')
    assert [c.title for c in named.checks] == ["Big files survive"]
