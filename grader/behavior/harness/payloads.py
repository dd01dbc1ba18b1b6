"""The bytes the grader uploads, each unique per run (a nonce) so copies can be found by hash."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from grader.behavior.harness.workarea import sha256_of

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
    # The content as a sequence of chunks: the 16 MiB payload shares its fixed chunks
    # between runs instead of copying 16 MiB each time.
    parts: tuple[bytes, ...]
    content_type: str = "text/plain"

    @classmethod
    def of(cls, filename: str, data: bytes, content_type: str = "text/plain") -> Payload:
        return cls(filename, (data,), content_type)

    @cached_property
    def data(self) -> bytes:
        return self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)

    @cached_property
    def size(self) -> int:
        return sum(map(len, self.parts))

    @cached_property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for part in self.parts:
            digest.update(part)
        return digest.hexdigest()

    def describe(self) -> str:
        return f"{self.filename!r} ({self.size:,} bytes)"


def new_nonce() -> str:
    return os.urandom(6).hex()


def binary_payload(nonce: str) -> Payload:
    body = b"grader upload " + nonce.encode() + b"\r\n" + _TRICKY + bytes(range(256)) + _TRICKY * 40
    return Payload.of(f"data-{nonce}.txt", body)


LARGE_CHUNK = 1 << 20


NONCE_TAIL = 64  # the last bytes of the 16 MiB payload: "\r\nlarge <nonce>" padded with dots


@lru_cache(maxsize=1)
def _large_parts() -> tuple[tuple[bytes, ...], bytes, Any]:
    """The fixed chunks of the 16 MiB payload, the fixed start of its last chunk, and the
    SHA-256 state of both (built once per process: a forking parent builds them before
    forking, see :func:`warm_up`)."""
    block = ((_TRICKY + bytes(range(256))) * 200)[: 64 * 1024]
    chunk = block * (LARGE_CHUNK // len(block))
    fixed = (chunk,) * (LARGE_SIZE // LARGE_CHUNK - 1)
    last_start = chunk[:-NONCE_TAIL]
    state = hashlib.sha256()
    for part in (*fixed, last_start):
        state.update(part)
    return fixed, last_start, state


def large_payload(nonce: str) -> Payload:
    # Only the last 64 bytes carry the nonce: they alone are hashed per run.
    fixed, last_start, state = _large_parts()
    tail = (b"\r\nlarge " + nonce.encode()).ljust(NONCE_TAIL, b".")
    digest = state.copy()
    digest.update(tail)
    payload = Payload(f"large-{nonce}.bin", (*fixed, last_start + tail), "application/octet-stream")
    payload.__dict__["sha256"] = digest.hexdigest()  # fills the cached_property
    return payload


def warm_up() -> None:
    """Build the large payload's fixed part now (call in a parent before it forks)."""
    _large_parts()


def concurrent_payloads(nonce: str) -> list[Payload]:
    return [
        Payload.of(f"part{index}-{nonce}.txt", f"upload {index} of {CONCURRENT_UPLOADS} {nonce}\r\n".encode() * (50 + index) + _TRICKY)
        for index in range(CONCURRENT_UPLOADS)
    ]


def unicode_payload(nonce: str) -> Payload:
    # Plain UTF-8 content: this check is about the name, saved-file-intact about the bytes.
    return Payload.of(UNICODE_NAME, f"Unicode name test {nonce}\nsecond line\n".encode())


def hostile_payloads(nonce: str) -> list[Payload]:
    """Names that escape the upload folder when joined to it unchecked."""
    return [
        Payload.of(f"../../escape-{nonce}-a.txt", b"escape a " + nonce.encode()),
        Payload.of(f"/tmp/escape-{nonce}-b.txt", b"escape b " + nonce.encode()),
    ]


def empty_payload(nonce: str) -> Payload:
    return Payload.of(f"empty-{nonce}.txt", b"")
