"""`grader check`: text summary, GitHub annotations and step summary, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.ci.check import parse_threshold
from grader.cli import main
from grader.errors import GraderError
from tests.reports.samples import BAD_MAIN, GOOD_MAIN, RUBRIC_TEXT


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "rubric.toml").write_text(RUBRIC_TEXT)
    (tmp_path / "app").mkdir()
    return tmp_path


def _check(repo: Path, source: str, *args: str, env: dict[str, str] | None = None):
    (repo / "app" / "main.py").write_text(source)
    base = {"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": "", "GITHUB_WORKSPACE": str(repo)}
    return CliRunner().invoke(main, ["check", str(repo / "app"), "--rubric", str(repo / "rubric.toml"),
                                     "--static-only", *args], env={**base, **(env or {})})


def test_threshold_decides_the_exit_code(repo: Path):
    # --static-only scores out of the static points: 10/10 here.
    assert _check(repo, GOOD_MAIN, "--min-score", "10").exit_code == 0
    assert _check(repo, GOOD_MAIN, "--min-score", "100%").exit_code == 0
    low = _check(repo, GOOD_MAIN, "--min-score", "10.5")
    assert low.exit_code == 1 and "is below the minimum of 10.5 points" in low.output
    assert _check(repo, BAD_MAIN, "--min-score", "1").exit_code == 1
    assert _check(repo, BAD_MAIN).exit_code == 0  # no threshold: only an ungradable submission fails


def test_ungradable_submission_exits_1_and_usage_errors_exit_2(repo: Path, tmp_path: Path):
    (repo / "app" / "main.py").unlink(missing_ok=True)
    empty = CliRunner().invoke(main, ["check", str(repo / "app"), "--static-only", "--min-score", "60%"])
    assert empty.exit_code == 1 and "is below the minimum of 60%" in empty.output  # nothing to grade scores 0
    assert CliRunner().invoke(main, ["check", str(tmp_path / "missing")]).exit_code == 2
    bad = _check(repo, GOOD_MAIN, "--min-score", "lots")
    assert bad.exit_code == 2 and "expected points (60) or a percentage" in bad.output
    assert CliRunner().invoke(main, ["check", "--bogus"]).exit_code == 2


def test_outside_github_actions_only_the_text_summary_is_printed(repo: Path):
    result = _check(repo, BAD_MAIN)
    assert "FAIL" in result.output and "BG001" in result.output
    assert "::error" not in result.output


def test_in_github_actions_annotations_point_at_repo_paths_and_summary_is_appended(repo: Path):
    summary = repo / "step_summary.md"
    summary.write_text("# earlier step\n")
    result = _check(repo, BAD_MAIN, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert "::error file=app/main.py,line=11,col=5,title=BG001::" in result.output
    text = summary.read_text()
    assert text.startswith("# earlier step\n")  # appended, not overwritten
    row = next(line for line in text.splitlines() if "| BG001" in line)
    assert row.startswith("| ❌ |")
    assert "| ❌ |" in next(line for line in text.splitlines() if "|" in line and "Criterion" not in line
                            and "---" not in line)  # the first row is the failed criterion


def test_a_single_file_is_annotated_at_its_own_path(repo: Path):
    (repo / "solution.py").write_text(BAD_MAIN)
    result = CliRunner().invoke(main, ["check", str(repo / "solution.py"), "--rubric", str(repo / "rubric.toml"),
                                       "--static-only"],
                                env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "",
                                     "GITHUB_WORKSPACE": str(repo)})
    assert "::error file=solution.py,line=11,col=5,title=BG001::" in result.output


def test_parse_threshold():
    assert parse_threshold("60").points(200) == 60
    assert parse_threshold("60%").points(200) == 120
    for bad in ["", "-1", "101%", "x%"]:
        with pytest.raises(GraderError):
            parse_threshold(bad)


def test_check_never_shows_what_the_rubric_hides(repo: Path):
    rubric = repo / "rubric.toml"
    rubric.write_text(rubric.read_text().replace('id = "BG001"\npoints = 10',
                                                 'id = "BG001"\npoints = 10\nvisibility = "hidden"'))
    assert 'visibility = "hidden"' in rubric.read_text()
    result = _check(repo, BAD_MAIN, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(repo / "s.md")})
    assert "BG001" not in result.output and "BG001" not in (repo / "s.md").read_text()
    assert "1 hidden check(s) are not shown here" in result.output
