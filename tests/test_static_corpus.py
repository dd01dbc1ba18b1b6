"""The labelled corpus (``tests/static_corpus.py``) gets exactly its expected findings, and
INT001 stays silent on every sample submission and on ordinary code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.discovery import load_submission
from grader.static.engine import lint_paths, lint_sources
from grader.static.registry import all_rules
from tests.static_corpus import LABELLED, expected_findings

SAMPLES = Path(__file__).resolve().parents[1] / "sample_submissions"


@pytest.mark.parametrize(("name", "files"), LABELLED, ids=[name for name, _ in LABELLED])
def test_labelled_case_gets_exactly_its_expected_findings(name, files):
    result = lint_sources([(path, text.encode()) for path, text in files.items()])
    assert result.errors == []
    got = {(f.code, f.path, f.line) for f in result.findings}
    expected = expected_findings(files)
    assert got == expected, f"missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"


def test_labelled_corpus_covers_every_rule():
    labelled = {code for _, files in LABELLED for code, _, _ in expected_findings(files)}
    for code in ("AS002", "AS003", "BG001", "BG003", "BG007", "BG011", "INT001", "SEC001", "UP001"):
        assert code in labelled, f"no labelled case for {code}"


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_int001_is_silent_on_every_sample(sample):
    with load_submission(SAMPLES / sample) as submission:
        result = lint_paths(submission.root, submission.python_files)
    assert [f for f in result.findings if f.code == "INT001"] == []


def test_int001_is_silent_on_ordinary_code():
    """Every rule's examples (INT001's own INVALID ones aside) and every labelled case
    without an INT001 marker are ordinary upload code."""
    checked = 0
    for code, rule in all_rules().items():
        for kind in ("valid", "invalid"):
            if code == "INT001" and kind == "invalid":
                continue
            for example in rule.examples(kind):
                sources = [("main.py", textwrap.dedent(example.source).encode())]
                sources += [(path, textwrap.dedent(text).encode()) for path, text in example.files.items()]
                findings = [f for f in lint_sources(sources).findings if f.code == "INT001"]
                assert findings == [], f"{code} {kind} example ({example.note}): {findings}"
                checked += 1
    for name, files in LABELLED:
        if any(code == "INT001" for code, _, _ in expected_findings(files)):
            continue
        findings = [f for f in lint_sources([(p, t.encode()) for p, t in files.items()]).findings if f.code == "INT001"]
        assert findings == [], name
        checked += 1
    assert checked > 100
