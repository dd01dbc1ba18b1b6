"""The class's numbers, read from a batch output folder (``OUT_DIR/<student>.json``).

Reports are read back as plain dicts (the JSON report is the contract, and a folder may
hold reports from an older grader). A file that is not a report is listed as skipped,
never a crash: the dashboard is built from whatever is there.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Files a batch writes next to the reports that are not per-student reports.
NOT_REPORTS = frozenset({"summary.json", "index.json"})
HISTOGRAM_BINS = 10


@dataclass
class StudentReport:
    student: str  # the student id the batch used (folder name or file stem)
    report: dict[str, Any]
    key: str = ""  # the report's file stem in OUT_DIR: unique, names the student's page

    def __post_init__(self) -> None:
        self.key = self.key or self.student

    @property
    def score(self) -> float:
        return _number(self.report.get("score"))

    @property
    def max_score(self) -> float:
        return _number(self.report.get("max_score"))

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score > 0 else 0.0

    @property
    def status(self) -> str:
        return str(self.report.get("status", "error"))

    @property
    def checks(self) -> list[dict[str, Any]]:
        return [c for c in self.report.get("checks") or [] if isinstance(c, dict)]

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [f for f in self.report.get("findings") or [] if isinstance(f, dict)]

    @property
    def errors(self) -> list[str]:
        return [str(e) for e in self.report.get("errors") or []]


@dataclass(frozen=True)
class CheckRate:
    id: str
    title: str
    passed: int
    total: int  # students whose report has this check
    failed: int = 0
    skipped: int = 0  # not decided: skipped, error, timeout, not applicable (not the student's failure)

    @property
    def evaluated(self) -> int:
        return self.passed + self.failed

    @property
    def rate(self) -> float:
        """Passed among the students where the check was decided (passed or failed)."""
        return self.passed / self.evaluated if self.evaluated else 0.0


@dataclass(frozen=True)
class FindingCount:
    code: str
    students: int  # students with at least one finding of this code
    occurrences: int
    example_message: str


@dataclass
class ClassData:
    students: list[StudentReport]
    skipped_files: list[str] = field(default_factory=list)
    # Students summary.json lists but whose report file is missing.
    missing_reports: list[str] = field(default_factory=list)

    @property
    def percents(self) -> list[float]:
        return [s.percent for s in self.students]

    def mean_percent(self) -> float | None:
        return statistics.fmean(self.percents) if self.students else None

    def median_percent(self) -> float | None:
        return statistics.median(self.percents) if self.students else None

    def histogram(self, bins: int = HISTOGRAM_BINS) -> list[int]:
        """Counts of students per score band of 100/bins percent; 100 % joins the last band."""
        counts = [0] * bins
        for percent in self.percents:
            index = min(int(max(percent, 0.0) * bins // 100), bins - 1)
            counts[index] += 1
        return counts

    def check_rates(self) -> list[CheckRate]:
        """Pass rate of every check, in the order the rubric lists them."""
        order: dict[str, str] = {}
        passed: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for student in self.students:
            for check in student.checks:
                check_id = str(check.get("id", "?"))
                order.setdefault(check_id, str(check.get("title") or check_id))
                total[check_id] += 1
                status = check.get("status")
                if status == "passed":
                    passed[check_id] += 1
                elif status == "failed":
                    failed[check_id] += 1
                else:
                    skipped[check_id] += 1
        return [
            CheckRate(cid, title, passed[cid], total[cid], failed[cid], skipped[cid])
            for cid, title in order.items()
        ]

    def common_findings(self) -> list[FindingCount]:
        """Finding codes by how many students have them, most widespread first."""
        students: Counter[str] = Counter()
        occurrences: Counter[str] = Counter()
        messages: dict[str, str] = {}
        for student in self.students:
            codes = [str(f.get("code", "?")) for f in student.findings]
            occurrences.update(codes)
            students.update(set(codes))
            for finding in student.findings:
                messages.setdefault(str(finding.get("code", "?")), str(finding.get("message", "")))
        ranked = sorted(students, key=lambda code: (-students[code], -occurrences[code], code))
        return [FindingCount(c, students[c], occurrences[c], messages.get(c, "")) for c in ranked]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value)


def _looks_like_report(data: Any) -> bool:
    return isinstance(data, dict) and "checks" in data and "score" in data and "max_score" in data


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def _is_other_output(name: str) -> bool:
    """Batch outputs that are not our per-student report (summaries, Gradescope files)."""
    if name.startswith(("summary.", ".")) or name in NOT_REPORTS:
        return True
    from grader.reports.outputs import SUFFIXES

    return any(name.endswith(suffix) for suffix in SUFFIXES.values() if suffix != ".json")


def load_class(out_dir: Path) -> ClassData:
    """Students from ``summary.json`` when the batch wrote one, else every report file."""
    summary = _read_json(out_dir / "summary.json")
    listed = summary.get("students") if isinstance(summary, dict) else None
    if isinstance(listed, list) and listed:
        return _load_listed(out_dir, listed)
    return _load_globbed(out_dir)


def _load_listed(out_dir: Path, listed: list[Any]) -> ClassData:
    data = ClassData([])
    for item in listed:
        if not isinstance(item, dict) or not isinstance(item.get("student"), str):
            continue
        student, report_name = item["student"], item.get("report")
        # The summary is a file in a folder someone handed us: only plain names in OUT_DIR.
        if not isinstance(report_name, str) or Path(report_name).name != report_name or report_name in {"", ".", ".."}:
            report_name = f"{student}.json"
        path = out_dir / report_name
        if not path.is_file():
            data.missing_reports.append(student)
            continue
        report = _read_json(path)
        if not _looks_like_report(report):
            data.skipped_files.append(report_name)
            continue
        data.students.append(StudentReport(student, report, path.stem))
    return data


def _load_globbed(out_dir: Path) -> ClassData:
    data = ClassData([])
    for path in sorted(out_dir.glob("*.json")):
        if _is_other_output(path.name):
            continue
        report = _read_json(path)
        if not _looks_like_report(report):
            data.skipped_files.append(path.name)
            continue
        submission = report.get("submission")
        student = submission if isinstance(submission, str) and submission else path.stem
        data.students.append(StudentReport(student, report, path.stem))
    return data
