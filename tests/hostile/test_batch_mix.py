"""Hostile submissions graded at the same time as good ones change nothing for the good ones."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from grader.pipeline import grade_path
from tests.hostile.support import SUBMISSIONS, hostile_rubric, sandbox_processes

SAMPLES = Path(__file__).resolve().parents[2] / "sample_submissions"
GOOD = [SAMPLES / "save_then_process", SAMPLES / "good_sync_def", SAMPLES / "upload_file_to_task"]
HOSTILE = [SUBMISSIONS / n for n in (
    "loop_in_endpoint", "fork_storm", "output_flood", "memory_hog", "os_exit_in_task", "fake_reports", "writes_outside",
)]


def essentials(report: dict) -> dict:
    """Everything but timings and measured milliseconds."""
    return {
        "score": report["score"],
        "status": report["status"],
        "errors": report["errors"],
        "checks": [(c["id"], c["status"], c["score"]) for c in report["checks"]],
        "protections": report["run"].get("protections"),
    }


def test_good_reports_are_the_same_alone_and_in_a_hostile_batch(grader_temp):
    # Hostile loops burn CPU for the whole limit on a 2-core machine: give the good
    # submissions' checks room, so what is compared is the grade, not a time budget.
    base = hostile_rubric()
    rubric = replace(base, behavior=replace(base.behavior, timeout=8.0))
    alone = {path: essentials(grade_path(path, rubric).to_dict()) for path in GOOD}
    mixed_paths = HOSTILE[:3] + GOOD[:1] + HOSTILE[3:5] + GOOD[1:] + HOSTILE[5:]
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(lambda p: grade_path(p, rubric).to_dict(), mixed_paths))
    mixed = dict(zip(mixed_paths, reports))
    for path in GOOD:
        assert essentials(mixed[path]) == alone[path], (path.name, mixed[path]["errors"], [
            (c["id"], c["status"], c["feedback"][:200]) for c in mixed[path]["checks"] if c["status"] != "passed"
        ])
    assert alone[GOOD[0]]["score"] > 0
    assert sandbox_processes(grader_temp) == []
    assert list(grader_temp.iterdir()) == []
