"""``grader init-ci``: the GitHub Actions workflow written into a student's repository."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from grader import __version__

WORKFLOW_PATH = ".github/workflows/grade.yml"
PACKAGE = "fastapi-grader"


@dataclass(frozen=True)
class WorkflowOptions:
    git_url: str | None = None  # install from git instead of PyPI
    min_score: str | None = None
    rubric: str | None = None
    static_only: bool = False
    python: str = "3.12"


def install_command(options: WorkflowOptions) -> str:
    spec = f"git+{options.git_url}" if options.git_url and not options.git_url.startswith("git+") \
        else options.git_url or f"{PACKAGE}=={__version__}"
    return f"python -m pip install {shlex.quote(spec)}"


def check_command(options: WorkflowOptions) -> str:
    parts = ["grader", "check", "."]
    if options.min_score:
        parts += ["--min-score", options.min_score]
    if options.rubric:
        parts += ["--rubric", options.rubric]
    if options.static_only:
        parts.append("--static-only")
    return " ".join(shlex.quote(p) for p in parts)


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
    lines = [
        f"# Written by `grader init-ci` (fastapi-grader {__version__}).",
        "# Grades this repository on every push and pull request: findings appear inline",
        "# on the pull request, the full report in the run's summary.",
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
