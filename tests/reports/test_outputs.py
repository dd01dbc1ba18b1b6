"""--format parsing, sibling file names, and `grader grade` writing several formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.errors import GraderError
from grader.reports.outputs import parse_formats, sibling_paths
from tests.reports.samples import BAD_MAIN


def test_parse_formats_accepts_repeats_and_comma_lists_in_order():
    assert parse_formats(["json, junit", "sarif", "json"]) == ["json", "junit", "sarif"]
    with pytest.raises(GraderError, match="unknown report format 'xml'"):
        parse_formats(["json,xml"])


def test_sibling_names_replace_the_known_suffix():
    paths = sibling_paths(Path("out/report.json"), ["json", "junit", "gradescope", "markdown"])
    assert paths == {
        "json": Path("out/report.json"),
        "junit": Path("out/report.junit.xml"),
        "gradescope": Path("out/report.gradescope.json"),
        "markdown": Path("out/report.md"),
    }
    assert sibling_paths(Path("r.junit.xml"), ["junit"]) == {"junit": Path("r.junit.xml")}
    assert sibling_paths(Path("r.junit.xml"), ["junit", "sarif"])["sarif"] == Path("r.sarif")


def test_grade_writes_each_format_to_its_sibling(tmp_path: Path):
    sub = tmp_path / "alice"
    sub.mkdir()
    (sub / "main.py").write_text(BAD_MAIN)
    out = tmp_path / "out" / "alice.json"
    result = CliRunner().invoke(main, ["grade", str(sub), "--static-only", "--format", "json,junit",
                                       "--format", "sarif", "--format", "gradescope", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["submission"] == "alice"
    ET.parse(tmp_path / "out" / "alice.junit.xml")
    assert json.loads((tmp_path / "out" / "alice.sarif").read_text())["version"] == "2.1.0"
    assert "tests" in json.loads((tmp_path / "out" / "alice.gradescope.json").read_text())


def test_several_formats_without_output_is_a_usage_error(tmp_path: Path):
    (tmp_path / "main.py").write_text(BAD_MAIN)
    result = CliRunner().invoke(main, ["grade", str(tmp_path), "--static-only", "--format", "json,junit"])
    assert result.exit_code == 2
    assert "need --output" in result.output
    bad = CliRunner().invoke(main, ["grade", str(tmp_path), "--static-only", "--format", "yaml"])
    assert bad.exit_code == 2 and "unknown report format 'yaml'" in bad.output


@pytest.mark.parametrize("fmt", ["github", "markdown", "text"])
def test_single_text_formats_print_to_stdout(tmp_path: Path, fmt: str):
    (tmp_path / "main.py").write_text(BAD_MAIN)
    result = CliRunner().invoke(main, ["grade", str(tmp_path), "--static-only", "--format", fmt])
    assert result.exit_code == 0
    assert "BG001" in result.output
