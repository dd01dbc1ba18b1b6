"""The class dashboard: numbers, pages, escaping of hostile input, the CLI command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.errors import GraderError
from grader.reports.dashboard import write_dashboard
from grader.reports.dashboard.data import load_class
from grader.reports.dashboard.layout import SCRIPT_HASH, SORT_SCRIPT, student_file_name
from tests.dashboard.class_builder import HOSTILE_NAME, build_class


@pytest.fixture()
def graded_class(tmp_path: Path) -> tuple[Path, Path]:
    return build_class(tmp_path)


def _pages(out: Path) -> dict[str, str]:
    pages = {"index.html": (out / "index.html").read_text(encoding="utf-8")}
    for page in (out / "students").iterdir():
        pages[f"students/{page.name}"] = page.read_text(encoding="utf-8")
    return pages


def test_class_numbers_come_from_the_reports(graded_class):
    _, out = graded_class
    data = load_class(out)
    assert sorted(s.student for s in data.students) == sorted(["alice", "bob", "carol", HOSTILE_NAME])
    assert sum(data.histogram()) == 4
    rates = {r.id: r for r in data.check_rates()}
    assert (rates["app-loads"].passed, rates["app-loads"].total) == (4, 4)
    # Only alice passes saved-file-intact; the others fail it or skip it (prerequisite).
    assert rates["saved-file-intact"].passed == 1
    assert rates["saved-file-intact"].failed + rates["saved-file-intact"].skipped == 3
    findings = {f.code: f for f in data.common_findings()}
    # bob, carol and the hostile one read the upload inside add_task's arguments.
    assert findings["BG001"].students == 3
    assert "alice" not in {s.student for s in data.students if any(f["code"] == "BG001" for f in s.findings)}


def test_histogram_bands_put_full_marks_in_the_last_band(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, score in (("a", 0), ("b", 5), ("c", 10), ("d", 9.99)):
        (out / f"{name}.json").write_text(json.dumps({"score": score, "max_score": 10, "checks": [], "status": "graded"}))
    assert load_class(out).histogram() == [1, 0, 0, 0, 0, 1, 0, 0, 0, 2]


def test_index_shows_charts_findings_explain_and_links(graded_class):
    subs, out = graded_class
    index = write_dashboard(out, subs)
    assert index == out / "index.html"
    html = index.read_text(encoding="utf-8")
    assert html.count("<svg") == 2  # histogram + pass-rate bars
    assert 'id="rule-BG001"' in html
    # grader explain BG001's text, inline and rendered: headings and code blocks, not raw Markdown
    assert "<h4>Why is this bad?</h4>" in html and '<pre class="code">' in html
    assert "## Why" not in html and "```" not in html
    for student in ("alice", "bob", "carol"):
        assert f'href="students/{student}.html"' in html
        assert (out / "students" / f"{student}.html").is_file()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from a CDN


def test_student_page_puts_findings_on_their_source_lines(graded_class):
    subs, out = graded_class
    write_dashboard(out, subs)
    bob = (out / "students" / "bob.html").read_text(encoding="utf-8")
    report = json.loads((out / "bob.json").read_text())
    finding = next(f for f in report["findings"] if f["code"] == "BG001")
    line = finding["line"]
    # The flagged line is highlighted and followed by the annotation naming the code.
    row = re.search(rf'<tr class="hit" id="main.py-L{line}">.*?</tr><tr class="annot [a-z]+">(.*?)</tr>', bob)
    assert row, "BG001's line is not annotated"
    assert "BG001" in row.group(1)
    assert "add_task(save, await file.read())" in bob
    # The zip submission's source is read through the archive.
    carol = (out / "students" / "carol.html").read_text(encoding="utf-8")
    assert 'id="app/main.py-L' in carol and 'class="annot ' in carol


def test_hostile_code_names_and_output_are_escaped(graded_class):
    subs, out = graded_class
    write_dashboard(out, subs)
    pages = _pages(out)
    hostile_page = f"students/{student_file_name(HOSTILE_NAME)}"
    assert hostile_page in pages
    assert student_file_name(HOSTILE_NAME).endswith(".html") and "<" not in student_file_name(HOSTILE_NAME)
    for name, html in pages.items():
        html = html.replace(f"<script>{SORT_SCRIPT}</script>", "")  # the page's own sorter, allowed by its hash
        assert "<script" not in html.lower(), name
        assert "<img" not in html.lower(), name
        assert "onerror=alert(1)>" not in html, name
    page = pages[hostile_page]
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#x27;output&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;feedback&lt;/b&gt;" in page  # feedback is text, not markup


def test_student_page_without_submissions_lists_findings_only(graded_class):
    _, out = graded_class
    write_dashboard(out, None)
    bob = (out / "students" / "bob.html").read_text(encoding="utf-8")
    assert "built without --submissions" in bob
    assert "main.py:" in bob and "BG001" in bob
    assert 'class="source"' not in bob


def test_page_names_are_safe_and_distinct():
    assert student_file_name("alice") == "alice.html"
    names = {student_file_name(n) for n in ("a b", "a_b", "a/b", "../x", "..", "")}
    assert len(names) == 6
    for name in names:
        assert "/" not in name and not name.startswith(".")


def test_files_that_are_not_reports_are_skipped_and_named(graded_class):
    subs, out = graded_class
    (out / "notes.json").write_text("{not json")
    (out / "other.json").write_text('{"hello": 1}')
    (out / "bob.gradescope.json").write_text('{"score": 1, "tests": []}')  # another format: silent
    html = write_dashboard(out, subs).read_text(encoding="utf-8")
    assert "notes.json" in html and "other.json" in html
    assert "gradescope" not in html
    assert not (out / "students" / "notes.html").exists()


def test_summary_json_lists_the_students_and_their_report_files(graded_class):
    """The batch's summary.json names each student's report (``index.student.json`` for
    reserved ids); a listed student whose report is gone is shown as missing."""
    subs, out = graded_class
    (out / "alice.json").rename(out / "alice.student.json")
    summary = {"students": [
        {"student": "alice", "report": "alice.student.json"},
        {"student": "bob", "report": "bob.json"},
        {"student": "dave", "report": "dave.json"},
        {"student": "eve", "report": "../../etc/passwd"},
    ]}
    (out / "summary.json").write_text(json.dumps(summary))
    data = load_class(out)
    assert [s.student for s in data.students] == ["alice", "bob"]
    assert data.students[0].key == "alice.student"
    assert data.missing_reports == ["dave", "eve"]
    html = write_dashboard(out, subs).read_text(encoding="utf-8")
    assert 'href="students/alice.student.html"' in html
    assert "report file is missing" in html
    # alice's page still finds her folder (named by the student id, not the report file).
    alice = (out / "students" / "alice.student.html").read_text(encoding="utf-8")
    assert 'class="source"' in alice


def test_batch_html_flag_writes_the_dashboard(tmp_path):
    subs, _ = build_class(tmp_path)
    out = tmp_path / "batch-out"
    result = CliRunner().invoke(main, ["batch", str(subs), "--out", str(out), "--static-only", "--jobs", "1", "--html"])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    for student in ("alice", "bob", "carol"):
        assert f'href="students/{student}.html"' in html
    assert (out / "students" / "carol.html").read_text(encoding="utf-8").count('class="annot ') >= 1


def test_missing_or_empty_out_dir_is_a_clear_error(tmp_path):
    with pytest.raises(GraderError, match="no such folder"):
        write_dashboard(tmp_path / "nope", None)
    with pytest.raises(GraderError, match="no grading report"):
        write_dashboard(tmp_path, None)


def test_cli_dashboard_command(graded_class):
    subs, out = graded_class
    result = CliRunner().invoke(main, ["dashboard", str(out), "--submissions", str(subs)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out / "index.html")
    bad = CliRunner().invoke(main, ["dashboard", str(out / "missing")])
    assert bad.exit_code == 2
    assert bad.output.count("\n") == 1 and "grader: error:" in bad.output


def test_students_table_sorts_and_only_its_own_script_may_run(graded_class):
    subs, out = graded_class
    html = write_dashboard(out, subs).read_text(encoding="utf-8")
    assert html.count("<script") == 1 and f"script-src '{SCRIPT_HASH}'" in html
    table = re.search(r'<table class="sortable" id="students"><thead>(.*?)</thead><tbody>(.*?)</tbody>', html)
    assert table and table.group(1).count("<th>") == 7
    assert 'data-sort="' in table.group(2)
    student_pages = [p for name, p in _pages(out).items() if name.startswith("students/")]
    assert all("<script" not in p for p in student_pages)  # no script where none is needed


def test_names_with_control_characters_and_lone_surrogates_are_written(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    weird = "eve\x1b[31m\x00\ud800"
    report = {"schema_version": "1.0", "submission": weird, "score": 1, "max_score": 2, "status": "graded",
              "checks": [{"id": "app-loads", "kind": "behavior", "title": "t", "status": "failed", "score": 0,
                          "max_score": 2, "feedback": "route /up\ud800load\x07", "findings": [], "details": {}}],
              "findings": [], "errors": [], "run": {"output": "\x1b]0;owned\x07"}}
    (out / "eve.json").write_text(json.dumps(report), encoding="utf-8")
    write_dashboard(out)
    for name, html in _pages(out).items():
        assert "\x1b" not in html and "\x00" not in html and "\x07" not in html, name
        assert "eve\ufffd[31m" in html or name.startswith("students/")


def test_advice_is_shown_as_advice_on_the_student_page(tmp_path: Path):
    from grader.pipeline import grade_path
    from grader.scoring.rubric import load_rubric

    sample = Path(__file__).resolve().parents[2] / "sample_submissions" / "bg007_no_error_handling"
    out = tmp_path / "out"
    out.mkdir()
    report = grade_path(sample, load_rubric(None), run_behavior=False, name="dan")
    (out / "dan.json").write_text(json.dumps(report.to_dict()), encoding="utf-8")
    write_dashboard(out)
    page = (out / "students" / "dan.html").read_text(encoding="utf-8")
    row = next(block for block in page.split('<div class="check">') if "<code>BG007</code>" in block)
    assert '<span class="badge advice">advice</span>' in row and "no try/except" in row
