"""What every student-facing format says about a check: its label and its problem lines.

One rule for all formats (text, Markdown, Gradescope, JUnit, dashboard):

- a static check that passed but has findings is *advice* (its rubric weight is
  ``inform``): labelled as advice, never as a pass next to the problem it found;
- a static check's problems are its findings, one line each (``path:line:col: CODE message``;
  the message says what, why and the fix), so the text stands on its own where the
  student cannot run the grader;
- a behavior check's problem is its feedback, then what was sent, received and measured
  and the fix, when it did not pass;
- several checks that were not decided for one shared reason (a file that does not parse,
  static analysis only, a prerequisite that failed, no upload endpoint) are one line,
  not one per check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.model import CheckResult

DETAIL_LABELS = (("sent", "sent"), ("received", "got"), ("measured", "measured"), ("fix", "fix"))
# Student text must not drive a terminal: control characters (escape sequences, a \r that
# overwrites the line) and lone surrogates (unprintable) become U+FFFD.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
GROUP_MIN = 2  # a single check not run is listed on its own


def printable(text: str) -> str:
    return _UNPRINTABLE.sub("\ufffd", text)


def is_advice(check: CheckResult) -> bool:
    return check.kind == "static" and check.status == "passed" and bool(check.findings)


# Statuses that are not a verdict on the student's code: several checks sharing one reason
# share one line, and none of them is a failure.
NOT_DECIDED = frozenset({"skipped", "error", "not-applicable", "timeout"})
VERBS = {"error": "could not be checked", "skipped": "not run", "not-applicable": "not applicable",
         "timeout": "out of time"}


def label(check: CheckResult) -> str:
    """passed | failed | error | skipped | timeout | not-applicable | advice (a newer status as given)."""
    return "advice" if is_advice(check) else check.status


def display_title(check: CheckResult) -> str:
    """``id: title``; a static title already starts with its code. Advice names the problem, not the pass."""
    if is_advice(check):
        return f"{check.id}: advice, no points lost"
    return check.title if check.title.startswith(check.id) else f"{check.id}: {check.title}"


def problem_lines(check: CheckResult) -> list[str]:
    """The lines a student reads to fix this check (empty for a clean pass)."""
    if check.kind == "static" and check.findings:
        return [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in check.findings]
    if check.status == "passed":
        return []
    lines = [line for line in check.feedback.splitlines() if line.strip()]
    if check.status in {"failed", "error", "timeout"}:
        lines += [f"{shown}: {check.details[key]}" for key, shown in DETAIL_LABELS if check.details.get(key)]
    return lines


@dataclass
class Group:
    """Consecutive checks of one kind and status sharing one reason, or a single check."""

    checks: list[CheckResult]

    @property
    def first(self) -> CheckResult:
        return self.checks[0]

    @property
    def shared(self) -> bool:
        return len(self.checks) > 1

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)

    def title(self) -> str:
        if not self.shared:
            return display_title(self.first)
        verb = VERBS.get(self.first.status, self.first.status)
        ids = [c.id for c in self.checks]
        shown = ", ".join(ids) if len(ids) <= 4 else f"{ids[0]}, {ids[1]} ... {ids[-1]}"
        return f"{len(ids)} {self.first.kind} checks {verb} ({shown})"

    def lines(self) -> list[str]:
        if not self.shared:
            return problem_lines(self.first)
        # Per-check feedback speaks of one check; the group says it once for all of them.
        feedback = _reason(self.first)[2]  # type: ignore[index]
        return [line.replace("this rule", "these rules") for line in feedback.splitlines() if line.strip()]


_NEEDS = "Skipped: it needs "
NEEDS_GROUP = "Each of these needs a check above to pass first."


def _reason(check: CheckResult) -> tuple[str, str, str] | None:
    if check.status not in NOT_DECIDED or check.findings or check.details.get("measured"):
        return None
    feedback = NEEDS_GROUP if check.feedback.startswith(_NEEDS) else check.feedback
    return check.kind, check.status, feedback


def grouped(checks: Sequence[CheckResult]) -> list[Group]:
    """Checks in their order, those not decided for one shared reason gathered into one group
    where the first of them stands (a rubric may interleave them with other checks)."""
    by_reason: dict[tuple[str, str, str], list[CheckResult]] = {}
    for check in checks:
        reason = _reason(check)
        if reason is not None:
            by_reason.setdefault(reason, []).append(check)
    groups: list[Group] = []
    placed: set[tuple[str, str, str]] = set()
    for check in checks:
        reason = _reason(check)
        members = by_reason.get(reason, []) if reason is not None else []
        if len(members) < GROUP_MIN:
            groups.append(Group([check]))
        elif reason not in placed:
            placed.add(reason)  # type: ignore[arg-type]
            groups.append(Group(members))
    return groups


def shown_errors(errors: Sequence[str], checks: Sequence[CheckResult]) -> list[str]:
    """The report's errors, less those a check already says word for word (one line per problem)."""
    said = {line.strip() for c in checks if c.status != "passed" for line in c.feedback.splitlines()}
    return [e for e in errors if e.strip() not in said]
