"""Background-task rules (BG002-BG011) on whole sample submissions and on classic snippets."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.discovery import load_submission
from grader.model import Severity
from grader.static.engine import lint_paths, lint_sources
from grader.static.registry import get_rule

SAMPLES = Path(__file__).resolve().parents[1] / "sample_submissions"

# Each violating sample breaks exactly one rule; the good package breaks none. (The await
# sample's async def endpoint also copies the upload on the event loop: AS003's advice.)
EXPECTED = {
    "bg002_upload_passed_to_task": {("BG002", "main.py", 33)},
    "bg003_task_called": {("BG003", "main.py", 33)},
    "bg004_await_add_task": {("BG004", "main.py", 34), ("AS003", "main.py", 31)},
    "bg005_detached_tasks": {("BG005", "main.py", 33)},
    "bg006_no_background": {("BG006", "main.py", 28)},
    "bg007_no_error_handling": {("BG007", "main.py", 14)},
    "bg008_process_before_save": {("BG008", "main.py", 44)},
    "good_router_package": set(),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_gets_exactly_its_intended_findings(name):
    with load_submission(SAMPLES / name) as submission:
        result = lint_paths(submission.root, submission.python_files)
    assert result.errors == []
    assert {(f.code, f.path, f.line) for f in result.findings} == EXPECTED[name]


UPLOAD_TO_TASK = b'''from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def save_file(file: UploadFile):
    with open(f"saved_{file.filename}", "wb") as f:
        f.write(file.file.read())

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(save_file, file)
    return {"message": "File upload started"}
'''

READ_SAVE_SCHEDULE = b'''from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process_file(path):
    pass

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    contents = await file.read()
    with open(f"saved_{file.filename}", "wb") as f:
        f.write(contents)
    background_tasks.add_task(process_file, f"saved_{file.filename}")
    return {"message": "File saved and processing started"}
'''


def test_upload_handed_to_the_task_is_bg002():
    findings = lint_sources([("main.py", UPLOAD_TO_TASK)]).findings
    assert ("BG002", 10) in {(f.code, f.line) for f in findings}
    assert not {"BG003", "BG004", "BG005", "BG006", "BG008"} & {f.code for f in findings}


def test_read_save_then_schedule_gets_no_background_task_error():
    findings = lint_sources([("main.py", READ_SAVE_SCHEDULE)]).findings
    bg = [f for f in findings if f.code.startswith("BG")]
    assert not [f for f in bg if f.severity is not Severity.ADVICE], bg
    # its process_file neither catches nor logs: only the advice
    assert {f.code for f in bg} == {"BG007"}


def test_bg002_explains_the_version_window():
    doc = get_rule("BG002").documentation()
    for needle in ("<= 0.105", ">= 0.118", "0.106.0", "0.117.1", "I/O operation on closed file", "saved path"):
        assert needle in doc, needle


def test_rules_stay_silent_on_other_task_systems():
    source = b'''from fastapi import FastAPI, UploadFile
from .tasks import task_manager, TaskManager
from .celery_app import process
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    manager = TaskManager()
    manager.add_task(func=process(file), args=(file,))
    await task_manager.add_task(func=process(file), args=(file,))
    process.delay(file.filename)
    return {}
'''
    findings = lint_sources([("main.py", source)]).findings
    assert not [f for f in findings if f.code in {"BG001", "BG002", "BG003", "BG004", "BG005", "BG006"}]


ODD_BUT_VALID = b'''import asyncio, functools
from fastapi import FastAPI, UploadFile, BackgroundTasks, Depends
app = FastAPI()
jobs = []

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks, dep=Depends(), *args, **kwargs):
    tasks.add_task()
    tasks.add_task(*jobs)
    tasks.add_task(**kwargs)
    tasks.add_task(functools.partial())
    tasks.add_task(functools.partial(*jobs))
    tasks.add_task(lambda: None)
    tasks.add_task((lambda: print)())
    tasks.add_task(jobs[0], dep)
    tasks.add_task(getattr(file, "x")(), (n := 1))
    loop = asyncio.get_running_loop()
    loop.create_task
    async def inner(file=file):
        return file
    tasks.add_task(inner)
    for x in []:
        tasks.add_task(x)
    return await asyncio.create_task(inner())
'''


def test_odd_shapes_do_not_break_the_rules():
    result = lint_sources([("main.py", ODD_BUT_VALID)])
    assert result.errors == []
    # ``inner``'s default captures the upload when defined: a real BG002, nothing else fires
    assert {f.code for f in result.findings if f.code.startswith("BG")} <= {"BG002", "BG007"}
