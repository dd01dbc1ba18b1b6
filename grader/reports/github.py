"""GitHub Actions workflow commands: findings appear inline on the student's pull request.

``::error file=main.py,line=11,col=5,title=BG001::message``. Escaping follows the runner's
own (actions/toolkit ``command.ts``): in the message ``%``, ``\\r``, ``\\n`` become
``%25``, ``%0D``, ``%0A``; property values also escape ``:`` and ``,`` (``%3A``, ``%2C``).
Findings map error -> ``error``, warning -> ``warning``, advice -> ``notice``; behavior
checks that failed (no source line to point at) become file-less ``error`` annotations.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.model import Report, Severity
from grader.reports.feedback import problem_lines

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.ADVICE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: object) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render(report: Report, locate: Callable[[str], str] | None = None) -> str:
    """``locate`` maps a finding's path to the path from the repository root (default: as is)."""
    lines: list[str] = []
    for f in report.findings:
        lines.append(command(
            COMMANDS[f.severity], f.message,
            file=locate(f.path) if locate else f.path, line=f.line, col=f.column, title=f.code,
        ))
    for check in report.checks:
        if check.kind != "static" and check.status in {"failed", "error"}:
            lines.append(command("error", "\n".join(problem_lines(check)) or check.title,
                                 title=f"{check.id} ({check.score:g}/{check.max_score:g})"))
    for error in report.errors:
        lines.append(command("error", error, title="grader"))
    lines.append(command("notice", f"Score {report.score:g}/{report.max_score:g}", title="fastapi-grader"))
    return "\n".join(lines) + "\n"
