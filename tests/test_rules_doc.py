"""The README's rules table is generated from the rules themselves and kept current."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.static.docs import REFRESH_COMMAND, RULES_END, RULES_START, rules_block, rules_table, update_readme
from grader.static.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]


def test_readme_rules_table_is_current():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    block = rules_block(text)
    assert block is not None, f"README.md needs {RULES_START} and {RULES_END} markers around the rules table"
    assert block.strip() == rules_table().strip(), (
        f"README.md's rules table is out of date with the rules; refresh it with: {REFRESH_COMMAND}"
    )


def test_rules_table_lists_every_rule_with_its_severity():
    table = rules_table()
    for code, rule in all_rules().items():
        assert f"| {code} | {rule.severity.value} | {rule.name} |" in table


def test_update_readme_fills_the_markers_and_is_idempotent(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n## Rules\n{RULES_START}\n| stale |\n{RULES_END}\n\nAfter.\n", encoding="utf-8")
    assert update_readme(readme) is True
    text = readme.read_text(encoding="utf-8")
    assert "| stale |" not in text
    assert rules_block(text).strip() == rules_table().strip()
    assert text.startswith("# Title\n\n## Rules\n") and text.endswith(f"{RULES_END}\n\nAfter.\n")
    assert update_readme(readme) is False
    assert readme.read_text(encoding="utf-8") == text


def test_update_readme_without_markers_is_a_clear_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n", encoding="utf-8")
    with pytest.raises(ValueError, match="markers"):
        update_readme(readme)
    assert readme.read_text(encoding="utf-8") == "# Title\n"
