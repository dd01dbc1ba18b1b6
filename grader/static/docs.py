"""Rule documentation generated from the rules themselves (README table, explain)."""

from __future__ import annotations

from grader.static.registry import all_rules


def rules_table() -> str:
    lines = ["| code | severity | name | detects |", "|---|---|---|---|"]
    for rule in all_rules().values():
        summary = rule.message.replace("|", "\\|")
        lines.append(f"| {rule.code} | {rule.severity.value} | {rule.name} | {summary} |")
    return "\n".join(lines) + "\n"
