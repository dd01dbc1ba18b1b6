"""Markdown summary for ``$GITHUB_STEP_SUMMARY`` and LMS comments."""

from __future__ import annotations

import html
import re

from grader.model import Report

_ICON = {"passed": "✅", "failed": "❌", "error": "⚠️", "skipped": "⏭️"}


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
    if report.status == "error" or report.errors:
        lines.append("**The grader reported problems:**" if report.status != "error"
                     else "**The submission could not be graded:**")
        lines.extend(f"- {cell(e)}" for e in report.errors)
        lines.append("")
    lines += ["| | Check | Points |", "|---|---|---:|"]
    for check in report.checks:
        lines.append(f"| {_ICON.get(check.status, '?')} | {cell(check.title)} (`{cell(check.id)}`)"
                     f" | {check.score:g}/{check.max_score:g} |")
    todo = [c for c in report.checks if c.status in {"failed", "error"} or (c.status == "passed" and c.findings)]
    if todo:
        lines += ["", "### Feedback", ""]
        for check in todo:
            lines.append(f"<details><summary>{_ICON.get(check.status, '?')} {cell(check.title)}"
                         f" ({check.status})</summary>")
            lines += ["", fence(check.feedback or "(no feedback)"), "", "</details>", ""]
    skipped = [c for c in report.checks if c.status == "skipped"]
    if skipped:
        # Usually one shared reason ("static analysis only"): say it once, not per check.
        reasons = sorted({c.feedback for c in skipped})
        lines += ["", f"**Not run ({len(skipped)} checks):**"]
        lines.extend(f"- {cell(reason)}" for reason in reasons)
    return "\n".join(lines).rstrip("\n") + "\n"
