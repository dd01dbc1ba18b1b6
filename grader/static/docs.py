"""Rule documentation generated from the rule modules: the ``grader rules`` table, and the
rules reference ``docs/rules.md`` (regenerate it with ``python -m grader.static.docs``)."""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from grader.static.blocking_table import BLOCKING, TABLE
from grader.static.registry import all_rules

REFERENCE_PATH = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
REFRESH_COMMAND = "python -m grader.static.docs"
_KIND_RULES = {BLOCKING: "AS001 (endpoint), AS002 (task)", "file": "AS003 (endpoint, advice), AS002 (task)"}


def rules_table() -> str:
    """One Markdown row per rule: code, severity, name, what it detects."""
    lines = ["| code | severity | name | detects |", "|---|---|---|---|"]
    for rule in all_rules().values():
        summary = rule.message.replace("|", "\\|")
        lines.append(f"| {rule.code} | {rule.severity.value} | {rule.name} | {summary} |")
    return "\n".join(lines) + "\n"


def blocking_table() -> str:
    """The blocking-call table of AS001/AS002/AS003, one row per entry."""
    lines = ["| call | group | reported by | use instead |", "|---|---|---|---|"]
    for entry in TABLE:
        methods = f" (and its `{'`, `'.join(sorted(entry.methods))}`)" if entry.methods else ""
        call = f"`{entry.name}`" if entry.call_blocks else f"`{entry.name}(...)` objects"
        lines.append(f"| {call}{methods} | {entry.group} | {_KIND_RULES[entry.kind]} | {entry.instead} |")
    return "\n".join(lines) + "\n"


def rules_reference() -> str:
    """``docs/rules.md``: every rule's documentation, ruff-style, then the blocking calls."""
    parts = [
        "# Static rules reference\n",
        f"<!-- Generated from grader/static/rules by `{REFRESH_COMMAND}`: do not edit by hand. -->\n",
        "Every static rule the grader runs, generated from the rule modules. `error` and "
        "`warning` findings cost the points a rubric gives them; `advice` never costs points. "
        "`grader explain CODE` prints one entry.\n",
        rules_table(),
    ]
    for rule in all_rules().values():
        doc = inspect.cleandoc(rule.__doc__ or "").replace("\n## ", "\n### ")
        if doc.startswith("## "):
            doc = "#" + doc
        header = f"## {rule.code}: {rule.name}\n\nSeverity: **{rule.severity.value}**\n\n> {rule.message}\n"
        parts.append(f"{header}\n{doc}\n")
    parts.append(
        "## Blocking calls\n\nThe calls AS001, AS002 and AS003 know, by qualified name as the code imports "
        "them (`import time as t; t.sleep()` is `time.sleep`). A row with methods is a factory: the object it "
        "returns blocks in those methods (`conn = sqlite3.connect(...); conn.execute(...)`). File handles "
        "(`open()`, `Path.open()`, then a read or write), `Path.read_bytes()`/`write_bytes()`/`read_text()`/"
        "`write_text()` and the upload's `file.file.read()` are recognised by shape. A rubric adds its own "
        "calls with `[static] blocking_calls = [\"mylib.slow_fn\", \"mylib.Client.fetch\"]`: they count as "
        "blocking (AS001, AS002).\n\n" + blocking_table()
    )
    return "\n".join(parts)


def write_rules_reference(path: str | Path = REFERENCE_PATH) -> bool:
    """Write ``rules_reference()`` to ``path``; returns whether the file changed."""
    path = Path(path)
    text = rules_reference()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REFRESH_COMMAND, description="Regenerate the static rules reference.")
    parser.add_argument("--output", type=Path, default=REFERENCE_PATH, help="default: docs/rules.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != rules_reference():
            print(f"{args.output}: out of date; run {REFRESH_COMMAND}", file=sys.stderr)
            return 1
        return 0
    changed = write_rules_reference(args.output)
    print(f"{args.output}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
