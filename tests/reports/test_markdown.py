"""Markdown: the table keeps its shape and code fences stay closed whatever the feedback."""

from __future__ import annotations

import re
from pathlib import Path

from grader.pipeline import grade_path
from grader.reports import markdown
from tests.reports.samples import BAD_MAIN, hostile_report, test_rubric


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            # split on pipes not escaped with a backslash (GFM table rule)
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def _fences_balanced(text: str) -> bool:
    open_fence = None
    for line in text.splitlines():
        match = re.match(r"^(`{3,})", line)
        if not match:
            continue
        if open_fence is None:
            open_fence = match.group(1)
        elif line.strip() == open_fence:
            open_fence = None
    return open_fence is None


def test_table_has_one_row_per_check_and_three_cells_each():
    text = markdown.render(hostile_report())
    rows = _table_rows(text)
    assert len(rows) == 2 + 4
    assert all(len(r) == 3 for r in rows)
    assert rows[2][2] == "0/10" and rows[3][2] == "2/2"


def test_hostile_feedback_cannot_close_its_fence_or_inject_html():
    text = markdown.render(hostile_report())
    assert _fences_balanced(text)
    assert "````text" in text  # longer than the ``` inside the feedback
    assert "<tag>" not in text.split("### Feedback")[0]
    assert 'student, "x" &lt;y&gt;' in text.splitlines()[0]
    assert "\x00" not in text.split("### Feedback")[0]


def test_real_report_lists_the_failing_rule_and_the_not_run_reason(tmp_path: Path):
    (tmp_path / "main.py").write_text(BAD_MAIN)
    report = grade_path(tmp_path, test_rubric(), run_behavior=False)
    text = markdown.render(report)
    assert text.startswith(f"## {tmp_path.name}: 0/{report.max_score:g}")
    assert "main.py:11:5: BG001" in text
    # The two behavior checks share one reason: one row, the reason said once.
    assert "| ⏭️ | 2 behavior checks not run (app-loads, saved-file-intact) |" in text
    assert text.count("static analysis only") == 1
