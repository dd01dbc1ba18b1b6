"""Explain why an upload's saved copy is not byte for byte: which corruption it looks like."""

from __future__ import annotations

from pathlib import Path

from grader.behavior.harness.check_context import UploadRun
from grader.behavior.harness.workarea import WorkArea, new_files

_MAX_COMPARED = 8


def _transforms(data: bytes) -> list[tuple[bytes, str]]:
    text_replace = data.decode("utf-8", "replace")
    return [
        (b"", "the saved file is empty: the upload was read twice, or read after it was closed"),
        (text_replace.encode("utf-8"), "the bytes were decoded as text (invalid UTF-8 became U+FFFD)"),
        (data.decode("utf-8", "ignore").encode("utf-8"), "the bytes were decoded as text, dropping invalid UTF-8"),
        (data.replace(b"\r\n", b"\n"), "line ends were translated (CRLF became LF): text mode"),
        (data.decode("latin-1").encode("utf-8"), "the bytes were decoded as latin-1 and re-encoded as UTF-8"),
        (repr(data).encode(), "the repr() of the bytes was written (b'...') instead of the bytes"),
        (str(data).encode(), "str(bytes) was written instead of the bytes"),
    ]


def explain_mismatch(run: UploadRun, area: WorkArea) -> tuple[str, list[str]]:
    """A sentence about the closest new file, and the new files seen after the tasks."""
    created = new_files(run.before, run.after)
    if not created:
        return "no new file appeared under the app's folder", []
    size = run.payload.size
    candidates = sorted(created, key=lambda path: abs(run.after[path].size - size))[:_MAX_COMPARED]
    transforms = _transforms(run.payload.data)
    for rel in candidates:
        try:
            content = (Path(area.root) / rel).read_bytes()
        except OSError:
            continue
        for expected, meaning in transforms:
            if content == expected:
                return f"{rel} has {len(content):,} bytes: {meaning}", created
        if content and run.payload.data.startswith(content):
            return f"{rel} holds only the first {len(content):,} of {size:,} bytes (truncated)", created
    listed = ", ".join(f"{rel} ({run.after[rel].size:,} bytes)" for rel in candidates)
    return f"new files differ from the upload: {listed}", created
