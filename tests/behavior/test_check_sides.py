"""The failing side of the checks no behavior sample targets, on small inline apps; and
the details a failed check carries for the student (sent, received, fix)."""

from __future__ import annotations

import os

from tests.behavior.harness_runner import run_on_files, run_sample, statuses, verdict

HEADER = """
import uuid
from pathlib import Path
from fastapi import BackgroundTasks, FastAPI, HTTPException, UploadFile
app = FastAPI()
UPLOADS = Path("uploads")
def process_file(path: Path) -> None:
    path.with_suffix(".done").write_text(str(path.stat().st_size))
"""
SAVE = """
    UPLOADS.mkdir(exist_ok=True)
    saved = UPLOADS / f"{uuid.uuid4().hex}.upload"
    saved.write_bytes(data)
"""


def _app(body: str, signature: str = "file: UploadFile, background_tasks: BackgroundTasks") -> dict[str, str]:
    return {"main.py": HEADER + f"@app.post('/upload')\nasync def upload({signature}):\n" + body}


def test_upload_accepted_fails_on_a_500() -> None:
    result = run_on_files(_app("    raise RuntimeError('boom')\n"))
    states = statuses(result)
    assert states["upload-accepted"] == "failed"
    assert states["task-scheduled"] == "skipped"
    failed = verdict(result, "upload-accepted")
    assert "HTTP 500" in failed["details"]["received"]
    assert failed["details"]["error"]["type"] == "RuntimeError"
    assert failed["details"]["fix"]


def test_task_scheduled_fails_without_background_tasks() -> None:
    body = "    data = await file.read()\n" + SAVE + "    process_file(saved)\n    return {'ok': True}\n"
    result = run_on_files(_app(body, "file: UploadFile"))
    states = statuses(result)
    assert states["task-scheduled"] == "failed"
    assert states["response-before-processing"] == "skipped"
    assert states["task-completes"] == "skipped"
    assert states["saved-file-intact"] == "passed"
    assert "add_task" in verdict(result, "task-scheduled")["details"]["fix"]


def test_large_upload_fails_on_a_size_limit() -> None:
    body = (
        "    data = await file.read()\n"
        "    if len(data) > 10 * 1024 * 1024:\n"
        "        raise HTTPException(413, 'too large')\n"
        + SAVE + "    background_tasks.add_task(process_file, saved)\n    return {'ok': True}\n"
    )
    states = statuses(run_on_files(_app(body)))
    assert states["large-upload-intact"] == "failed"
    assert states["saved-file-intact"] == "passed"


def test_missing_file_rejected_fails_when_the_app_crashes_on_none() -> None:
    body = (
        "    data = await file.read()\n"
        + SAVE + "    background_tasks.add_task(process_file, saved)\n    return {'ok': True}\n"
    )
    result = run_on_files(_app(body, "background_tasks: BackgroundTasks, file: UploadFile | None = None"))
    states = statuses(result)
    assert states["missing-file-rejected"] == "failed"
    assert states["upload-accepted"] == "passed"
    assert "HTTP 500" in verdict(result, "missing-file-rejected")["details"]["received"]


def test_failed_core_check_tells_what_was_sent_received_and_what_to_change() -> None:
    result = run_sample("seed_q3")
    failed = verdict(result, "saved-before-response")
    details = failed["details"]
    assert "POST /upload" in details["sent"] and "field `file`" in details["sent"]
    assert details["received"].startswith("HTTP 200")
    assert "saved_data-" in details["measured"]
    assert "add_task(process_file, path)" in details["fix"]


def test_text_mode_save_is_diagnosed_as_decoding() -> None:
    result = run_sample("beh_text_mode_save")
    assert "decoded as text" in verdict(result, "saved-file-intact")["details"]["measured"]


def test_task_exception_reports_type_message_and_student_frame() -> None:
    result = run_sample("seed_q4")
    task = result["run"]["primary_timeline"]["tasks"][0]
    assert task["error"] == {"type": "AttributeError", "message": "'bytes' object has no attribute 'file'", "where": "main.py:5"}
    assert "quiz question 4" in verdict(result, "task-completes")["details"]["fix"]


def test_path_escape_names_the_escaped_files_and_cleans_them_up() -> None:
    result = run_sample("beh_path_escape")
    measured = verdict(result, "filename-contained")["details"]["measured"]
    assert "escape-" in measured
    escaped = [part.strip() for part in measured.split("files written outside it:")[1].split(",")]
    assert escaped and all(not os.path.exists(path) for path in escaped)


def test_status_record_the_task_updates_is_not_processed_output() -> None:
    body = (
        "    data = await file.read()\n" + SAVE
        + "    status = saved.with_suffix('.status')\n"
        + "    status.write_text('pending')\n"
        + "    background_tasks.add_task(finish, saved)\n    return {'ok': True}\n"
    )
    files = _app(body)
    files["main.py"] = files["main.py"].replace(
        "@app.post", "def finish(path: Path) -> None:\n"
        "    process_file(path)\n"
        "    path.with_suffix('.status').write_text('done, ' + str(path.stat().st_size) + ' bytes')\n\n@app.post", 1)
    states = statuses(run_on_files(files))
    assert states["response-before-processing"] == "passed"
