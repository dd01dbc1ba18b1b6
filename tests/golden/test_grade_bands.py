"""The README's grade table holds: every sample scores inside its mistake's band, and an
app that does the assignment always outranks one that does not."""

from __future__ import annotations

import pytest

from tests.golden.grade_table import README, ROWS, block, markdown
from tests.golden.normalize import graded_samples, sample_names


@pytest.mark.parametrize("row", ROWS, ids=[r.samples[0] for r in ROWS])
def test_every_sample_scores_inside_its_band(row):
    reports = graded_samples()
    for name in row.samples:
        score = reports[name].score / reports[name].max_score * 100
        assert row.low <= score <= row.high, f"{name}: {score:g} outside {row.low:g}-{row.high:g} ({row.mistake})"


def test_an_app_that_works_outranks_every_app_that_does_not():
    reports = graded_samples()
    working = [(reports[s].score, s) for row in ROWS if row.works for s in row.samples]
    broken = [(reports[s].score, s) for row in ROWS if not row.works for s in row.samples]
    assert min(working) > max(broken), (min(working), max(broken))


def test_every_sample_is_in_the_table():
    listed = {s for row in ROWS for s in row.samples}
    assert sorted(set(sample_names()) - listed) == []
    assert sorted(listed - set(sample_names())) == []


def test_readme_grade_table_is_current():
    current = block(README.read_text(encoding="utf-8"))
    assert current is not None, "README.md needs the grade-table markers"
    assert current.strip() == markdown().strip(), "refresh it: python -m tests.golden.grade_table"
