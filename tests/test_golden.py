"""Golden test: every sample submission grades to its checked-in expected result.

Regenerate with ``python -m tests.golden.regenerate NAME`` and review the diff.
"""

from __future__ import annotations

import json

import pytest

from tests.golden.normalize import GOLDEN, grade_sample, sample_names


@pytest.mark.parametrize("name", sample_names())
def test_sample_grades_to_its_golden(name: str):
    golden_file = GOLDEN / f"{name}.json"
    assert golden_file.exists(), f"no golden for {name}: run python -m tests.golden.regenerate {name}"
    expected = json.loads(golden_file.read_text())
    assert grade_sample(name) == expected


def test_every_golden_has_its_sample():
    names = set(sample_names())
    orphans = [p.stem for p in GOLDEN.glob("*.json") if p.stem not in names]
    assert not orphans, f"goldens without a sample: {orphans}"
