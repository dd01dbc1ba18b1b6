"""The mutation harness (bench/mutation.py): every one-mistake mutant of the correct samples
is killed, inside its grade-table band, and blamed on the check that names its mistake."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import mutation

REPO = Path(__file__).resolve().parents[1]


def test_every_mistake_applies_to_at_least_one_base_and_changes_it() -> None:
    for mistake in mutation.MISTAKES:
        applied = [base.name for base in mutation.BASES if mistake.apply(base, mutation._files(base)) is not None]
        assert applied, f"{mistake.name} applies to no base"
        for base in mutation.BASES:
            files = mutation._files(base)
            mutated = mistake.apply(base, files)
            if mutated is not None:
                assert mutated != files, (mistake.name, base.name)
                for text in mutated.values():
                    compile(text, "<mutant>", "exec")  # a mutant is valid Python


def test_every_mistake_names_a_grade_table_row() -> None:
    from tests.golden.grade_table import BY_ID

    assert all(m.row in BY_ID for m in mutation.MISTAKES)


@pytest.mark.slow
def test_every_mutant_is_killed_in_band_and_blamed(tmp_path) -> None:
    out = tmp_path / "mutation.json"
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "mutation.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=1800)
    summary = json.loads(out.read_text())
    assert summary["killed"] == summary["mutants"] >= 50, proc.stdout[-4000:]
    assert proc.returncode == 0
