"""One :class:`CheckResult` per rubric check, from static findings and behavior verdicts.

Statuses: ``passed`` and ``failed`` are verdicts; ``error`` (could not be evaluated: the
code does not parse), ``not-applicable`` (nothing to check: there is no upload endpoint),
``timeout`` (the time limit came first) and ``skipped`` (a prerequisite did not pass) are
not failures, and none of them scores points.
"""

from __future__ import annotations

from grader.behavior.catalog import all_checks
from grader.behavior.custom.spec import ExpectedTest
from grader.behavior.outcome import BehaviorOutcome, Verdict
from grader.behavior.untrusted import clean_text
from grader.model import CheckResult, Finding
from grader.scoring.rubric import RubricCheck
from grader.static.registry import all_rules

STATUSES = {"passed", "failed", "error", "skipped", "timeout", "not-applicable"}
NO_ENDPOINT = ("Not applicable: no upload endpoint was found (a route taking an UploadFile parameter), "
               "so there is nothing for this rule to check, and it scores no points.")


def static_check(check: RubricCheck, findings: list[Finding], parsed_any: bool, has_endpoint: bool,
                 unanalysed: list[str]) -> CheckResult:
    mine = [f for f in findings if f.code in check.codes]
    if unanalysed and check.fail_on_finding:
        return _result(check, "error", (
            f"Not checked: {', '.join(unanalysed)} is too large to analyse statically, so this rule could "
            "not look at its code. Split it into modules of a normal size."), mine)
    if not parsed_any:
        return _result(check, "error", "Not checked: no Python file could be parsed (see the errors above).")
    if not has_endpoint and not mine:
        return _result(check, "not-applicable", NO_ENDPOINT)
    if not mine:
        return _result(check, "passed", "No finding.")
    lines = [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in mine]
    if check.fail_on_finding:
        return _result(check, "failed", "\n".join(lines), mine)
    rules = all_rules()
    summary = rules[mine[0].code].message if mine[0].code in rules else ""
    # Advice never costs points: the check passes and says so.
    return _result(check, "passed", "\n".join([f"Advice (no points lost): {summary}", *lines]), mine)


def behavior_check(check: RubricCheck, verdict: Verdict | None, not_run_reason: str) -> CheckResult:
    kind = "pytest" if check.kind == "pytest" else "behavior"
    if verdict is None:
        return _result(check, "skipped", not_run_reason, kind=kind)
    status = verdict.status if verdict.status in STATUSES else "error"
    title = clean_text(verdict.title, 300) if verdict.title else check.title
    return _result(check, status, verdict.feedback, details=dict(verdict.details), kind=kind, title=title)


def pytest_checks(check: RubricCheck, expected: list[ExpectedTest] | str, points: list[float] | str,
                  behavior: BehaviorOutcome | None, not_run_reason: str) -> list[CheckResult]:
    """One check per test function the parent found in the instructor's file, worth the
    points the parent computed; the child only says how each test went.

    ``expected``/``points`` are a sentence instead when the file itself is broken (a
    rubric error): the file then stands as one check worth the entry's points.
    """
    reports = behavior.pytest_reports if behavior is not None else {}
    if isinstance(expected, str) or isinstance(points, str) or not expected:
        why = expected if isinstance(expected, str) else points if isinstance(points, str) else "no test function"
        verdict = reports.get(check.id)
        if verdict is None and behavior is not None and not isinstance(expected, str):
            verdict = Verdict(check.id, "error", f"This check could not run because of a bug in the rubric "
                                                 f"({check.path.name if check.path else check.id}), not in your code: {why}.")
        return [behavior_check(check, verdict, not_run_reason)]
    results = []
    for test, value in zip(expected, points):
        test_id = f"{check.id}::{test.name}"
        mine = [v for key, v in reports.items() if key == test_id or key.startswith(test_id + "[")]
        title = test.doc.splitlines()[0] if test.doc else test.name
        one = RubricCheck(test_id, "pytest", value, title, criterion=check.criterion, visibility=check.visibility)
        if behavior is None:
            results.append(behavior_check(one, None, not_run_reason))
            continue
        if not mine:
            verdict = Verdict(test_id, "error" if reports else "skipped",
                              "Not run: the app did not get as far as the rubric's tests." if not reports else
                              "This test's outcome was not reported.")
        else:
            # A parametrized test passes only if every case passed.
            worst = next((v for v in mine if v.status != "passed"), mine[0])
            verdict = Verdict(test_id, worst.status, clean_text(worst.feedback, 4000),
                              {"file": clean_text(worst.details.get("file"), 300), "test": test.name,
                               "line": test.line})
        results.append(behavior_check(one, verdict, not_run_reason))
    return results


def enforce_prerequisites(results: list[CheckResult]) -> None:
    """A check whose prerequisite did not pass is skipped, never failed (check50)."""
    by_id = {r.id: r for r in results}
    specs = all_checks()
    changed = True
    while changed:
        changed = False
        for result in results:
            spec = specs.get(result.id)
            if spec is None or result.status in ("skipped", "timeout"):
                continue
            for req in spec.requires:
                prerequisite = by_id.get(req)
                if prerequisite is not None and prerequisite.status != "passed":
                    result.status, result.score = "skipped", 0.0
                    result.feedback = f"Skipped: it needs '{req}' to pass first."
                    changed = True
                    break


def _result(check: RubricCheck, status: str, feedback: str, findings: list[Finding] | None = None,
            details: dict | None = None, kind: str | None = None, title: str | None = None) -> CheckResult:
    score = check.points if status == "passed" else 0.0
    return CheckResult(check.id, kind or check.kind, title or check.title, status, score, check.points,  # type: ignore[arg-type]
                       feedback, list(findings or []), details or {}, criterion=check.criterion,
                       visibility=check.visibility)  # type: ignore[arg-type]
