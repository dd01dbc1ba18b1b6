"""Markdown summary for ``$GITHUB_STEP_SUMMARY`` and LMS comments."""

from __future__ import annotations

import html
import re

from grader.model import Report
from grader.reports.feedback import grouped, label, shown_errors

_ICON = {"passed": "✅", "failed": "❌", "error": "⚠️", "skipped": "⏭️", "advice": "💡", "timeout": "⏱️",
         "not-applicable": "➖"}
_CRITERION_ICON = {"passed": "✅", "partial": "🟡", "failed": "❌", "not-measured": "⏭️"}


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def cell(text: str) -> str:
    """Inline text: one line, no column separators, no raw HTML, no control characters."""
    flat = " ".join(_CONTROL.sub("\ufffd", text).split())
    return html.escape(flat, quote=False).replace("|", "\\|")


def fence(text: str) -> str:
    """A code block that the text itself cannot close."""
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}text\n{text}\n{ticks}"


def render(report: Report) -> str:
    title = report.rubric.get("title", "")
    lines = [
        f"## {cell(report.submission)}: {report.score:g}/{report.max_score:g}",
        "",
        f"Rubric: {cell(title)} v{cell(str(report.rubric.get('version', '')))}"
        f" · grader {cell(report.grader_version)}",
        "",
    ]
    errors = shown_errors(report.errors, report.checks)
    if report.status == "error" or errors:
        lines.append("**The grader reported problems:**" if report.status != "error"
                     else "**The submission could not be graded:**")
        lines.extend(f"- {cell(e)}" for e in errors)
        lines.append("")
    if report.mode == "static-only":
        lines += ["Static analysis only: scored out of the static checks' points.", ""]
    if report.cap:
        lines += [f"**Total capped at {report.cap.get('at', 0):g} points:** {cell(str(report.cap.get('because', '')))}", ""]
    if report.criteria:
        # Points belong to the criteria; the checks below say how each went.
        lines += ["| | Criterion | Points |", "|---|---|---:|"]
        for criterion in report.criteria:
            core = " (core)" if criterion.core else ""
            lines.append(f"| {_CRITERION_ICON.get(criterion.status, '?')} | {cell(criterion.title)}{core}"
                         f" | {criterion.score:g}/{criterion.max_score:g} |")
        lines.append("")
    groups = grouped(report.checks)
    lines += ["| | Check |", "|---|---|"] if report.criteria else ["| | Check | Points |", "|---|---|---:|"]
    for group in groups:
        points = "" if report.criteria else f" {group.score:g}/{group.max_score:g} |"
        lines.append(f"| {_ICON.get(label(group.first), '?')} | {cell(group.title())} |{points}")
    todo = [g for g in groups if label(g.first) != "passed" and g.lines()]
    if todo:
        lines += ["", "### Feedback", ""]
        for group in todo:
            status = label(group.first)
            lines.append(f"<details><summary>{_ICON.get(status, '?')} {cell(group.title())}</summary>")
            lines += ["", fence("\n".join(group.lines())), "", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
