"""The class dashboard: ``OUT_DIR/index.html`` plus ``OUT_DIR/students/<id>.html``.

Built from the per-student JSON reports a batch wrote (and ``summary.json`` when there).
Static HTML files that need nothing else (inline CSS and SVG, one inline script that sorts
the students table, nothing loaded from the network): ``index.html`` and one page per
student in ``students/``, linked to each other. Keep the folder together to share it.
"""

from __future__ import annotations

from pathlib import Path

from grader.atomic import write_text_atomic
from grader.errors import GraderError
from grader.reports.dashboard.data import ClassData, load_class
from grader.reports.dashboard.index_page import render_index
from grader.reports.dashboard.layout import student_file_name
from grader.reports.dashboard.source import read_sources
from grader.reports.dashboard.student_page import render_student

DEFAULT_TITLE = "Class dashboard"


def _title(data: ClassData) -> str:
    for student in data.students:
        rubric = student.report.get("rubric")
        if isinstance(rubric, dict) and rubric.get("title"):
            return f"{rubric['title']}: class dashboard"
    return DEFAULT_TITLE


def write_dashboard(out_dir: Path, submissions_dir: Path | None = None) -> Path:
    """Write the dashboard into ``out_dir`` and return the path of ``index.html``.

    ``submissions_dir`` (the batch's SUBMISSIONS_DIR) lets student pages show the source
    with findings on their lines; without it the pages list the findings only.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise GraderError(f"{out_dir}: no such folder (run `grader batch ... --out {out_dir}` first).")
    if submissions_dir is not None and not Path(submissions_dir).is_dir():
        raise GraderError(f"{submissions_dir}: the submissions folder does not exist.")
    data = load_class(out_dir)
    if not data.students and not data.missing_reports:
        raise GraderError(f"{out_dir}: holds no grading report (*.json); nothing to show.")
    pages = out_dir / "students"
    for student in data.students:
        sources = read_sources(Path(submissions_dir) if submissions_dir else None, student.student)
        write_text_atomic(pages / student_file_name(student.key), render_student(student, sources))
    index = out_dir / "index.html"
    write_text_atomic(index, render_index(data, _title(data)))
    return index


__all__ = ["write_dashboard"]
