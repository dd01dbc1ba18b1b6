"""What each canonical mistake costs under the default rubric: the README's grade table.

One row per mistake: the band (out of 100) an instructor would sign, why, and the samples
that make it. ``tests/golden/test_grade_bands.py`` holds every sample inside its row's
band and the ordering (an app that works outranks one that does not);
``python -m tests.golden.grade_table`` refreshes the README's table between its markers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- grade-table:start -->", "<!-- grade-table:end -->"


@dataclass(frozen=True)
class Row:
    id: str
    mistake: str
    low: float
    high: float
    why: str
    samples: tuple[str, ...]
    works: bool  # the assignment's core is done: processing runs after the response


ROWS = (
    Row("correct", "Correct, in any style (sync or async, anyio files, thread pool, a response's own "
        "background task, tasks in another module, a 4 s task)", 95, 100,
        "Every criterion is met.",
        ("good_sync_def", "good_async_anyio", "good_async_threadpool", "good_response_background",
         "good_router_package", "good_slow_task", "bg007_no_error_handling"), True),
    Row("unsafe-name", "Unsafe file name: the client's name decides where the file is written", 70, 95,
        "A hostile name can escape the upload folder (7 points: the file-name criterion).",
        ("sec001_unsafe_filename", "beh_path_escape", "save_then_process"), True),
    Row("whole-upload-in-memory", "The whole upload read into memory to be written out", 70, 95,
        "A large upload can exhaust the server's memory (5 points).",
        ("up001_read_whole_upload", "beh_custom_field"), True),
    Row("fixed-name", "Every upload saved under one fixed name", 70, 95,
        "Concurrent uploads overwrite each other (6 points: the concurrency criterion).",
        ("beh_fixed_name", "beh_fixed_name_sync"), True),
    Row("truncated", "Large files truncated (a single read of a fixed size)", 70, 95,
        "Every upload over 1 MiB loses its end (6 points).", ("beh_first_chunk_only",), True),
    Row("upload-to-task", "The upload handed to the task, saved after the response", 70, 95,
        "Works on current FastAPI, but the client is told the upload is received before it "
        "is saved (5 points).", ("bg002_upload_passed_to_task",), True),
    Row("500-on-empty", "A 500 on an empty upload", 70, 95, "A bad request crashes the endpoint (1 point).",
        ("beh_500_on_empty",), True),
    Row("blocking", "Blocking the event loop in the endpoint or in an async task", 50, 85,
        "Every other client waits while it blocks (16 points: the responsiveness criterion).",
        ("as001_blocking_endpoint", "as002_blocking_async_task", "beh_blocking_task",
         "blocking_sleep_in_endpoint", "blocking_task_3s"), True),
    Row("corrupted-save", "The upload saved corrupted (text mode, decoding)", 50, 75,
        "The saved file is not what the client sent: the save criteria fail, and the checks "
        "that need an intact copy cannot pass.", ("beh_text_mode_save",), True),
    Row("core-not-done", "The core not done: processing inline, tasks never attached, the task called instead "
        "of passed, a coroutine never awaited, processing scheduled before the save, a task that "
        "crashes or swallows its failure every time, saving in the task with no processing",
        20, 40,
        "The assignment is not done: the core criterion fails and caps the total at 40.",
        ("beh_inline_processing", "bg003_task_called", "bg003_coroutine_never_awaited",
         "bg005_detached_tasks", "bg006_no_background", "bg008_process_before_save", "beh_task_raises",
         "beh_swallowed_failure", "bytes_to_file_task", "beh_closed_file_copy", "upload_file_to_task"), False),
    Row("requests-fail", "Every upload request fails (a 500)", 0, 35, "The app does not work: capped at 35.",
        ("bg004_await_add_task",), False),
    Row("does-not-import", "The app does not import (a missing package, an error at import)", 0, 40,
        "Nothing could be run: only the static checks can score, capped at 40.",
        ("broken_missing_package",), False),
    Row("nothing", "No app, an empty submission, or code that does not parse", 0, 10,
        "Nothing to grade: no check can pass.", ("broken_no_app", "broken_empty", "broken_syntax_error"), False),
)


BY_ID = {row.id: row for row in ROWS}


def markdown() -> str:
    lines = ["| mistake | score out of 100 | why | samples |", "|---|---|---|---|"]
    for row in ROWS:
        band = f"{row.low:g}-{row.high:g}"
        samples = ", ".join(f"`{s}`" for s in row.samples)
        lines.append(f"| {row.mistake} | {band} | {row.why} | {samples} |")
    return "\n".join(lines)


def block(text: str) -> str | None:
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0]


def refresh(path: Path = README) -> bool:
    text = path.read_text(encoding="utf-8")
    current = block(text)
    if current is None:
        raise SystemExit(f"{path} needs the markers {START} and {END}")
    wanted = "\n" + markdown() + "\n"
    if current == wanted:
        return False
    path.write_text(text.replace(START + current + END, START + wanted + END), encoding="utf-8")
    return True


if __name__ == "__main__":
    print("updated" if refresh(Path(sys.argv[1]) if len(sys.argv) > 1 else README) else "already current")
