"""The README opens with the two fresh-machine commands, and CI runs the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block and text.index(first_block.group(0)) < 200, "README must open with the commands"
    return [line for line in first_block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_opens_with_install_and_grade_then_install_and_test():
    grade, test = _readme_commands()
    assert "pip install ." in grade and "grader batch sample_submissions" in grade
    assert "pip install -e '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command():
    _, test = _readme_commands()
    test_part = test.split("&&", 2)[-1].strip()  # after venv creation + activation
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    normalized_ci = ci.replace("python -m pip install --quiet", "pip install")
    assert test_part in normalized_ci, f"CI must run: {test_part}"
