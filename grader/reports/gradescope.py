"""Gradescope autograder ``results.json``.

Follows the published "Autograder Specifications"
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level ``score``,
``execution_time`` (seconds), ``output``, ``visibility``, ``stdout_visibility`` and
``tests[]`` with ``name``, ``number``, ``score``, ``max_score``, ``status``, ``output`` and
``visibility``. Gradescope knows only ``passed``/``failed``: our ``error`` and ``skipped``
checks earn no points, so they are reported as ``failed`` with the reason in ``output``;
advice (a finding that costs no points) is ``passed``, its output starting "Advice".
Every output stands on its own: the student cannot run the grader on Gradescope.
"""

from __future__ import annotations

import json
from typing import Any

from grader.model import CheckResult, Report
from grader.reports.feedback import display_title, label, problem_lines

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
_LABEL = {"error": "Could not be checked.", "skipped": "Not run.", "advice": "Advice (no points lost).",
          "timeout": "Out of time: not measured before the time limit.", "not-applicable": "Not applicable."}


def _test_output(check: CheckResult) -> str:
    status = label(check)
    lines = [_LABEL[status]] if status in _LABEL else []
    lines += problem_lines(check)
    return "\n".join(lines)


def results(report: Report, visibility: str = "visible") -> dict[str, Any]:
    lines = [f"{report.submission}: {report.score:g}/{report.max_score:g} points "
             f"({report.rubric.get('title', '')} v{report.rubric.get('version', '')})."]
    if report.status == "error":
        lines.append("The submission could not be graded:")
    lines.extend(f"- {e}" for e in report.errors)
    total_s = report.run.get("timings", {}).get("total_s")
    data: dict[str, Any] = {
        "score": report.score,
        "output": "\n".join(lines),
        "output_format": "text",
        "visibility": visibility,
        # stdout is the grader's own log: useful to staff, noise to students.
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": display_title(check),
                "number": str(index),
                "score": check.score,
                "max_score": check.max_score,
                "status": "passed" if check.status == "passed" else "failed",
                "output": _test_output(check),
                "output_format": "text",
                # The rubric's visibility, as Gradescope names it (hidden, after_due_date, ...).
                "visibility": check.visibility if check.visibility in VISIBILITIES else "visible",
            }
            for index, check in enumerate(report.checks, start=1)
        ],
        "extra_data": {"grader_version": report.grader_version, "rubric": report.rubric, "status": report.status},
    }
    if isinstance(total_s, (int, float)):
        data["execution_time"] = max(1, round(total_s))
    return data


def render(report: Report) -> str:
    return json.dumps(results(report), indent=2, ensure_ascii=False) + "\n"
