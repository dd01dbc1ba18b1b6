"""Turn static findings and behavior verdicts into a scored :class:`Report`.

The pipeline: one result per rubric check (:mod:`grader.scoring.checks`), prerequisites
(a check whose prerequisite did not pass is skipped), criteria and caps
(:mod:`grader.scoring.criteria`), then the report's status: ``error`` (nothing could be
graded), ``review`` (the code reaches into the grader or the runtime's bookkeeping:
INT001; the score stands, an instructor should read the code), ``timeout`` (some checks
were not measured before the time limit) or ``graded``.
"""

from __future__ import annotations

from grader import __version__
from grader.behavior.custom.spec import expected_tests, split_points
from grader.behavior.outcome import BehaviorOutcome
from grader.errors import RubricError
from grader.model import CheckResult, Finding, Report
from grader.reports.loading import report_from_dict
from grader.scoring import checks as check_results
from grader.scoring.criteria import caps, criteria_results
from grader.scoring.rubric import Rubric, RubricCheck

REVIEW_CODES = frozenset({"INT001"})
STATIC_ONLY = "Not run: static analysis only; this check does not count towards the score."


def score_submission(
    name: str,
    rubric: Rubric,
    findings: list[Finding],
    static_errors: list[str],
    parsed_any: bool,
    behavior: BehaviorOutcome | None,
    not_run_reason: str = "Behavior checks were not run (static analysis only).",
    fatal_error: str | None = None,
    unanalysed: list[str] = (),  # type: ignore[assignment]
    has_endpoint: bool = True,
    static_only: bool = False,
) -> Report:
    results: list[CheckResult] = []
    for check in rubric.checks:
        if check.kind == "static":
            results.append(check_results.static_check(check, findings, parsed_any, has_endpoint, list(unanalysed)))
        elif static_only:
            results.append(_not_counted(check))
        elif check.kind == "pytest":
            expected, points = _expected_tests(check)
            results.extend(check_results.pytest_checks(check, expected, points, behavior, not_run_reason))
        else:
            verdict = behavior.verdicts.get(check.id) if behavior else None
            results.append(check_results.behavior_check(check, verdict, not_run_reason))
    check_results.enforce_prerequisites(results)
    criteria = criteria_results(rubric, [r for r in results if r.max_score > 0 or r.kind == "static"
                                         or not static_only])
    total = round(sum(c.score for c in criteria), 4)
    maximum = round(sum(c.max_score for c in criteria), 4)
    applied = caps(rubric, results)
    cap = None
    if applied:
        tightest = min(applied, key=lambda c: c.percent)
        limit = round(maximum * tightest.percent / 100, 4)
        cap = {"percent": tightest.percent, "at": limit, "because": tightest.because, "applied": total > limit}
        total = min(total, limit)
    errors = list(static_errors)
    run: dict = {}
    if behavior is not None:
        errors.extend(behavior.errors)
        run = dict(behavior.run)
    report = Report(
        submission=name,
        rubric=rubric.describe(),
        score=total,
        max_score=maximum,
        status=_status(fatal_error, findings, results, behavior),
        checks=results,
        findings=sorted(findings),
        errors=[fatal_error, *errors] if fatal_error else errors,
        run=run,
        grader_version=__version__,
        criteria=criteria,
        cap=cap,
        mode="static-only" if static_only else "full",
    )
    # Student-made strings (file names, routes, output) reach every writer printable.
    return report_from_dict(report.to_dict())


def _status(fatal_error: str | None, findings: list[Finding], results: list[CheckResult],
            behavior: BehaviorOutcome | None) -> str:
    if fatal_error:
        return "error"
    if any(f.code in REVIEW_CODES for f in findings):
        return "review"
    if any(r.status == "timeout" for r in results):
        return "timeout"
    return "graded"


def _not_counted(check: RubricCheck) -> CheckResult:
    kind = "pytest" if check.kind == "pytest" else "behavior"
    return CheckResult(check.id, kind, check.title, "skipped", 0.0, 0.0, STATIC_ONLY,  # type: ignore[arg-type]
                       criterion=check.criterion, visibility=check.visibility)  # type: ignore[arg-type]


def _expected_tests(check: RubricCheck) -> tuple[list | str, list[float] | str]:
    """The instructor's tests, read by the parent: their names and points are the rubric's."""
    if check.path is None:
        return "the rubric names no test file", "the rubric names no test file"
    try:
        source = check.path.read_text(encoding="utf-8")
        tests = expected_tests(source, check.path.name)
    except (OSError, UnicodeDecodeError) as exc:
        return f"the test file cannot be read ({exc})", ""
    except RubricError as exc:
        return str(exc), ""
    return tests, split_points(check.points, [t.points_mark for t in tests]) if tests else "no test function"
