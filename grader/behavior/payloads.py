"""The bytes the grader uploads, each unique per run (a nonce) so copies can be found by hash."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from grader.behavior.workarea import sha256_of

LARGE_SIZE = 16 * 1024 * 1024
CONCURRENT_UPLOADS = 8
UNICODE_NAME = "résumé 東京.txt"

# Text-mode writes, decoding and newline translation all change these bytes.
_TRICKY = (
    b"line one\r\nline two\r\n"
    b"NUL bytes:\x00\x00\x00 end\r\n"
    b"invalid UTF-8:\xff\xfe\xc3\x28\xa0\xa1 end\r\n"
    b"lone CR\r lone LF\n tab\t\r\n"
)


@dataclass(frozen=True)
class Payload:
    filename: str
    data: bytes
    content_type: str = "text/plain"

    @cached_property
    def sha256(self) -> str:
        return sha256_of(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    def describe(self) -> str:
        return f"{self.filename!r} ({self.size:,} bytes)"


def new_nonce() -> str:
    return os.urandom(6).hex()


def binary_payload(nonce: str) -> Payload:
    body = b"grader upload " + nonce.encode() + b"\r\n" + _TRICKY + bytes(range(256)) + _TRICKY * 40
    return Payload(f"data-{nonce}.txt", body)


@lru_cache(maxsize=1)
def _large_body() -> tuple[bytes, Any]:
    """The fixed part of the 16 MiB payload and its SHA-256 state (built once per process:
    a forking parent can build it before forking, see :func:`warm_up`)."""
    block = ((_TRICKY + bytes(range(256))) * 200)[: 64 * 1024]
    body = block * (LARGE_SIZE // len(block) - 1) + block[:-64]
    return body, hashlib.sha256(body)


def large_payload(nonce: str) -> Payload:
    # The nonce goes last: the hash of the fixed part is reused, only the tail is hashed.
    body, state = _large_body()
    tail = (b"\r\nlarge " + nonce.encode()).ljust(LARGE_SIZE - len(body), b".")
    digest = state.copy()
    digest.update(tail)
    payload = Payload(f"large-{nonce}.bin", body + tail, "application/octet-stream")
    payload.__dict__["sha256"] = digest.hexdigest()  # fills the cached_property
    return payload


def warm_up() -> None:
    """Build the large payload's fixed part now (call in a parent before it forks)."""
    _large_body()


def concurrent_payloads(nonce: str) -> list[Payload]:
    return [
        Payload(f"part{index}-{nonce}.txt", f"upload {index} of {CONCURRENT_UPLOADS} {nonce}\r\n".encode() * (50 + index) + _TRICKY)
        for index in range(CONCURRENT_UPLOADS)
    ]


def unicode_payload(nonce: str) -> Payload:
    # Plain UTF-8 content: this check is about the name, saved-file-intact about the bytes.
    return Payload(UNICODE_NAME, f"Unicode name test {nonce}\nsecond line\n".encode())


def hostile_payloads(nonce: str) -> list[Payload]:
    """Names that escape the upload folder when joined to it unchecked."""
    return [
        Payload(f"../../escape-{nonce}-a.txt", b"escape a " + nonce.encode()),
        Payload(f"/tmp/escape-{nonce}-b.txt", b"escape b " + nonce.encode()),
    ]


def empty_payload(nonce: str) -> Payload:
    return Payload(f"empty-{nonce}.txt", b"")
