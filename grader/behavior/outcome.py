"""What a behavior run returns to the trusted parent (plain data, JSON-serializable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Verdict:
    """One behavior (or custom pytest) check's result."""

    id: str
    status: str  # passed | failed | error | skipped | timeout
    feedback: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    # custom pytest checks carry their own title and points
    title: str | None = None
    points: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "feedback": self.feedback,
            "details": self.details,
            "title": self.title,
            "points": self.points,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            id=str(data["id"]),
            status=str(data["status"]),
            feedback=str(data.get("feedback", "")),
            details=dict(data.get("details") or {}),
            title=data.get("title"),
            points=data.get("points"),
        )


@dataclass
class BehaviorOutcome:
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    # Plain sentences: "main.py imports `pandas`, which is not installed."
    errors: list[str] = field(default_factory=list)
    # Facts about the run: app, route, field, captured output, protections, timings.
    run: dict[str, Any] = field(default_factory=dict)
    # The rubric's pytest outcomes as the child reported them, by "<check>::<test>" id:
    # scoring keeps only the tests the parent found in the instructor's files.
    pytest_reports: dict[str, Verdict] = field(default_factory=dict)
    # The behavior stage cannot run on this machine (not Linux, uvicorn missing): the report
    # is then scored out of the static points, as with --static-only.
    unavailable: bool = False
