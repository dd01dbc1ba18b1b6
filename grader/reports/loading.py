"""Rebuild a :class:`Report` from its JSON form (batch resume and ``grader merge``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.model import CheckResult, CriterionResult, Finding, Report


def report_from_dict(data: dict[str, Any]) -> Report:
    return Report(
        submission=str(data["submission"]),
        rubric=dict(data.get("rubric") or {}),
        score=float(data["score"]),
        max_score=float(data["max_score"]),
        status=data["status"],
        checks=[
            CheckResult(
                id=c["id"],
                kind=c["kind"],
                title=c.get("title", c["id"]),
                status=c["status"],
                score=float(c["score"]),
                max_score=float(c["max_score"]),
                feedback=c.get("feedback", ""),
                findings=[Finding.from_dict(f) for f in c.get("findings", [])],
                details=dict(c.get("details") or {}),
                criterion=c.get("criterion"),
                visibility=c.get("visibility", "visible"),
            )
            for c in data.get("checks", [])
        ],
        # Reports of schema 1.0 have no criteria, cap or mode: read as such (old readers and
        # old reports both keep working).
        criteria=[
            CriterionResult(
                id=c["id"], title=c.get("title", c["id"]), status=c.get("status", "passed"),
                score=float(c["score"]), max_score=float(c["max_score"]), checks=list(c.get("checks", [])),
                core=bool(c.get("core", False)), partial=c.get("partial", "each"),
                description=c.get("description", ""), visibility=c.get("visibility", "visible"),
                summary=c.get("summary", ""),
            )
            for c in data.get("criteria", [])
        ],
        cap=data.get("cap"),
        mode=str(data.get("mode", "full")),
        findings=[Finding.from_dict(f) for f in data.get("findings", [])],
        errors=[str(e) for e in data.get("errors", [])],
        run=dict(data.get("run") or {}),
        grader_version=str(data.get("grader_version", "")),
        schema_version=str(data.get("schema_version", "1.0")),
    )


def looks_like_report(data: Any) -> bool:
    return isinstance(data, dict) and {"schema_version", "submission", "checks", "status"} <= set(data)


def load_report(path: Path) -> Report:
    """Read one of our JSON reports; a damaged file is a one-line GraderError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not looks_like_report(data):
            raise ValueError("not a grader report")
        return report_from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GraderError(f"{path}: cannot read the report ({exc}).") from None
