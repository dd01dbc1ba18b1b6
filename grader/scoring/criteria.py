"""Add the checks up into the rubric's criteria, and cap the total where the rubric says.

A criterion scored ``each`` gives every passing check its points. One scored ``all`` gives
its points only when every one of its checks passed: a defect that several checks see
(a static rule and the behavior check that measures the same mistake) costs the criterion
once, not once per check.

A cap limits the total when the assignment's core was not done (a ``core`` criterion
failed) or when the app does not work at all (a check with a ``cap`` failed): a
submission that does not do the assignment cannot score like one that does. For a core
criterion, what the parent measured decides: a static finding caps the total only when
the behavior checks of that criterion were not run (static-only grading, an app that
does not load). A core behavior check that ran but could not be established (``error``,
``timeout``) caps as a failure would. A static finding still costs its criterion's points.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.model import CheckResult, CriterionResult
from grader.scoring.rubric import Rubric, RubricCriterion

MEASURED = ("passed", "failed")
UNPROVEN = ("error", "timeout")


@dataclass(frozen=True)
class Cap:
    percent: float
    because: str


def criteria_results(rubric: Rubric, results: list[CheckResult]) -> list[CriterionResult]:
    by_criterion: dict[str, list[CheckResult]] = {}
    for result in results:
        by_criterion.setdefault(result.criterion or result.id, []).append(result)
    out: list[CriterionResult] = []
    for criterion in rubric.criteria:
        members = by_criterion.get(criterion.id, [])
        if not members:
            continue
        out.append(_one(criterion, members))
    return out


def _one(criterion: RubricCriterion, members: list[CheckResult]) -> CriterionResult:
    maximum = round(sum(r.max_score for r in members), 4)
    scoring = [r for r in members if r.max_score > 0]
    all_passed = all(r.status == "passed" for r in scoring)
    if criterion.partial == "all" and not all_passed:
        for result in members:
            if result.status == "passed" and result.score > 0:
                result.score = 0.0
                result.details = {**result.details, "counted": False}
                result.feedback = (result.feedback + f"\n(No points: '{criterion.title}' scores only when all of its "
                                   "checks pass.)").strip()
    score = round(sum(r.score for r in members), 4)
    failed = [r for r in scoring if r.status == "failed"]
    if not scoring or all_passed:
        status = "passed"
    elif not any(r.status in MEASURED for r in scoring):
        status = "not-measured"
    elif score > 0:
        status = "partial"
    else:
        status = "failed"
    if status == "passed":
        summary = "All checks passed." if scoring else "Advice only: no points."
    elif failed:
        summary = "Not met: " + "; ".join(f"{r.id} {r.status}" for r in failed[:4]) + "."
    else:
        summary = "Not measured: " + "; ".join(f"{r.id} {r.status}" for r in scoring if r.status != "passed")[:300] + "."
    return CriterionResult(criterion.id, criterion.title, status, score, maximum, [r.id for r in members],
                           criterion.core, criterion.partial, criterion.description, criterion.visibility,  # type: ignore[arg-type]
                           summary)


def caps(rubric: Rubric, results: list[CheckResult]) -> list[Cap]:
    """Every cap that applies, with its reason in words."""
    found: list[Cap] = []
    by_id = {r.id: r for r in results}
    for check in rubric.checks:
        result = by_id.get(check.id)
        if check.cap is not None and result is not None and result.status == "failed":
            found.append(Cap(check.cap, f"'{result.title}' failed"))
    for criterion in rubric.criteria:
        if criterion.cap is None:
            continue
        members = [by_id[c] for c in criterion.checks if c in by_id and by_id[c].max_score > 0]
        measured = [r for r in members if r.kind != "static" and r.status in MEASURED]
        # A core check the parent could not establish (its observation was incomplete,
        # the run ended first) is not met: the benefit of the doubt would reward whoever
        # makes the observation fail.
        unproven = [r for r in members if r.kind != "static" and r.status in UNPROVEN]
        if measured or unproven:
            failed = [r for r in measured if r.status == "failed"]
        else:
            failed = [r for r in members if r.kind == "static" and r.status == "failed"]
        if failed:
            found.append(Cap(criterion.cap, f"the core criterion '{criterion.title}' was not met ({failed[0].id})"))
        elif unproven:
            found.append(Cap(criterion.cap, f"the core criterion '{criterion.title}' could not be established "
                                            f"({unproven[0].id}: {unproven[0].status})"))
    return found
