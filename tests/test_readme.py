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


def test_readme_is_short_and_links_only_to_docs_that_exist():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    # The grade table (generated, tests/golden/grade_table.py) belongs in the README by design;
    # the rest stays short.
    own = re.sub(r"(?s)<!-- grade-table:start -->.*<!-- grade-table:end -->", "", text)
    assert len(own.encode("utf-8")) < 8 * 1024, "README.md is past ~8 KB: move the long material to docs/"
    for target in re.findall(r"\]\(((?:docs|rubrics)/[^)#]+)", text):
        assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"


def test_no_text_names_the_course_material():
    """Students and instructors have never seen it: explanations must stand on their own."""
    words = re.compile(r"\bseed\b|shared/seed|\bquiz\b|recall card|question \d", re.I)
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0)!r}" for p in texts
                 for m in words.finditer(p.read_text(encoding="utf-8"))]
    assert not offenders, offenders
