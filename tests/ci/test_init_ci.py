"""`grader init-ci`: the workflow's own `run:` commands, run in a shell against a student repo.

The end-to-end test copies a sample submission into a fresh repository, runs
`grader init-ci` there (which commits the grader's wheel next to the workflow), makes a
fresh venv with the workflow's Python, and runs every `run:` step with `bash -e` from the
repository, as the runner does: nothing of this checkout is on the path. GitHub's
runners give the runner user passwordless sudo; these tests run as root, so a `sudo`
stand-in that keeps the environment (`-E`) and runs the command is put on `PATH`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import __version__
from grader.ci.sources import InstallSource, parse_source
from grader.ci.workflow import WHEEL_DIR, WORKFLOW_PATH, WorkflowOptions, run_commands, workflow_yaml
from grader.cli import main
from tests.ci.test_gradescope_bundle import _clean_env
from tests.interpreters import find_python

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_submissions"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
SUDO = """#!/bin/sh
# Stand-in for the runner's passwordless sudo (these tests already run as root).
while [ "$#" -gt 0 ]; do
  case "$1" in
    -E|--preserve-env) shift ;;
    --) shift; break ;;
    -*) echo "sudo stand-in: unsupported option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
exec "$@"
"""


def _steps(repo: Path, env: dict[str, str], only: str | None = None) -> tuple[int, str]:
    """Run the workflow's steps like the runner: bash -e per step, stop at the first failure."""
    output = []
    for name, command in run_commands((repo / WORKFLOW_PATH).read_text()):
        if only is not None and name != only:
            continue
        done = subprocess.run(["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=600)
        output.append(done.stdout + done.stderr)
        if done.returncode != 0:
            return done.returncode, "".join(output)
    return 0, "".join(output)


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    work = tmp_path_factory.mktemp("init-ci")
    repo = work / "repo"
    shutil.copytree(SAMPLES / "good_sync_def", repo)
    result = CliRunner().invoke(main, ["init-ci", "--dir", str(repo)])
    assert result.exit_code == 0, result.output
    python = find_python(WorkflowOptions().python) or sys.executable  # actions/setup-python's version
    subprocess.run([python, "-m", "venv", str(work / "venv")], check=True)
    (work / "bin").mkdir()
    (work / "bin" / "sudo").write_text(SUDO)
    (work / "bin" / "sudo").chmod(0o755)
    env = _clean_env(HOME=str(work), GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(repo),
                     GITHUB_STEP_SUMMARY=str(work / "summary.md"))
    env["PATH"] = os.pathsep.join([str(work / "venv" / "bin"), str(work / "bin"), env["PATH"]])
    return repo, env


def test_workflow_installs_the_committed_wheel_and_passes_a_good_submission(student_repo):
    repo, env = student_repo
    wheels = list((repo / WHEEL_DIR).glob("*.whl"))
    assert [w.name for w in wheels] == [f"fastapi_grader-{__version__}-py3-none-any.whl"]
    code, output = _steps(repo, env)
    assert code == 0, output
    assert "passes the minimum of 60%" in output
    located = subprocess.run(["python", "-c", "import grader; print(grader.__file__)"], cwd=repo, env=env,
                             capture_output=True, text=True, check=True).stdout
    assert not Path(located.strip()).is_relative_to(ROOT)  # the committed wheel, not this checkout
    assert "## repo: 100/100" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


def test_workflow_fails_below_the_default_minimum(student_repo):
    repo, env = student_repo
    shutil.copyfile(SAMPLES / "bg004_await_add_task" / "main.py", repo / "main.py")
    code, output = _steps(repo, env)  # every step: this test must not lean on another's install
    assert code == 1, output
    assert "is below the minimum of 60%" in output
    assert "::error file=main.py," in output and "title=BG004::" in output


def test_workflow_sources_and_privileges():
    wheel = workflow_yaml(WorkflowOptions(wheel_name="w.whl"))
    commands = dict(run_commands(wheel))
    assert commands["Install the grader"] == f"python -m pip install {WHEEL_DIR}/w.whl"
    assert commands["Grade"] == 'sudo -E "$(command -v grader)" check . --min-score 60%'
    git = workflow_yaml(WorkflowOptions(parse_source(None, f"https://example.org/g.git@{COMMIT}"), extras=("checks",),
                                        min_score=None))
    commands = dict(run_commands(git))
    assert commands["Install the grader"] == \
        f"python -m pip install 'fastapi-grader[checks] @ git+https://example.org/g.git@{COMMIT}'"
    assert commands["Grade"] == 'sudo -E "$(command -v grader)" check .'
    index = workflow_yaml(WorkflowOptions(InstallSource("index")))
    assert dict(run_commands(index))["Install the grader"] == f"python -m pip install fastapi-grader=={__version__}"


def test_init_ci_refuses_to_overwrite_and_rejects_bad_values(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    index = ["init-ci", "--dir", str(repo), "--source", "index"]
    assert CliRunner().invoke(main, index).exit_code == 0
    again = CliRunner().invoke(main, index)
    assert again.exit_code == 2 and "already exists" in again.output
    assert CliRunner().invoke(main, [*index, "--force"]).exit_code == 0
    for bad, message in [(["--source", "index", "--min-score", "x"], "expected points"),
                         (["--git-url", "https://example.org/g.git"], "pin it to a full commit id"),
                         (["--source", "git"], "needs --git-url"),
                         (["--source", "index", "--git-url", f"https://example.org/g.git@{COMMIT}"], "goes with")]:
        result = CliRunner().invoke(main, ["init-ci", "--dir", str(repo), "--force", *bad])
        assert result.exit_code == 2 and message in result.output, result.output
    missing = CliRunner().invoke(main, ["init-ci", "--dir", str(tmp_path / "nope"), "--source", "index"])
    assert missing.exit_code == 2 and "no such folder" in missing.output


def test_workflow_is_valid_yaml_when_a_yaml_parser_is_around():
    yaml = pytest.importorskip("yaml")  # PyYAML is not a dependency; CI images often have it
    data = yaml.safe_load(workflow_yaml(WorkflowOptions(InstallSource("index"), rubric="it's mine.toml")))
    steps = data["jobs"]["grade"]["steps"]
    assert steps[-1]["run"] == ('sudo -E "$(command -v grader)" check . --min-score 60% '
                                "--rubric 'it'\"'\"'s mine.toml'")
    assert data["on"] if "on" in data else data[True]  # YAML 1.1 reads `on` as true
