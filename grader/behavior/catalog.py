"""The behavioral checks' public contract: ids, titles, prerequisites, student feedback.

Ids are a public contract (rubrics and reports name them): never rename one. The
docstring-like ``description`` is what a student reads next to the verdict. This module
is import-light on purpose: the parent reads it without importing the harness.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    description: str
    requires: tuple[str, ...] = ()


_SPECS = [
    CheckSpec(
        "app-loads",
        "The FastAPI app is found and imports",
        "The grader finds your FastAPI() instance (or the one named in the rubric) and "
        "imports it within the time limit, with an upload route: a POST route with an "
        "UploadFile parameter.",
    ),
    CheckSpec(
        "upload-accepted",
        "A multipart upload answers 2xx",
        "A normal multipart/form-data upload to your upload route gets a 2xx response.",
        ("app-loads",),
    ),
    CheckSpec(
        "task-scheduled",
        "A background task runs after the response",
        "The upload schedules at least one BackgroundTasks task, and it runs after the "
        "response was sent.",
        ("upload-accepted",),
    ),
    CheckSpec(
        "response-before-processing",
        "The response arrives before the processing finishes",
        "The client gets its response before your processing ends: a task ran after the "
        "response, no processed output existed yet when the response completed, and the "
        "response was not held back by the task.",
        ("task-scheduled",),
    ),
    CheckSpec(
        "task-completes",
        "Every background task finishes without raising",
        "Each task the upload scheduled returns normally. An exception in a task happens "
        "after the 200 was sent: the client never learns, and later tasks are skipped.",
        ("task-scheduled",),
    ),
    CheckSpec(
        "saved-file-intact",
        "The uploaded file is saved byte for byte",
        "After the tasks ran, a file under your app's folder holds exactly the uploaded "
        "bytes (the test payload has NUL bytes, CRLF line ends and invalid UTF-8, so "
        "text-mode writes or decoding corrupt it).",
        ("upload-accepted",),
    ),
    CheckSpec(
        "saved-before-response",
        "The upload is saved before the response (save first, then schedule)",
        "The complete copy of the upload already existed when the response completed: save "
        "the file in the endpoint, then schedule processing of the saved path (quiz "
        "question 5).",
        ("saved-file-intact",),
    ),
    CheckSpec(
        "large-upload-intact",
        "A 16 MiB upload is saved intact",
        "A 16 MiB upload is accepted and saved byte for byte.",
        ("saved-file-intact",),
    ),
    CheckSpec(
        "concurrent-uploads-intact",
        "8 concurrent uploads are all saved intact",
        "Eight uploads sent at the same time, with distinct names and contents, are all "
        "saved byte for byte: no upload overwrites another.",
        ("saved-file-intact",),
    ),
    CheckSpec(
        "loop-responsive",
        "The event loop never stalls",
        "While an upload and its tasks run, the server's event loop never stalls for more "
        "than 250 ms: blocking calls (time.sleep, sync I/O on big files) in async code "
        "freeze every other request.",
        ("upload-accepted",),
    ),
    CheckSpec(
        "filename-contained",
        "A hostile filename cannot escape the upload folder",
        "An upload named like ../../x.txt or /tmp/x.txt never creates a file outside the "
        "folder where normal uploads land. Rejecting it with a 4xx or sanitizing the name "
        "both pass.",
        ("saved-file-intact",),
    ),
    CheckSpec(
        "missing-file-rejected",
        "A request without the file answers 4xx",
        "A POST without the file field gets a 4xx answer (FastAPI's validation gives 422), "
        "not a server error.",
        ("app-loads",),
    ),
    CheckSpec(
        "empty-upload-handled",
        "An empty upload answers 2xx or 4xx",
        "A 0-byte upload gets a 2xx or a 4xx answer, not a 5xx.",
        ("app-loads",),
    ),
    CheckSpec(
        "unicode-filename-handled",
        "A Unicode filename is accepted and saved intact",
        "An upload named 'résumé 東京.txt' gets a 2xx and is saved byte for byte.",
        ("saved-file-intact",),
    ),
]

CHECKS: dict[str, CheckSpec] = {spec.id: spec for spec in _SPECS}


def all_checks() -> dict[str, CheckSpec]:
    return dict(CHECKS)
