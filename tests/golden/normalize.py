"""The part of a report that must not drift: verdicts, scores and findings (no timings).

Used by the golden test and by ``python -m tests.golden.regenerate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.model import Report
from grader.pipeline import grade_path
from grader.scoring.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_submissions"
GOLDEN = Path(__file__).resolve().parent / "expected"


def sample_names() -> list[str]:
    return sorted(p.name for p in SAMPLES.iterdir() if not p.name.startswith((".", "_")) and (p.is_dir() or p.suffix in {".py", ".zip"}))


def normalized(report: Report) -> dict[str, Any]:
    return {
        "submission": report.submission,
        "status": report.status,
        "score": report.score,
        "max_score": report.max_score,
        "checks": {c.id: c.status for c in report.checks},
        "findings": sorted(f"{f.path}:{f.line}:{f.column} {f.code}" for f in report.findings),
        "errors": len(report.errors),
    }


def grade_sample(name: str) -> dict[str, Any]:
    return normalized(grade_path(SAMPLES / name, load_rubric(None)))
