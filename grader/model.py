"""The report data model shared by every stage (the JSON report is its serialization).

Field names here are a public contract: they appear verbatim in the JSON report and its
JSON Schema (``grader/reports/report.schema.json``). Add fields; never rename them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Literal

SCHEMA_VERSION = "1.1"

CheckKind = Literal["static", "behavior", "pytest"]
# timeout: the run's time limit came before this check was measured (slow is not broken);
# not-applicable: there was nothing to check (no upload endpoint): no points, no failure.
CheckStatus = Literal["passed", "failed", "error", "skipped", "timeout", "not-applicable"]
# review: graded, but the code reaches into the grader or the runtime (INT001): an
# instructor should read it; timeout: graded, but some checks were not measured in time.
ReportStatus = Literal["graded", "review", "timeout", "error"]
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    ADVICE = "advice"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class Finding:
    """One static-analysis finding at an exact source location (1-based line, 1-based column)."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            path=data["path"],
            line=data["line"],
            column=data["column"],
            code=data["code"],
            severity=Severity(data["severity"]),
            message=data["message"],
        )


@dataclass
class CheckResult:
    """The verdict of one rubric check."""

    id: str
    kind: CheckKind
    title: str
    status: CheckStatus
    score: float
    max_score: float
    feedback: str = ""
    findings: list[Finding] = field(default_factory=list)
    # Behavior checks: what was sent, what came back, measured figures.
    details: dict[str, Any] = field(default_factory=dict)
    criterion: str | None = None
    visibility: Visibility = "visible"

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "feedback": self.feedback,
            "findings": [f.to_dict() for f in self.findings],
            "details": self.details,
            "visibility": self.visibility,
        }
        if self.criterion is not None:
            data["criterion"] = self.criterion
        return data


@dataclass
class CriterionResult:
    """One learning objective of the rubric: its checks, its points and how it went."""

    id: str
    title: str
    status: Literal["passed", "partial", "failed", "not-measured"]
    score: float
    max_score: float
    checks: list[str]
    core: bool = False
    partial: Literal["each", "all"] = "each"
    description: str = ""
    visibility: Visibility = "visible"
    # Why the criterion's score is what it is, in one sentence (shown to the student).
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "checks": list(self.checks),
            "core": self.core,
            "partial": self.partial,
            "description": self.description,
            "visibility": self.visibility,
            "summary": self.summary,
        }


@dataclass
class Report:
    """The whole grading result of one submission."""

    submission: str
    rubric: dict[str, Any]
    score: float
    max_score: float
    status: ReportStatus
    checks: list[CheckResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Behavior run facts: captured output (cut), protections active, timings, versions.
    run: dict[str, Any] = field(default_factory=dict)
    grader_version: str = ""
    schema_version: str = SCHEMA_VERSION
    criteria: list[CriterionResult] = field(default_factory=list)
    # Set when a failed check or core criterion capped the total: {"at": points, "because": ...}.
    cap: dict[str, Any] | None = None
    # "full" (static + behavior), "static-only" (behavior not run: out of the static points).
    mode: str = "full"

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; every string printable (see :func:`printable`)."""
        return printable({
            "schema_version": self.schema_version,
            "grader_version": self.grader_version,
            "submission": self.submission,
            "rubric": self.rubric,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "checks": [c.to_dict() for c in self.checks],
            "findings": [f.to_dict() for f in self.findings],
            "errors": list(self.errors),
            "run": self.run,
            "criteria": [c.to_dict() for c in self.criteria],
            "cap": self.cap,
            "mode": self.mode,
        })


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable_text(text: str) -> str:
    """``text`` as any writer can take it: bytes that were not UTF-8 (file names decoded
    with surrogateescape), lone surrogates (from the student's JSON) and control
    characters (terminal escapes) become U+FFFD; newlines and tabs stay."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return _CONTROL.sub("\ufffd", text)


def printable(value: Any) -> Any:
    """Every string in ``value`` (dicts, lists, keys included) made printable."""
    if isinstance(value, str):
        return printable_text(value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    """Dataclass-aware conversion used by report writers."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    try:
        return asdict(value)
    except TypeError:
        return value
