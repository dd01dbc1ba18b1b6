"""Turn static findings and behavior verdicts into a scored :class:`Report`."""

from __future__ import annotations

from grader import __version__
from grader.behavior.catalog import all_checks
from grader.behavior.outcome import BehaviorOutcome, Verdict
from grader.model import CheckResult, Finding, Report
from grader.scoring.rubric import Rubric, RubricCheck


def _static_check(check: RubricCheck, findings: list[Finding], parsed_any: bool,
                  unanalysed: list[str] = ()) -> CheckResult:  # type: ignore[assignment]
    mine = [f for f in findings if f.code in check.codes]
    if unanalysed and check.fail_on_finding:
        return CheckResult(
            check.id, "static", check.title, "error", 0.0, check.points,
            f"Not checked: {', '.join(unanalysed)} is too large to analyse statically, so this "
            "rule could not look at its code. Split it into modules of a normal size.", mine,
        )
    if not parsed_any:
        return CheckResult(
            check.id, "static", check.title, "error", 0.0, check.points,
            "No Python file could be parsed, so this rule could not be checked.", [],
        )
    if not mine:
        feedback = "No finding."
        return CheckResult(check.id, "static", check.title, "passed", check.points, check.points, feedback, [])
    lines = []
    for finding in mine:
        lines.append(f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}")
    # Each finding's message says what is wrong, why, and the fix: the feedback stands on
    # its own where the student cannot run the grader (Gradescope, a CI log).
    if check.fail_on_finding:
        feedback = "\n".join(lines)
        return CheckResult(check.id, "static", check.title, "failed", 0.0, check.points, feedback, mine)
    feedback = "\n".join(["Advice (no points lost):", *lines])
    return CheckResult(check.id, "static", check.title, "passed", check.points, check.points, feedback, mine)


def _behavior_check(check: RubricCheck, verdict: Verdict | None, not_run_reason: str) -> CheckResult:
    kind = "pytest" if check.kind == "pytest" else "behavior"
    if verdict is None:
        return CheckResult(check.id, kind, check.title, "skipped", 0.0, check.points, not_run_reason)
    status = verdict.status if verdict.status in {"passed", "failed", "error", "skipped"} else "error"
    score = check.points if status == "passed" else 0.0
    return CheckResult(
        check.id, kind, verdict.title or check.title, status, score, check.points,
        verdict.feedback, [], dict(verdict.details),
    )


def _pytest_checks(check: RubricCheck, behavior: BehaviorOutcome | None, not_run_reason: str) -> list[CheckResult]:
    """A rubric pytest file: one check per test (``<id>::<test>``), worth the test's points.

    When no test ran (behavior not run, app not loaded, a collection error in the file),
    the file stands as one check worth the rubric entry's points, so the maximum score
    is the same for every student.
    """
    prefix = f"{check.id}::"
    per_test = [v for v in (behavior.verdicts.values() if behavior else ()) if v.id.startswith(prefix)]
    if not per_test:
        verdict = behavior.verdicts.get(check.id) if behavior else None
        return [_behavior_check(check, verdict, not_run_reason)]
    results = []
    for verdict in per_test:
        points = float(verdict.points) if verdict.points is not None else 0.0
        test_check = RubricCheck(verdict.id, "pytest", points, verdict.title or verdict.id)
        results.append(_behavior_check(test_check, verdict, not_run_reason))
    return results


def _enforce_prerequisites(results: list[CheckResult]) -> None:
    """A check whose prerequisite did not pass is skipped, never failed (check50)."""
    by_id = {r.id: r for r in results}
    specs = all_checks()
    changed = True
    while changed:
        changed = False
        for result in results:
            spec = specs.get(result.id)
            if spec is None or result.status == "skipped":
                continue
            for req in spec.requires:
                prerequisite = by_id.get(req)
                if prerequisite is not None and prerequisite.status != "passed":
                    result.status, result.score = "skipped", 0.0
                    result.feedback = f"Skipped: it needs '{req}' to pass first."
                    changed = True
                    break


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
) -> Report:
    results: list[CheckResult] = []
    for check in rubric.checks:
        if check.kind == "static":
            results.append(_static_check(check, findings, parsed_any, list(unanalysed)))
        elif check.kind == "pytest":
            results.extend(_pytest_checks(check, behavior, not_run_reason))
        else:
            verdict = behavior.verdicts.get(check.id) if behavior else None
            results.append(_behavior_check(check, verdict, not_run_reason))
    _enforce_prerequisites(results)
    errors = list(static_errors)
    run: dict = {}
    if behavior is not None:
        errors.extend(behavior.errors)
        run = dict(behavior.run)
    status = "graded"
    if fatal_error:
        errors.insert(0, fatal_error)
        status = "error"
    return Report(
        submission=name,
        rubric=rubric.describe(),
        score=round(sum(r.score for r in results), 4),
        max_score=round(sum(r.max_score for r in results), 4),
        status=status,
        checks=results,
        findings=sorted(findings),
        errors=errors,
        run=run,
        grader_version=__version__,
    )
