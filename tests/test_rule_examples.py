"""Every static rule's own VALID/INVALID examples, run as tests (Fixit's habit)."""

from __future__ import annotations

import textwrap

import pytest

from grader.static.engine import lint_sources
from grader.static.registry import all_rules
from grader.static.rule import Example


def _cases(kind: str) -> list:
    cases = []
    for code, rule in all_rules().items():
        for index, example in enumerate(rule.examples(kind)):
            cases.append(pytest.param(rule, example, id=f"{code}-{kind}-{index}"))
    return cases


def _lint(example: Example):
    # Examples open with a newline after the triple quote: line numbers count it as line 1.
    sources = [("main.py", ("\n" + textwrap.dedent(example.source).lstrip("\n")).encode())]
    sources += [(path, textwrap.dedent(text).encode()) for path, text in example.files.items()]
    result = lint_sources(sources)
    assert not result.errors, result.errors
    return result.findings


@pytest.mark.parametrize(("rule", "example"), _cases("valid"))
def test_valid_example_has_no_finding(rule, example):
    findings = [f for f in _lint(example) if f.code == rule.code]
    assert findings == [], f"{rule.code} must stay silent ({example.note}): {findings}"


@pytest.mark.parametrize(("rule", "example"), _cases("invalid"))
def test_invalid_example_is_reported(rule, example):
    findings = [f for f in _lint(example) if f.code == rule.code]
    assert findings, f"{rule.code} missed an INVALID example ({example.note})"
    if example.line is not None:
        assert example.line in {f.line for f in findings}, (
            f"{rule.code} reported lines {[f.line for f in findings]}, expected {example.line}"
        )


def test_every_rule_has_examples_on_both_sides():
    for code, rule in all_rules().items():
        assert rule.examples("valid"), f"{code} has no VALID example"
        assert rule.examples("invalid"), f"{code} has no INVALID example"


def test_every_rule_documents_itself_in_ruff_style():
    for code, rule in all_rules().items():
        doc = rule.documentation()
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
            assert heading in doc, f"{code} documentation lacks {heading!r}"
