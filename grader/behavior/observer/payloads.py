"""The files the parent uploads, each marked with a tag drawn at send time.

Every payload starts with a line holding a random tag from ``os.urandom`` in the parent,
drawn when the upload is built: nothing the child holds before the bytes arrive on its
socket can predict it, so a file holding the payload was written after it arrived. The
rest is the same every run, so the student's code meets the same bytes every time (a
parser that chokes on some byte chokes on every run: the same grade, always). Every
payload carries NUL bytes, CRLF and lone CR/LF, and invalid UTF-8, so a text-mode write,
a decode or a newline translation corrupts it visibly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Text-mode writes, decoding and newline translation all change these bytes.
TRICKY = (
    b"line one\r\nline two\r\n"
    b"NUL bytes:\x00\x00\x00 end\r\n"
    b"invalid UTF-8:\xff\xfe\xc3\x28\xa0\xa1 end\r\n"
    b"lone CR\r lone LF\n tab\t\r\n"
)
CONCURRENT_UPLOADS = 8
UNICODE_NAME = "résumé 東京.txt"
DEFAULT_LARGE_MB = 4


@dataclass(frozen=True)
class Payload:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"

    @property
    def size(self) -> int:
        return len(self.data)

    def describe(self) -> str:
        return f"{self.filename!r} ({self.size:,} bytes)"


_FILLER_BLOCK = (TRICKY + bytes(range(256))) * 64


def _tag() -> str:
    return os.urandom(5).hex()


def _fresh(size: int) -> bytes:
    """``size`` bytes: a line with a random tag (every payload starts differently and
    unpredictably), then the tricky block and fixed filler."""
    head = b"grader upload " + os.urandom(8).hex().encode() + b"\r\n"
    repeats = size // len(_FILLER_BLOCK) + 1
    return (head + TRICKY + _FILLER_BLOCK * repeats)[:size]


def binary_payload() -> Payload:
    return Payload(f"data-{_tag()}.txt", _fresh(12 * 1024), "text/plain")


def large_payload(megabytes: float = DEFAULT_LARGE_MB) -> Payload:
    return Payload(f"large-{_tag()}.bin", _fresh(int(megabytes * 1024 * 1024)))


def concurrent_payloads() -> list[Payload]:
    return [Payload(f"part{index}-{_tag()}.txt", _fresh(2048 + 97 * index), "text/plain")
            for index in range(CONCURRENT_UPLOADS)]


def unicode_payload() -> Payload:
    # Text content: this check is about the name; saved-file-intact is about the bytes.
    return Payload(UNICODE_NAME, f"Unicode name test {_tag()}\nsecond line\n".encode(), "text/plain")


def hostile_payloads() -> list[Payload]:
    """Names that escape the upload folder when joined to it unchecked."""
    tag = _tag()
    return [
        Payload(f"../../escape-{tag}-a.txt", b"escape a " + _fresh(64), "text/plain"),
        Payload(f"/tmp/escape-{tag}-b.txt", b"escape b " + _fresh(64), "text/plain"),
    ]


def empty_payload() -> Payload:
    return Payload(f"empty-{_tag()}.txt", b"", "text/plain")
