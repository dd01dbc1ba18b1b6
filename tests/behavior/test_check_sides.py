"""The failing side of the checks no behavior sample targets, on small inline apps; and
the details a failed check carries for the student (sent, received, measured, fix)."""

from __future__ import annotations


from tests.behavior.observed import observe_files, observe_sample, statuses, verdict

HEADER = """
import uuid
from pathlib import Path
from fastapi import BackgroundTasks, FastAPI, HTTPException, UploadFile
app = FastAPI()
UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
def process_file(path: Path) -> None:
    path.with_suffix(".done").write_text(str(len(path.read_bytes())))
"""
SAVE = """
    saved = UPLOADS / f"{uuid.uuid4().hex}.upload"
    saved.write_bytes(data)
"""
FAST = ["app-loads", "upload-accepted", "task-scheduled", "response-before-processing", "task-completes",
        "saved-file-intact", "saved-before-response"]


def _app(body: str, signature: str = "file: UploadFile, background_tasks: BackgroundTasks") -> dict[str, str]:
    return {"main.py": HEADER + f"@app.post('/upload')\nasync def upload({signature}):\n" + body}


def test_upload_accepted_fails_on_a_500() -> None:
    result = observe_files(_app("    raise RuntimeError('boom')\n"), checks=FAST)
    states = statuses(result)
    assert states["upload-accepted"] == "failed"
    assert states["task-scheduled"] == "skipped"
    failed = verdict(result, "upload-accepted")
    assert "HTTP 500" in failed["details"]["received"]
    assert failed["details"]["error"]["type"] == "RuntimeError"
    assert failed["details"]["fix"]


def test_processing_in_the_endpoint_fails_with_the_timeline() -> None:
    body = "    data = await file.read()\n" + SAVE + "    process_file(saved)\n    return {'ok': True}\n"
    result = observe_files(_app(body, "file: UploadFile"), checks=FAST)
    states = statuses(result)
    assert states["task-scheduled"] == "failed"
    assert states["response-before-processing"] == "failed"
    assert states["task-completes"] == "skipped"
    assert states["saved-file-intact"] == "passed"
    before = verdict(result, "response-before-processing")
    assert "inside the request" in before["feedback"]
    assert before["details"]["timeline"]["read_back_before_response"]
    assert before["details"]["timeline"]["output_before_response"][0].endswith(".done")
    assert "add_task" in verdict(result, "task-scheduled")["details"]["fix"]


def test_processing_in_a_folder_the_endpoint_creates_fails_too() -> None:
    """inotify watches a new folder only once the parent reads its creation: the reads made
    in it before are not seen, but the output found there is (and nothing follows)."""
    body = ("    data = await file.read()\n    Path('fresh').mkdir(exist_ok=True)\n"
            "    saved = Path('fresh') / f'{uuid.uuid4().hex}.upload'\n    saved.write_bytes(data)\n"
            "    process_file(saved)\n    return {'ok': True}\n")
    states = statuses(observe_files(_app(body, "file: UploadFile"), checks=FAST))
    assert states["task-scheduled"] == "failed"
    assert states["response-before-processing"] == "failed"
    assert states["saved-before-response"] == "passed"


def test_inline_processing_then_a_task_touching_its_output_still_fails() -> None:
    """The processing ran in the request (0.6 s); a trivial task then touches its output."""
    body = ("    data = await file.read()\n" + SAVE
            + "    import time\n    time.sleep(0.6)\n    process_file(saved)\n"
            + "    background_tasks.add_task(saved.with_suffix('.done').touch)\n    return {'ok': True}\n")
    result = observe_files(_app(body), checks=FAST)
    assert statuses(result)["response-before-processing"] == "failed"
    assert statuses(result)["task-scheduled"] == "failed"  # a touch is not processing


def test_inline_processing_then_a_task_rereading_the_upload_still_fails() -> None:
    body = ("    data = await file.read()\n" + SAVE + "    process_file(saved)\n"
            + "    background_tasks.add_task(saved.read_bytes)\n    return {'ok': True}\n")
    result = observe_files(_app(body), checks=FAST)
    assert statuses(result)["task-scheduled"] == "passed"  # something was read after
    assert statuses(result)["response-before-processing"] == "failed"  # but the processing ran before


