"""A correct class graded next to attackers: every correct student's report is the one they
get when graded alone (apart from timings and random names)."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.batch.runner import BatchOptions, run_batch
from grader.pipeline import grade_path
from grader.reports.outputs import render_as
from grader.scoring.rubric import load_rubric
from tests.batch.test_speedups_identical import comparable

REPO = Path(__file__).resolve().parents[2]
GOOD = ("good_sync_def", "good_async_anyio", "save_then_process")
ATTACKERS = ("forged_result", "patched_bookkeeping", "fifo_and_symlink", "inotify_flood", "huge_info_answer")
HOSTILE = ("fork_storm", "output_flood", "writes_outside")


def test_correct_students_grade_the_same_next_to_attackers(tmp_path: Path) -> None:
    rubric = load_rubric(None)
    alone = {name: comparable(render_as(grade_path(REPO / "sample_submissions" / name, rubric, name=name), "json"))
             for name in GOOD}
    klass = tmp_path / "class"
    klass.mkdir()
    for name in GOOD:
        shutil.copytree(REPO / "sample_submissions" / name, klass / name)
    for name in ATTACKERS:
        shutil.copytree(REPO / "tests" / "integrity" / "submissions" / name, klass / name)
    for name in HOSTILE:
        shutil.copytree(REPO / "tests" / "hostile" / "submissions" / name, klass / name)
    out = tmp_path / "out"
    result = run_batch(BatchOptions(klass, out, rubric, jobs=2, force=True))
    assert result.graded == len(GOOD) + len(ATTACKERS) + len(HOSTILE)
    for name in GOOD:
        batched = comparable((out / f"{name}.json").read_text(encoding="utf-8"))
        assert batched == alone[name], f"{name} graded differently next to the attackers"
    for name in ATTACKERS:
        assert (out / f"{name}.json").exists()
