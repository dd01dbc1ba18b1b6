"""The rules reference (docs/rules.md) is generated from the rule modules and kept current;
``grader rules`` and ``grader explain`` use the same generated text."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.static import docs
from grader.static.blocking_table import TABLE
from grader.static.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "rules.md"
# Course material the text must never name (students do not have it).
_COURSE_WORDS = re.compile(r"\b(seed|quiz|question \d|recall card)\b", re.IGNORECASE)


def test_rules_reference_is_current():
    assert REFERENCE.exists(), f"docs/rules.md is missing; generate it with: {docs.REFRESH_COMMAND}"
    assert REFERENCE.read_text(encoding="utf-8") == docs.rules_reference(), (
        f"docs/rules.md is out of date with the rules; regenerate it with: {docs.REFRESH_COMMAND}"
    )


def test_reference_has_every_rule_in_ruff_style():
    text = docs.rules_reference()
    for code, rule in all_rules().items():
        section = text.split(f"## {code}: {rule.name}\n", 1)
        assert len(section) == 2, f"{code} has no section"
        body = section[1].split("\n## ", 1)[0]
        for heading in ("### What it does", "### Why is this bad?", "### Example", "### Use instead"):
            assert heading in body, f"{code}: {heading!r} missing"
        assert f"**{rule.severity.value}**" in body and rule.message in body


def test_reference_lists_every_blocking_call():
    text = docs.rules_reference()
    for entry in TABLE:
        assert f"`{entry.name}" in text, entry.name


def test_rule_text_never_names_course_material():
    for code, rule in all_rules().items():
        texts = [rule.documentation(), rule.message, *(e.note for k in ("valid", "invalid") for e in rule.examples(k))]
        for text in texts:
            assert not _COURSE_WORDS.search(text), f"{code}: {_COURSE_WORDS.search(text).group(0)!r} in {text[:80]!r}"
    assert not _COURSE_WORDS.search(docs.rules_reference())


def test_regenerate_command_writes_and_checks(tmp_path):
    target = tmp_path / "rules.md"
    assert docs.main(["--output", str(target), "--check"]) == 1
    assert docs.main(["--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == docs.rules_reference()
    assert docs.main(["--output", str(target), "--check"]) == 0
    assert docs.write_rules_reference(target) is False


def test_cli_rules_and_explain_use_the_rule_modules():
    runner = CliRunner()
    table = runner.invoke(main, ["rules", "--format", "markdown"])
    assert table.exit_code == 0 and table.output == docs.rules_table()
    for code, rule in all_rules().items():
        assert f"| {code} | {rule.severity.value} | {rule.name} |" in table.output
    explained = runner.invoke(main, ["explain", "as003"])
    assert explained.exit_code == 0 and explained.output == all_rules()["AS003"].documentation()
