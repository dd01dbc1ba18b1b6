"""``grader init-ci``: the GitHub Actions workflow written into a student's repository.

The grade step runs under ``sudo``: the behavior run isolates the student's app best as
root (a dedicated uid, private ``/tmp``, no network), and GitHub's Ubuntu 24.04 runners
restrict the unprivileged user namespaces it would use otherwise. The runner user has
passwordless sudo; ``-E`` keeps ``GITHUB_*`` (annotations, step summary), and the
grader is named by its full path because sudo resets ``PATH``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from grader import __version__
from grader.ci.sources import InstallSource

WORKFLOW_PATH = ".github/workflows/grade.yml"
WHEEL_DIR = ".github/grader"  # the wheel source: the grader's wheel, committed next to the workflow
DEFAULT_MIN_SCORE = "60%"


@dataclass(frozen=True)
class WorkflowOptions:
    source: InstallSource = InstallSource("wheel")
    wheel_name: str | None = None  # the wheel source: the file's name in WHEEL_DIR
    extras: tuple[str, ...] = ()
    min_score: str | None = DEFAULT_MIN_SCORE
    rubric: str | None = None
    static_only: bool = False
    python: str = "3.12"


def install_command(options: WorkflowOptions) -> str:
    if options.source.kind == "wheel":
        if not options.wheel_name:
            raise ValueError("the wheel source needs the wheel's file name")
        spec = f"{WHEEL_DIR}/{options.wheel_name}" + (f"[{','.join(options.extras)}]" if options.extras else "")
    else:
        spec = options.source.requirement(options.extras)
    return f"python -m pip install {shlex.quote(spec)}"


def check_command(options: WorkflowOptions) -> str:
    parts = ["check", "."]
    if options.min_score:
        parts += ["--min-score", options.min_score]
    if options.rubric:
        parts += ["--rubric", options.rubric]
    if options.static_only:
        parts.append("--static-only")
    return 'sudo -E "$(command -v grader)" ' + " ".join(shlex.quote(p) for p in parts)


def _yaml_scalar(text: str) -> str:
    # Single-quoted YAML: only the quote itself needs doubling; no escapes are interpreted.
    return "'" + text.replace("'", "''") + "'"


def workflow_yaml(options: WorkflowOptions) -> str:
    """The workflow. Every ``run:`` is one line so tests (and people) can lift the commands."""
    steps = [
        ("Install the grader", install_command(options)),
        ("Install the submission's requirements",
         "if [ -f requirements.txt ]; then python -m pip install -r requirements.txt; fi"),
        ("Grade", check_command(options)),
    ]
    threshold = f"fails below {options.min_score}" if options.min_score else "never fails on the score"
    lines = [
        f"# Written by `grader init-ci` (fastapi-grader {__version__}, installed {options.source.describe()}).",
        "# Grades this repository on every push and pull request: findings appear inline",
        f"# on the pull request, the full report in the run's summary; the job {threshold}.",
        "# To update the grader, run `grader init-ci --force` again.",
        "name: Grade",
        "on:",
        "  push:",
        "  pull_request:",
        "permissions:",
        "  contents: read",
        "jobs:",
        "  grade:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 15",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        f"          python-version: {_yaml_scalar(options.python)}",
    ]
    for name, command in steps:
        lines += [f"      - name: {_yaml_scalar(name)}", f"        run: {_yaml_scalar(command)}"]
    return "\n".join(lines) + "\n"


def run_commands(workflow_text: str) -> list[tuple[str, str]]:
    """``(step name, command)`` for every ``run:`` step of a workflow written by ``workflow_yaml``."""
    steps: list[tuple[str, str]] = []
    name = ""
    for line in workflow_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- name: "):
            name = _unquote(stripped[len("- name: "):])
        elif stripped.startswith("run: "):
            steps.append((name, _unquote(stripped[len("run: "):])))
    return steps


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value
