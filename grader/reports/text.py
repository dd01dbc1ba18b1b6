"""The readable summary a student or instructor reads in a terminal.

One line per check (checks not run for one shared reason share a line), the problem
lines under each check that did not pass, advice marked as advice. ``color`` adds ANSI
styles (the CLI turns it on for a terminal without ``NO_COLOR``); ``quiet`` keeps the
score and one line per problem; ``verbose`` shows every check and the app's output.
"""

from __future__ import annotations

import click

from grader.model import Report
from grader.reports.feedback import Group, grouped, label, printable, shown_errors

_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERR", "skipped": "SKIP", "advice": "TIP", "timeout": "TIME",
         "not-applicable": "N/A"}
_STYLE = {"passed": {"fg": "green"}, "failed": {"fg": "red", "bold": True}, "error": {"fg": "magenta", "bold": True},
          "skipped": {"fg": "yellow"}, "advice": {"fg": "cyan"}, "timeout": {"fg": "yellow", "bold": True},
          "not-applicable": {"fg": "yellow"}}
_INDENT = " " * 15


def _points(value: float) -> str:
    return f"{value:g}"


def _group_line(group: Group, color: bool, points_shown: bool) -> str:
    status = label(group.first)
    mark = f"{_MARK.get(status, status.upper()[:4]):<4}"
    if color:
        mark = click.style(mark, **_STYLE.get(status, {}))
    # With criteria, points belong to the criteria (listed above); a check's own share would mislead.
    points = f"{_points(group.score)}/{_points(group.max_score)}" if points_shown else ""
    return f"{mark} {points:>7}  {printable(group.title())}"


def _tally(report: Report) -> str:
    words = {"passed": "passed", "advice": "advice", "failed": "failed", "error": "could not be checked",
             "timeout": "out of time", "not-applicable": "not applicable", "skipped": "not run"}
    counts = {status: 0 for status in words}
    for check in report.checks:
        counts[label(check)] = counts.get(label(check), 0) + 1
    return ", ".join(f"{n} {words.get(s, s)}" for s, n in counts.items() if n)


_CRITERION_MARK = {"passed": "passed", "partial": "partly", "failed": "failed", "not-measured": "not measured"}


def _criteria_lines(report: Report) -> list[str]:
    """The rubric's learning objectives first: how the score was made, then each check."""
    lines = []
    if report.mode == "static-only":
        lines.append("  (static analysis only: scored out of the static checks' points)")
    if report.cap:
        lines.append(f"  ! total capped at {report.cap.get('at', 0):g} points: {printable(str(report.cap.get('because', '')))}")
    if report.criteria:
        lines += ["", "Criteria:"]
        for criterion in report.criteria:
            points = f"{criterion.score:g}/{criterion.max_score:g}"
            status = _CRITERION_MARK.get(criterion.status, criterion.status)
            core = ", core" if criterion.core else ""
            lines.append(f"  {points:>7}  {printable(criterion.title)} ({status}{core})")
            if criterion.summary and criterion.status in {"failed", "partial"}:
                lines.append(f"           {printable(criterion.summary)}")
    return lines


def render(report: Report, verbose: bool = False, color: bool = False, quiet: bool = False) -> str:
    score = f"{_points(report.score)}/{_points(report.max_score)}"
    if color:
        score = click.style(score, bold=True)
    rubric = f"{report.rubric.get('title', '')} v{report.rubric.get('version', '')}"
    lines = [f"{printable(report.submission)}: {score}  ({printable(rubric)})"]
    if report.status == "error":
        lines.append("status: error (the submission could not be graded)")
    elif report.status != "graded":
        lines.append(f"status: {report.status}")
    errors = report.errors if verbose else shown_errors(report.errors, report.checks)
    lines.extend(f"  ! {printable(line)}" for error in errors for line in error.splitlines())
    lines.extend(_criteria_lines(report))
    lines.append("")
    for group in (grouped(report.checks) if not verbose else [Group([c]) for c in report.checks]):
        status = label(group.first)
        quiet_pass = status == "passed" and group.max_score == 0  # unscored and nothing found
        if (quiet and status in {"passed", "skipped"}) or (quiet_pass and not verbose):
            continue
        lines.append(_group_line(group, color, points_shown=not report.criteria))
        if quiet and status not in {"failed", "error"}:
            continue
        shown = group.lines() if status != "passed" or not verbose else group.first.feedback.splitlines()
        lines.extend(f"{_INDENT}{printable(text)}" for text in shown)
    extra = [f for f in report.findings if not any(f in c.findings for c in report.checks)]
    if extra and not quiet:
        lines += ["", "Other findings (not scored by this rubric):"]
        lines.extend(printable(f"  {f.path}:{f.line}:{f.column}: {f.code} [{f.severity.value}] {f.message}") for f in extra)
    output = report.run.get("output")
    if verbose and output:
        lines += ["", "Your app's output during the run:"]
        lines.extend(f"  | {printable(line)}" for line in str(output).splitlines()[:40])
    if not quiet:
        lines += ["", _tally(report)]
    return "\n".join(lines) + "\n"
