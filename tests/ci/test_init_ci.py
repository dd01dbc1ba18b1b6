"""`grader init-ci`: the workflow's own `run:` commands, run in a shell against a student repo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from grader import __version__
from grader.ci.workflow import WORKFLOW_PATH, WorkflowOptions, run_commands, workflow_yaml
from grader.cli import main
from tests.reports.samples import BAD_MAIN, GOOD_MAIN, RUBRIC_TEXT

VENV_BIN = str(Path(sys.executable).parent)


def _student_repo(tmp_path: Path, source: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text(source)
    (repo / "rubric.toml").write_text(RUBRIC_TEXT)
    return repo


def _run_workflow(repo: Path, tmp_path: Path) -> tuple[int, str, str]:
    """Run the workflow's steps like the runner: bash -e per step, stop at the first failure."""
    steps = run_commands((repo / WORKFLOW_PATH).read_text())
    summary = tmp_path / "step_summary.md"
    env = {**os.environ, "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""), "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(repo)}
    output = []
    for name, command in steps:
        if name == "Install the grader":
            # The grader is already installed (editable) in this venv: check that instead of
            # fetching it from PyPI.
            command = "python -m pip show fastapi-grader >/dev/null"
        done = subprocess.run(["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=300)
        output.append(done.stdout + done.stderr)
        if done.returncode != 0:
            return done.returncode, "".join(output), summary.read_text() if summary.exists() else ""
    return 0, "".join(output), summary.read_text() if summary.exists() else ""


def test_written_workflow_grades_the_repo_and_fails_below_the_threshold(tmp_path: Path):
    repo = _student_repo(tmp_path, GOOD_MAIN)
    result = CliRunner().invoke(main, ["init-ci", "--dir", str(repo), "--min-score", "60%",
                                       "--rubric", "rubric.toml", "--static-only"])
    assert result.exit_code == 0, result.output
    code, output, summary = _run_workflow(repo, tmp_path)
    assert code == 0, output
    assert "PASS" in output and "::notice title=fastapi-grader::Score 10/15" in output
    assert "## repo: 10/15" in summary

    (repo / "main.py").write_text(BAD_MAIN)
    code, output, _ = _run_workflow(repo, tmp_path)
    assert code == 1
    assert "::error file=main.py,line=11,col=5,title=BG001::" in output


def test_workflow_installs_from_pypi_or_git_and_is_not_overwritten_silently(tmp_path: Path):
    pypi = workflow_yaml(WorkflowOptions())
    assert dict(run_commands(pypi))["Install the grader"] == f"python -m pip install fastapi-grader=={__version__}"
    assert dict(run_commands(pypi))["Grade"] == "grader check ."
    git = workflow_yaml(WorkflowOptions(git_url="https://example.org/course/grader.git"))
    assert "pip install git+https://example.org/course/grader.git" in dict(run_commands(git))["Install the grader"]
    repo = _student_repo(tmp_path, GOOD_MAIN)
    assert CliRunner().invoke(main, ["init-ci", "--dir", str(repo)]).exit_code == 0
    again = CliRunner().invoke(main, ["init-ci", "--dir", str(repo)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert CliRunner().invoke(main, ["init-ci", "--dir", str(repo), "--force"]).exit_code == 0
    assert CliRunner().invoke(main, ["init-ci", "--dir", str(repo), "--force", "--min-score", "x"]).exit_code == 2


def test_workflow_is_valid_yaml_when_a_yaml_parser_is_around(tmp_path: Path):
    yaml = __import__("pytest").importorskip("yaml")  # PyYAML is not a dependency; CI images often have it
    data = yaml.safe_load(workflow_yaml(WorkflowOptions(min_score="60%", rubric="it's mine.toml")))
    steps = data["jobs"]["grade"]["steps"]
    assert steps[-1]["run"] == "grader check . --min-score 60% --rubric 'it'\"'\"'s mine.toml'"
    assert data["on"] if "on" in data else data[True]  # YAML 1.1 reads `on` as true
