"""``grader explain``: a static rule's documentation, or a behavior check's.

Behavior checks are described by their ``CheckSpec`` (``grader.behavior.catalog``):
title, description and prerequisites, plus ``why`` and ``fix`` when the spec has them.
"""

from __future__ import annotations

from grader.errors import GraderError


def behavior_explanation(check_id: str) -> str | None:
    from grader.behavior.catalog import all_checks

    spec = all_checks().get(check_id.strip().lower())
    if spec is None:
        return None
    parts = [f"{spec.id} (behavior check)\n\n{spec.title}\n", f"## What it checks\n{spec.description}\n"]
    for heading, attribute in (("Why it matters", "why"), ("How to fix it", "fix")):
        text = getattr(spec, attribute, None)
        if text:
            parts.append(f"## {heading}\n{text}\n")
    if spec.requires:
        verb = "it passes" if len(spec.requires) == 1 else "they pass"
        parts.append(f"## Runs after\n{', '.join(spec.requires)}: this check is skipped unless {verb}.\n")
    return "\n".join(parts)


def explanation(code: str) -> str:
    from grader.behavior.catalog import all_checks
    from grader.static.registry import all_rules, get_rule

    rule = get_rule(code)
    if rule is not None:
        return rule.documentation()
    behavior = behavior_explanation(code)
    if behavior is not None:
        return behavior
    raise GraderError(f"unknown rule code or check id {code!r} (rules: {', '.join(all_rules())}; "
                      f"behavior checks: {', '.join(all_checks())}).")


CHECKS_START = "<!-- checks:start -->"
CHECKS_END = "<!-- checks:end -->"


def checks_table() -> str:
    """docs/checks.md's table: every behavior check, what passes it, what it needs.

    Points are left out: they are the rubric's, and change with it."""
    from grader.behavior.catalog import all_checks

    lines = ["| id | passes when | needs |", "|---|---|---|"]
    for spec in all_checks().values():
        needs = ", ".join(f"`{r}`" for r in spec.requires) or "-"
        lines.append(f"| `{spec.id}` | {spec.title.replace('|', chr(92) + '|')} | {needs} |")
    return "\n".join(lines) + "\n"
