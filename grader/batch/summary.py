"""Class-level results: ``summary.json``, ``grades.csv`` and the closing table.

``summary.json`` (stable field names; the dashboard reads it)::

    {"schema_version": "1.1", "grader_version": ..., "rubric": {...}, "shard": null | "K/N",
     "checks": [{"id", "title", "kind", "max_score"}],
     "students": [{"student", "report", "status", "score", "max_score", "errors",
                   "checks": {check id: {"status", "score"}}}],      # status "review" first
     "stats": {"students", "graded", "review", "timeout", "errors", "max_score", "mean",
               "median", "min", "max",
               "distribution": [{"from", "to", "count"}],   # percent of max, 10 buckets
               "checks": [{"id", "title", "passed", "failed", "error", "skipped", "timeout",
                           "not_applicable", "evaluated", "pass_rate"}],
               "most_failed": [check ids, most failed first]}}

``evaluated`` is passed + failed: the students whose check was decided. ``pass_rate`` is
passed / evaluated: a check that could not be evaluated (error, not-applicable), was not
run (skipped) or ran out of time is not counted as a failure (1.0 readers saw
passed / students).
JSON Schema: ``grader/batch/summary.schema.json``.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from functools import cache
from importlib import resources
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from grader import __version__
from grader.model import Report

SUMMARY_VERSION = "1.1"
BUCKETS = 10


@dataclass
class StudentResult:
    student: str
    report_file: str
    report: Report


@cache
def summary_schema() -> dict[str, Any]:
    return json.loads((resources.files("grader.batch") / "summary.schema.json").read_text(encoding="utf-8"))


def _check_columns(results: Sequence[StudentResult]) -> list[dict[str, Any]]:
    """Every check id seen, in rubric order (custom pytest checks may differ per student)."""
    columns: dict[str, dict[str, Any]] = {}
    for result in results:
        for check in result.report.checks:
            columns.setdefault(check.id, {"id": check.id, "title": check.title, "kind": check.kind,
                                          "max_score": check.max_score})
    return list(columns.values())


def _distribution(percents: list[float]) -> list[dict[str, Any]]:
    counts = [0] * BUCKETS
    for p in percents:
        counts[min(BUCKETS - 1, max(0, int(p // (100 / BUCKETS))))] += 1
    width = 100 // BUCKETS
    return [{"from": i * width, "to": (i + 1) * width, "count": c} for i, c in enumerate(counts)]


_CHECK_STATUSES = {"passed": "passed", "failed": "failed", "error": "error", "skipped": "skipped",
                   "timeout": "timeout", "not-applicable": "not_applicable"}


def _failure_order(check: dict[str, Any]) -> tuple[int, float, str]:
    """Most failed first; a check not evaluated (error, skipped, timeout) is not the student's failure."""
    return (-check["failed"], check["pass_rate"], check["id"])


