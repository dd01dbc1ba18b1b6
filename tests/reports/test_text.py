"""The text report and the feedback every format shares: advice as advice, one line per problem."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.pipeline import grade_path
from grader.reports import github, gradescope, junit, markdown, text
from grader.scoring.rubric import load_rubric
from tests.reports.samples import BAD_MAIN, hostile_report

ROOT = Path(__file__).resolve().parents[2]
ADVICE_ONLY = ROOT / "sample_submissions" / "bg007_no_error_handling"


def _static(path: Path):
    return grade_path(path, load_rubric(None), run_behavior=False)


def test_advice_on_an_unscored_check_reads_as_advice_not_pass():
    rendered = text.render(_static(ADVICE_ONLY))
    line = next(row for row in rendered.splitlines() if "BG007" in row and not row.startswith(" "))
    assert line.startswith("TIP ") and "advice, no points lost" in line and "PASS" not in line
    assert "main.py:14:5: BG007 this background task has no try/except" in rendered
    # unscored checks that found nothing are not listed as "PASS 0/0"
    assert not re.search(r"PASS +0/0", rendered)


def test_a_file_that_does_not_parse_is_one_line_and_the_static_checks_one_more(tmp_path: Path):
    (tmp_path / "main.py").write_text("def f(:\n    pass\n")
    rendered = text.render(_static(tmp_path))
    assert rendered.count("syntax error") == 1
    static_lines = [row for row in rendered.splitlines() if row.startswith("ERR")]
    assert len(static_lines) == 1 and "static checks could not be checked" in static_lines[0]
    assert "no Python file could be parsed" in rendered.split(static_lines[0], 1)[1].splitlines()[1]


def test_binary_garbage_is_not_python_source_not_an_encoding_problem(tmp_path: Path):
    (tmp_path / "main.py").write_bytes(bytes(range(256)) * 4)
    report = _static(tmp_path)
    assert report.errors[0] == "main.py: not Python source: the file holds binary data, not text"
    assert "encoding" not in text.render(report)
    (tmp_path / "main.py").write_bytes('x = "café"\n'.encode("latin-1"))
    assert "not UTF-8 text: save it as UTF-8" in _static(tmp_path).errors[0]


def test_every_student_format_stands_on_its_own(tmp_path: Path):
    """No command to run: a student on Gradescope or reading a CI log cannot run the grader."""
    (tmp_path / "main.py").write_text(BAD_MAIN)
    report = _static(tmp_path)
    for rendered in (text.render(report), markdown.render(report), gradescope.render(report), junit.render(report),
                     github.render(report)):
        assert "grader explain" not in rendered and "Run `" not in rendered
        assert "save the upload in the endpoint and pass the saved path" in rendered  # the fix travels with the finding
    advice = json.loads(gradescope.render(_static(ADVICE_ONLY)))
    bg007 = next(t for t in advice["tests"] if t["name"].startswith("BG007"))
    assert bg007["status"] == "passed" and bg007["output"].startswith("Advice (no points lost).")


def test_quiet_and_verbose_and_colour(tmp_path: Path):
    report = hostile_report()
    quiet = text.render(report, quiet=True)
    assert "PASS" not in quiet and "FAIL" in quiet and "SKIP" not in quiet
    verbose = text.render(report, verbose=True)
    assert "PASS" in verbose and "task-completes" in verbose
    coloured = text.render(report, color=True)
    assert "\x1b[31m" in coloured and re.sub(r"\x1b\[[0-9;]*m", "", coloured) == text.render(report)


def test_cli_colour_only_on_a_terminal_without_no_color(tmp_path: Path):
    (tmp_path / "main.py").write_text(BAD_MAIN)
    args = ["grade", str(tmp_path), "--static-only", "--format", "text"]
    assert "\x1b[" not in CliRunner().invoke(main, args).output  # not a terminal
    forced = CliRunner().invoke(main, args, color=True, env={"NO_COLOR": ""})
    assert "\x1b[" in forced.output
    assert "\x1b[" not in CliRunner().invoke(main, args, color=True, env={"NO_COLOR": "1"}).output


def test_student_text_cannot_drive_the_terminal():
    report = hostile_report()
    report.submission = "eve\x1b]0;owned\x07\ud800"
    rendered = text.render(report, verbose=True, color=True)
    styles = re.sub(r"\x1b\[[0-9;]*m", "", rendered)  # our own colours only
    assert "\x1b" not in styles and "\r" not in styles and "\x07" not in styles
    rendered.encode("utf-8")  # no lone surrogate left to crash the terminal write
