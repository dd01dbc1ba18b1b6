"""The part of a report that must not drift: verdicts, scores, criteria and findings.

Used by the golden tests and by ``python -m tests.golden.regenerate``. Every sample is
graded once per test session, in one batch (as an instructor grades a class).
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from grader.batch.runner import BatchOptions, run_batch
from grader.model import Report
from grader.reports.loading import load_report
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
        "cap": report.cap["percent"] if report.cap and report.cap.get("applied") else None,
        "criteria": {c.id: c.score for c in report.criteria},
        "checks": {c.id: c.status for c in report.checks},
        "findings": sorted(f"{f.path}:{f.line}:{f.column} {f.code}" for f in report.findings),
        "errors": len(report.errors),
    }


@lru_cache(maxsize=1)
def graded_samples() -> dict[str, Report]:
    """Every sample's report, from one ``grader batch`` over ``sample_submissions/``."""
    out = Path(tempfile.mkdtemp(prefix="grader-golden-"))
    run_batch(BatchOptions(SAMPLES, out, load_rubric(None), jobs=2, force=True))
    return {name: load_report(out / f"{name}.json") for name in sample_names()}


def grade_sample(name: str) -> dict[str, Any]:
    return normalized(graded_samples()[name])
