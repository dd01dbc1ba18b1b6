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
        "The grader finds your FastAPI() instance (or the one named in the rubric), imports it "
        "within the time limit and serves it: the server answers, and it has an upload route "
        "(a POST route with an UploadFile parameter).",
    ),
    CheckSpec(
        "upload-accepted",
        "A multipart upload answers 2xx",
        "A normal multipart/form-data upload to your upload route gets a 2xx response.",
        ("app-loads",),
    ),
    CheckSpec(
        "task-scheduled",
        "The processing runs after the response",
        "After the response left the server, your app processed the upload: it read the saved "
        "file back or wrote output derived from it (saving it is not processing it). The grader "
        "sees this on the disk itself.",
        ("upload-accepted",),
    ),
    CheckSpec(
        "response-before-processing",
        "The response arrives before the processing finishes",
        "The processing happens after the response: before the response left the server, "
        "your app had not read the saved upload back nor written any output derived from it, "
        "and it did so afterwards. Saving the upload before responding is expected.",
        ("upload-accepted",),
    ),
    CheckSpec(
        "task-completes",
        "The background work finishes without an error",
        "The work your app did after the response ended within the time limit, and no task "
        "raised. An exception in a task happens after the client got its 2xx: nobody learns "
        "about it, and the tasks scheduled after it never run.",
        ("task-scheduled",),
    ),
    CheckSpec(
        "saved-file-intact",
        "The uploaded file is saved byte for byte",
        "A file your app wrote holds exactly the uploaded bytes, when the response left or "
        "after the tasks ran (the test file has NUL bytes, CRLF line ends and invalid UTF-8, "
        "so a text-mode write or a decode corrupts it).",
        ("upload-accepted",),
    ),
    CheckSpec(
        "saved-before-response",
        "The upload is saved before the response (save first, then schedule)",
        "The complete copy of the upload already existed when the response left the server: "
        "save the file in the endpoint, then schedule the processing of the saved path.",
        ("saved-file-intact",),
    ),
    CheckSpec(
        "large-upload-intact",
        "A large upload is saved intact",
        "A large upload (4 MiB unless the rubric sets behavior.large_upload_mb) is accepted and "
        "saved byte for byte.",
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
        "While an upload and its tasks run, the grader's small requests to your server are "
        "answered within 250 ms (time spent waiting for a busy CPU is not counted): a "
        "blocking call (time.sleep, blocking I/O) in async code freezes every other request.",
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
        "processing-effect",
        "The processing produces the expected result",
        "After the response, your processing wrote an output file that holds what the assignment "
        "asks for (the rubric's checker reads it, with the upload it came from).",
        ("task-scheduled",),
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