def build_summary(results: Sequence[StudentResult], shard: str | None = None) -> dict[str, Any]:
    # Submissions to look at first (tampering suspected) lead, then by student id.
    results = sorted(results, key=lambda r: (r.report.status != "review", r.student))
    columns = _check_columns(results)
    students = [
        {
            "student": r.student,
            "report": r.report_file,
            "status": r.report.status,
            "score": r.report.score,
            "max_score": r.report.max_score,
            "errors": list(r.report.errors),
            "checks": {c.id: {"status": c.status, "score": c.score} for c in r.report.checks},
        }
        for r in results
    ]
    scores = [r.report.score for r in results]
    percents = [100 * r.report.score / r.report.max_score if r.report.max_score else 0.0 for r in results]
    check_stats = []
    for column in columns:
        statuses = [s["checks"].get(column["id"], {}).get("status", "skipped") for s in students]
        counts = {field: statuses.count(status) for status, field in _CHECK_STATUSES.items()}
        counts["error"] += sum(1 for s in statuses if s not in _CHECK_STATUSES)  # a status newer than this reader
        evaluated = counts["passed"] + counts["failed"]
        check_stats.append({"id": column["id"], "title": column["title"], **counts, "evaluated": evaluated,
                            "pass_rate": round(counts["passed"] / evaluated, 4) if evaluated else 0.0})
    most_failed = [c["id"] for c in sorted(check_stats, key=_failure_order) if c["failed"] > 0]
    rubrics = {json.dumps(r.report.rubric, sort_keys=True) for r in results}
    return {
        "schema_version": SUMMARY_VERSION,
        "grader_version": __version__,
        "rubric": results[0].report.rubric if len(rubrics) == 1 else {"mixed": sorted(rubrics)},
        "shard": shard,
        "checks": columns,
        "students": students,
        "stats": {
            "students": len(results),
            "graded": sum(1 for r in results if r.report.status == "graded"),
            "review": sum(1 for r in results if r.report.status == "review"),
            "timeout": sum(1 for r in results if r.report.status == "timeout"),
            "errors": sum(1 for r in results if r.report.status == "error"),
            "max_score": max((r.report.max_score for r in results), default=0.0),
            "mean": round(statistics.fmean(scores), 4) if scores else 0.0,
            "median": round(statistics.median(scores), 4) if scores else 0.0,
            "min": min(scores, default=0.0),
            "max": max(scores, default=0.0),
            "distribution": _distribution(percents),
            "checks": check_stats,
            "most_failed": most_failed,
        },
    }


def _safe_cell(text: str) -> str:
    # A student id like "=HYPERLINK(...)" must not become a spreadsheet formula.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def grades_csv(summary: dict[str, Any]) -> str:
    """One row per student, one column per check (points), then total and max."""
    ids = [c["id"] for c in summary["checks"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "status", *ids, "total", "max_score"])
    for s in summary["students"]:
        cells = [f"{s['checks'][i]['score']:g}" if i in s["checks"] else "" for i in ids]
        writer.writerow([_safe_cell(s["student"]), s["status"], *cells, f"{s['score']:g}", f"{s['max_score']:g}"])
    return out.getvalue()


_STATUS_WORDS = {"graded": "graded", "review": "to review", "timeout": "timed out", "error": "could not be graded"}


def _figure(value: float) -> str:
    """A score as people read it: 87.6, not 87.5833."""
    return f"{round(value, 1):g}"


def closing_table(summary: dict[str, Any], top: int = 5, color: bool = False) -> str:
    """The text printed after a batch: statuses, score distribution and the most failed checks."""
    stats = summary["stats"]
    statuses: dict[str, int] = {}
    for student in summary["students"]:
        statuses[student["status"]] = statuses.get(student["status"], 0) + 1
    counted = ", ".join(f"{n} {_STATUS_WORDS.get(s, s)}" for s, n in sorted(
        statuses.items(), key=lambda item: list(_STATUS_WORDS).index(item[0]) if item[0] in _STATUS_WORDS else 9))
    lines = [
        f"{stats['students']} submissions: {counted or 'none'}.",
        f"Score: mean {_figure(stats['mean'])}, median {_figure(stats['median'])}, min {_figure(stats['min'])}, "
        f"max {_figure(stats['max'])} (out of {_figure(stats['max_score'])}).",
        "",
        "Score distribution (% of max):",
    ]
    biggest = max((b["count"] for b in stats["distribution"]), default=0) or 1
    for bucket in stats["distribution"]:
        upper = "100" if bucket["to"] >= 100 else f"<{bucket['to']}"
        bar = "#" * round(30 * bucket["count"] / biggest)
        if color and bar:
            bar = click.style(bar, fg="green" if bucket["from"] >= 60 else "red")
        lines.append(f"  {bucket['from']:>3}-{upper:<4} {bucket['count']:>5}  {bar}")
    failing = sorted((c for c in stats["checks"] if c["failed"] > 0), key=_failure_order)
    if failing:
        lines += ["", "Checks most students failed (of those where it could be decided):"]
        for c in failing[:top]:
            n = c.get("evaluated") or stats["students"] or 1
            lines.append(f"  {c['id']:<28} failed by {c['failed']}/{n} ({100 * c['failed'] / n:.0f}%)  {c['title']}")
    return "\n".join(lines) + "\n"
