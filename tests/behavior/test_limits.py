"""Slow is not broken: a never-ending task is reported with what was still running, and
what the parent measured before the limit keeps its verdict."""

from __future__ import annotations

import time

import pytest

from tests.behavior.observed import observe_files, statuses, verdict

HANGING = """
import asyncio, time
from fastapi import BackgroundTasks, FastAPI, UploadFile
app = FastAPI()

{kind}def process_file(path: str) -> None:
    open(path, "rb").read()
    while True:
        {sleep}

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    with open("saved.bin", "wb") as out:
        out.write(await file.read())
    background_tasks.add_task(process_file, "saved.bin")
    return {{"ok": True}}
"""
CORE = ["app-loads", "upload-accepted", "task-scheduled", "task-completes", "saved-file-intact", "missing-file-rejected"]


@pytest.mark.parametrize(
    ("kind", "sleep"),
    [("", "time.sleep(0.1)"), ("async ", "await asyncio.sleep(0.1)")],
    ids=["sync-task-in-thread", "async-task"],
)
def test_never_ending_task_is_reported_within_budget(kind: str, sleep: str) -> None:
    started = time.monotonic()
    result = observe_files({"main.py": HANGING.format(kind=kind, sleep=sleep)}, timeout=8, exchange_timeout=2,
                           checks=CORE)
    assert time.monotonic() - started < 30
    states = statuses(result)
    assert states["task-scheduled"] == "passed"  # it read the saved file after the response
    assert states["task-completes"] == "timeout"
    feedback = verdict(result, "task-completes")["feedback"]
    assert "did not end within 2.0 s" in feedback and "process_file" in feedback and "still running" in feedback
    assert "infinite loop" not in feedback
    assert states["saved-file-intact"] == "passed"
    assert states["missing-file-rejected"] == "passed"


def test_time_limit_keeps_what_was_measured_and_times_out_the_rest() -> None:
    result = observe_files({"main.py": HANGING.format(kind="", sleep="time.sleep(0.1)")}, timeout=4,
                           exchange_timeout=3)
    states = statuses(result)
    assert states["upload-accepted"] == "passed" and states["saved-file-intact"] == "passed"
    assert states["task-completes"] == "timeout"
    not_run = [v for v in result["verdicts"] if v["status"] == "timeout" and v["id"] != "task-completes"]
    assert not_run and all("time limit ran out" in v["feedback"] for v in not_run)
    assert not any(v["status"] == "error" for v in result["verdicts"])
