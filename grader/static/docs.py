"""Rule documentation generated from the rules themselves (README table, explain)."""

from __future__ import annotations

from pathlib import Path

from grader.static.registry import all_rules


def rules_table() -> str:
    lines = ["| code | severity | name | detects |", "|---|---|---|---|"]
    for rule in all_rules().values():
        summary = rule.message.replace("|", "\\|")
        lines.append(f"| {rule.code} | {rule.severity.value} | {rule.name} | {summary} |")
    return "\n".join(lines) + "\n"


RULES_START = "<!-- rules:start -->"
RULES_END = "<!-- rules:end -->"
REFRESH_COMMAND = "python -c 'from grader.static.docs import update_readme; update_readme(\"README.md\")'"


def rules_block(text: str) -> str | None:
    """The text between the README's rules markers, or ``None`` when they are missing."""
    start = text.find(RULES_START)
    end = text.find(RULES_END, start + len(RULES_START)) if start != -1 else -1
    if start == -1 or end == -1:
        return None
    return text[start + len(RULES_START) : end]


def update_readme(path: str | Path) -> bool:
    """Put the current ``rules_table()`` between the rules markers of ``path``.

    Returns whether the file changed. Raises ``ValueError`` when the markers are missing
    (the README decides where the table goes; this only fills it in).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if rules_block(text) is None:
        raise ValueError(f"{path}: no {RULES_START} ... {RULES_END} markers to put the rules table between")
    start = text.index(RULES_START) + len(RULES_START)
    end = text.index(RULES_END, start)
    updated = f"{text[:start]}\n\n{rules_table()}\n{text[end:]}"
    if updated == text:
        return False
    path.write_text(updated, encoding="utf-8")
    return True
