"""The readable summary a student or instructor reads in a terminal."""

from __future__ import annotations

from grader.model import Report

_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERR ", "skipped": "SKIP"}
# Behavior details worth showing when a check did not pass, in this order.
_DETAIL_LABELS = (("sent", "sent"), ("received", "got"), ("measured", "measured"), ("fix", "fix"))


def _fmt_points(value: float) -> str:
    return f"{value:g}"


def render(report: Report, verbose: bool = False) -> str:
    lines = [
        f"{report.submission}: {_fmt_points(report.score)}/{_fmt_points(report.max_score)}"
        f"  ({report.rubric.get('title', '')} v{report.rubric.get('version', '')})",
    ]
    if report.status == "error":
        lines.append("status: error (the submission could not be graded)")
    for error in report.errors:
        lines.append(f"  ! {error}")
    lines.append("")
    for check in report.checks:
        points = f"{_fmt_points(check.score)}/{_fmt_points(check.max_score)}"
        lines.append(f"{_MARK.get(check.status, check.status):4} {points:>7}  {check.id}: {check.title}")
        if check.status != "passed" or verbose or (check.findings and check.kind == "static"):
            for text in check.feedback.splitlines():
                lines.append(f"               {text}")
            if check.status in {"failed", "error"}:
                for key, label in _DETAIL_LABELS:
                    value = check.details.get(key)
                    if value:
                        lines.append(f"               {label}: {value}")
    extra = [f for f in report.findings if not any(f in c.findings for c in report.checks)]
    if extra:
        lines.append("")
        lines.append("Other findings (not scored by this rubric):")
        for f in extra:
            lines.append(f"  {f.path}:{f.line}:{f.column}: {f.code} [{f.severity.value}] {f.message}")
    output = report.run.get("output")
    if verbose and output:
        lines.append("")
        lines.append("Your app's output during the run:")
        lines.extend(f"  | {line}" for line in str(output).splitlines()[:40])
    return "\n".join(lines) + "\n"
