"""The harness never hangs on a task that never ends: it reports it and moves on."""

from __future__ import annotations

import time

import pytest

from tests.behavior.harness_runner import run_on_files, statuses, verdict

HANGING = """
import asyncio, time
from fastapi import BackgroundTasks, FastAPI, UploadFile
app = FastAPI()

{kind}def process_file(path: str) -> None:
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
    result = run_on_files({"main.py": HANGING.format(kind=kind, sleep=sleep)},
                          {"timeout": 8, "exchange_timeout": 2, "checks": CORE})
    assert time.monotonic() - started < 30  # the run ends; the limit itself is the sandbox's job
    states = statuses(result)
    assert states["task-completes"] == "failed"
    assert verdict(result, "task-completes")["feedback"] == "The background task did not finish within 2 s."
    assert states["saved-file-intact"] == "passed"
    assert states["missing-file-rejected"] == "passed"


def test_time_limit_reports_checks_it_could_not_run() -> None:
    result = run_on_files({"main.py": HANGING.format(kind="", sleep="time.sleep(0.1)")},
                          {"timeout": 3, "exchange_timeout": 2})
    states = statuses(result)
    assert states["task-completes"] == "failed"
    not_run = [v for v in result["verdicts"] if v["status"] == "error"]
    assert not_run and all("time limit ran out" in v["feedback"] for v in not_run)