def test_large_upload_fails_on_a_size_limit() -> None:
    body = (
        "    data = await file.read()\n"
        "    if len(data) > 1024 * 1024:\n"
        "        raise HTTPException(413, 'too large')\n"
        + SAVE + "    background_tasks.add_task(process_file, saved)\n    return {'ok': True}\n"
    )
    states = statuses(observe_files(_app(body), checks=FAST + ["large-upload-intact"]))
    assert states["large-upload-intact"] == "failed"
    assert states["saved-file-intact"] == "passed"


def test_missing_file_rejected_fails_when_the_app_crashes_on_none() -> None:
    body = "    data = await file.read()\n" + SAVE + "    background_tasks.add_task(process_file, saved)\n    return {'ok': True}\n"
    result = observe_files(_app(body, "background_tasks: BackgroundTasks, file: UploadFile | None = None"),
                           checks=["app-loads", "upload-accepted", "missing-file-rejected"])
    states = statuses(result)
    assert states["missing-file-rejected"] == "failed"
    assert states["upload-accepted"] == "passed"
    assert "HTTP 500" in verdict(result, "missing-file-rejected")["details"]["received"]


def test_failed_core_check_tells_what_was_sent_received_and_what_to_change() -> None:
    result = observe_sample("upload_file_to_task", checks=FAST)
    details = verdict(result, "saved-before-response")["details"]
    assert "POST /upload" in details["sent"] and "field `file`" in details["sent"]
    assert details["received"].startswith("HTTP 200")
    assert "response complete at" in details["measured"]
    assert "add_task(process_file, path)" in details["fix"]
    assert "await file.read()" not in details["fix"]  # the fix streams the upload (UP001 agrees)


def test_text_mode_save_is_diagnosed_as_decoding() -> None:
    result = observe_sample("beh_text_mode_save", checks=FAST)
    assert "decoded as text" in verdict(result, "saved-file-intact")["details"]["measured"]


def test_task_exception_reports_type_message_and_student_frame() -> None:
    result = observe_sample("beh_task_raises", checks=FAST)
    failed = verdict(result, "task-completes")
    assert failed["status"] == "failed"
    assert "ValueError" in failed["feedback"] and "main.py:" in failed["feedback"]
    tasks = result["run"]["primary_timeline"]["tasks_reported_by_app"]
    assert tasks[0]["error"]["type"] == "ValueError"


def test_path_escape_names_the_escaped_files_and_cleans_them_up() -> None:
    result = observe_sample("beh_path_escape", checks=FAST + ["filename-contained"])
    measured = verdict(result, "filename-contained")["details"]["measured"]
    assert "escape-" in measured


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
        "    path.with_suffix('.status').write_text('done')\n\n@app.post", 1)
    states = statuses(observe_files(files, checks=FAST))
    assert states["response-before-processing"] == "passed"


def test_an_empty_file_made_by_the_endpoint_is_not_processed_output() -> None:
    """The endpoint creates the output file empty; the task fills it: not inline processing."""
    body = (
        "    data = await file.read()\n" + SAVE
        + "    out = saved.with_suffix('.done')\n    out.touch()\n"
        + "    background_tasks.add_task(process_file, saved)\n    return {'ok': True}\n"
    )
    states = statuses(observe_files(_app(body), checks=FAST))
    assert states["response-before-processing"] == "passed"


def test_a_task_that_swallows_its_failure_processes_nothing() -> None:
    """bytes passed where a path is expected; the TypeError is caught and hidden."""
    files = _app("    data = await file.read()\n" + SAVE
                 + "    background_tasks.add_task(careful, data)\n    return {'ok': True}\n")
    files["main.py"] = files["main.py"].replace(
        "@app.post", "def careful(path) -> None:\n    try:\n        process_file(Path(path))\n"
        "    except Exception:\n        pass\n\n@app.post", 1)
    states = statuses(observe_files(files, checks=FAST))
    assert states["task-scheduled"] == "failed"
    assert states["response-before-processing"] == "failed"
