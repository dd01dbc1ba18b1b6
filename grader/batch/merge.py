"""``grader merge``: combine shard outputs (or several batch folders) into one summary.

Reads every report in each folder (by content, not by name, so a shard killed before
writing its summary still counts), copies reports into the output folder when it is a
different one, and writes ``summary.json`` and ``grades.csv`` there. When the same student
appears in two folders, the folder given last wins (a warning says so). Shard manifests
(``grader.batch.manifest``) name missing shards: an error unless ``partial``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import write_text_atomic
from grader.batch.manifest import read_manifests, shard_problems
from grader.batch.summary import StudentResult, build_summary, grades_csv
from grader.errors import GraderError
from grader.reports.loading import looks_like_report, report_from_dict
from grader.reports.outputs import SUFFIXES


@dataclass
class MergeResult:
    summary: dict
    summary_path: Path
    csv_path: Path
    students: int


def _reports_in(folder: Path) -> list[tuple[Path, dict]]:
    found = []
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith(".") or path.name.endswith(SUFFIXES["gradescope"]):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if looks_like_report(data):
            found.append((path, data))
    return found


def _check_shards(folders: Sequence[Path], chosen: dict[str, tuple[Path, dict]], partial: bool,
                  warn: Callable[[str], None]) -> None:
    manifests = [m for folder in dict.fromkeys(f.resolve() for f in folders) for m in read_manifests(folder)]
    problems = shard_problems(manifests)
    unreported = sorted({s for m in manifests for s in m.students} - set(chosen))
    if unreported:
        shown = ", ".join(unreported[:5]) + (f" and {len(unreported) - 5} more" if len(unreported) > 5 else "")
        problems.append(f"{len(unreported)} student(s) listed by a shard have no report: {shown}")
    if problems and not partial:
        raise GraderError("; ".join(problems) + " (--partial merges what is there).")
    for problem in problems:
        warn(problem + ".")


def merge_outputs(folders: Sequence[Path], out_dir: Path, warn: Callable[[str], None] = lambda _m: None,
                  partial: bool = False) -> MergeResult:
    chosen: dict[str, tuple[Path, dict]] = {}
    for folder in folders:
        if not folder.is_dir():
            raise GraderError(f"{folder}: not a folder of batch results.")
        reports = _reports_in(folder)
        if not reports:
            warn(f"{folder}: no reports found.")
        for path, data in reports:
            student = str(data["submission"])
            if student in chosen and chosen[student][0].parent.resolve() != folder.resolve():
                warn(f"{student}: reported in {chosen[student][0].parent} and {folder}; keeping {folder}.")
            chosen[student] = (path, data)
    if not chosen:
        raise GraderError("no reports to merge in " + ", ".join(str(f) for f in folders) + ".")
    _check_shards(folders, chosen, partial, warn)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for student, (path, data) in sorted(chosen.items()):
        if path.parent.resolve() != out_dir.resolve():
            stem = path.name[: -len(".json")]
            for suffix in SUFFIXES.values():
                sibling = path.with_name(stem + suffix)
                if sibling.is_file():
                    shutil.copyfile(sibling, out_dir / sibling.name)
        results.append(StudentResult(student, path.name, report_from_dict(data)))
    summary = build_summary(results)
    summary_path, csv_path = out_dir / "summary.json", out_dir / "grades.csv"
    write_text_atomic(summary_path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(csv_path, grades_csv(summary))
    return MergeResult(summary, summary_path, csv_path, len(results))
