"""Explain why no saved file holds the upload byte for byte: which corruption it looks like."""

from __future__ import annotations

Corruption = tuple[bytes, str]
_MAX_COMPARED = 8


def corruptions(data: bytes) -> list[Corruption]:
    """The usual ways a save goes wrong, as (the bytes it leaves, what happened)."""
    text_replace = data.decode("utf-8", "replace")
    return [
        (b"", "the saved file is empty: the upload was read twice, read after it was closed, "
              "or written into a file that was already closed"),
        (text_replace.encode("utf-8"), "the bytes were decoded as text (invalid UTF-8 became U+FFFD)"),
        (data.decode("utf-8", "ignore").encode("utf-8"), "the bytes were decoded as text, dropping invalid UTF-8"),
        (data.replace(b"\r\n", b"\n"), "line ends were translated (CRLF became LF): text mode"),
        (data.decode("latin-1").encode("utf-8"), "the bytes were decoded as latin-1 and re-encoded as UTF-8"),
        (repr(data).encode(), "the repr() of the bytes was written (b'...') instead of the bytes"),
    ]


def is_corruption(content: bytes, data: bytes, known: list[Corruption]) -> bool:
    """A failed save of ``data``: a known corruption, or a truncated copy."""
    if any(content == expected for expected, _ in known):
        return True
    return bool(content) and len(content) < len(data) and data.startswith(content)


def explain(content: bytes, data: bytes, known: list[Corruption]) -> str | None:
    """What went wrong, in one phrase, or None when ``content`` looks like nothing known."""
    for expected, meaning in known:
        if content == expected:
            return meaning
    if content and len(content) < len(data) and data.startswith(content):
        return (f"it holds only the first {len(content):,} of {len(data):,} bytes (truncated: the save "
                "stopped early, e.g. one read of a fixed size instead of a loop until the end)")
    return None
