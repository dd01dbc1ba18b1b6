"""docs/checks.md documents every behavior check, generated from the checks themselves."""

from __future__ import annotations

from pathlib import Path

from grader.behavior.catalog import all_checks
from grader.commands.explain import CHECKS_END, CHECKS_START, checks_table

ROOT = Path(__file__).resolve().parents[1]
REFRESH = ("python -c 'import pathlib, re; from grader.commands.explain import *; p = pathlib.Path(\"docs/checks.md\"); "
           "p.write_text(re.sub(r\"(?s)(<!-- checks:start -->).*(<!-- checks:end -->)\", lambda m: m[1] + "
           "\"\\n\\n\" + checks_table() + \"\\n\" + m[2], p.read_text()))'")


def test_checks_doc_lists_every_behavior_check_and_is_current():
    text = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    missing = [check_id for check_id in all_checks() if f"| `{check_id}` |" not in text]
    assert not missing, f"docs/checks.md's behavior-checks table lacks: {missing}"
    block = text.split(CHECKS_START, 1)[1].split(CHECKS_END, 1)[0]
    assert block.strip() == checks_table().strip(), f"docs/checks.md's table is out of date; refresh it with: {REFRESH}"
