"""``grader check``: the score threshold and the GitHub Actions outputs."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.model import Report


@dataclass(frozen=True)
class Threshold:
    value: float
    percent: bool

    def points(self, max_score: float) -> float:
        return max_score * self.value / 100 if self.percent else self.value

    def describe(self, max_score: float) -> str:
        return f"{self.value:g}% ({self.points(max_score):g} points)" if self.percent else f"{self.value:g} points"


def parse_threshold(text: str) -> Threshold:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", text)
    if not match:
        raise GraderError(f"--min-score {text!r}: expected points (60) or a percentage (60%).")
    value, percent = float(match.group(1)), bool(match.group(2))
    if percent and value > 100:
        raise GraderError(f"--min-score {text}: a percentage cannot exceed 100%.")
    return Threshold(value, percent)


def passes(report: Report, threshold: Threshold | None) -> bool:
    if report.status == "error":
        return False
    return threshold is None or report.score + 1e-9 >= threshold.points(report.max_score)


def in_github_actions(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def annotation_locator(target: Path, env: Mapping[str, str] = os.environ) -> Callable[[str], str]:
    """Map a finding's path (relative to the submission) to a path relative to the repository.

    GitHub places annotations by path from the workspace root; a lone ``.py`` is graded as
    ``main.py``, so its findings point back at the real file.
    """
    workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    resolved = target.resolve()

    def relative(path: Path) -> str:
        try:
            return path.relative_to(workspace).as_posix()
        except ValueError:
            return path.as_posix()

    if resolved.is_file():
        shown = relative(resolved)
        return lambda _finding_path: shown
    base = relative(resolved)
    return lambda finding_path: finding_path if base in {"", "."} else f"{base}/{finding_path}"


def append_step_summary(markdown: str, env: Mapping[str, str] = os.environ) -> Path | None:
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown + "\n")
    return path


def student_view(report: Report) -> tuple[Report, int]:
    """What the student running ``grader check`` may see: checks and criteria whose rubric
    visibility is not ``visible`` are left out (the score still counts them); returns the
    number of checks left out."""
    hidden = [c for c in report.checks if c.visibility != "visible"]
    if not hidden:
        return report, 0
    hidden_findings = {f for c in hidden for f in c.findings}
    shown = dataclasses.replace(
        report,
        checks=[c for c in report.checks if c.visibility == "visible"],
        findings=[f for f in report.findings if f not in hidden_findings],
        criteria=[c for c in report.criteria if c.visibility == "visible"],
    )
    return shown, len(hidden)
