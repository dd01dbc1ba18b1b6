"""The speed-ups change no grade: the same reports with and without them, apart from timings.

Without: ``grader grade``'s path with a fresh interpreter per submission
(``GRADER_SANDBOX=fresh``), one submission at a time, every behavior check alone
(``GRADER_OVERLAP=0``). With: ``grader batch --jobs 2``,
whose worker processes grade several submissions at once in threads, every child forked
from a warm fork server. The static analysis (cached walks, lazy positions) is the same
code in both, and the golden tests pin its findings.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from grader.batch.runner import BatchOptions, run_batch
from grader.behavior.sandbox import launcher
from grader.pipeline import grade_path
from grader.reports.outputs import render_as
from grader.scoring.rubric import load_rubric

SAMPLES = Path(__file__).resolve().parents[2] / "sample_submissions"
# Quick samples (no task that sleeps) that still fail, pass and skip different checks.
# beh_fixed_name saves every upload under one name: run together, its uploads overwrite
# each other, so its failures must be confirmed alone to match.
NAMES = ("save_then_process", "bytes_to_file_task", "beh_task_raises", "beh_path_escape", "bg005_detached_tasks", "sec001_unsafe_filename",
         "beh_fixed_name")
_DURATION = re.compile(r"\d+(?:\.\d+)?\s?ms\b")
# Names a student's app draws at random (uuid4().hex) for the files it saves, and the
# random tag in the name of every file the grader uploads (drawn at send time).
_RANDOM_NAME = re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
                          r"|(?<=-)[0-9a-f]{10}\b")
# How many file events and probes there were, and the order of the app's file names in a
# listing, depend on timing, not on the verdicts.
_VOLATILE_KEYS = {"timings", "content_hash", "timeline", "primary_timeline", "sandbox_mode", "overlap",
                  "observer", "measured", "new_files", "saved_files"}


def comparable(text: str) -> Any:
    """The report with its timings, counts and random file names masked."""
    data = json.loads(text)

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in _VOLATILE_KEYS}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            return _RANDOM_NAME.sub("<random>", _DURATION.sub("<duration>", value))
        return value

    return clean(data)


@pytest.fixture()
def classroom(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in NAMES:
        shutil.copytree(SAMPLES / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_batch_with_speedups_grades_exactly_like_fresh_one_at_a_time(classroom: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    rubric = load_rubric(None)
    launcher.set_mode("fresh")
    monkeypatch.setenv("GRADER_OVERLAP", "0")
    try:
        alone_texts = {name: render_as(grade_path(classroom / name, rubric, name=name), "json") for name in NAMES}
    finally:
        launcher.set_mode(None)
        monkeypatch.delenv("GRADER_OVERLAP")
    alone = {name: comparable(text) for name, text in alone_texts.items()}
    assert all("overlap" not in json.loads(text)["run"] for text in alone_texts.values())  # truly one at a time
    out = tmp_path / "out"
    result = run_batch(BatchOptions(classroom, out, rubric, jobs=2, force=True))
    assert result.graded == len(NAMES)
    for name in NAMES:
        batched = comparable((out / f"{name}.json").read_text(encoding="utf-8"))
        assert batched == alone[name], f"{name}: the batch's report differs from the one graded alone"
    # The batch did run them together: the fixed-name app's failure was confirmed alone.
    fixed = json.loads((out / "beh_fixed_name.json").read_text(encoding="utf-8"))["run"]["overlap"]
    assert "concurrent-uploads-intact" in fixed["retried_alone"]
