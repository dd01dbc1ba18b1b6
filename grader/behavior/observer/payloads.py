"""The files the parent uploads: the ``fixtures/`` files, each tagged at send time.

Every payload holds a random tag drawn from ``os.urandom`` in the parent when the upload
is built: ``@@TAG@@`` in a text fixture (and in a PNG's ``tEXt`` chunk) becomes the tag,
and the binary fixture gets a first line holding one. Nothing the child holds before the
bytes arrive on its socket can predict a tagged payload, so a file holding it was written
after it arrived, and an output that mentions the tag was derived from it. The rest of a
fixture is the same every run, so the student's code meets the same bytes every time (a
parser that chokes on some byte chokes on every run: the same grade, always).
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

CONCURRENT_UPLOADS = 8
UNICODE_NAME = "résumé 東京.txt"
DEFAULT_LARGE_MB = 4
DEFAULT_FIXTURE = "binary.bin"
PLACEHOLDER = b"@@TAG@@"
REPO_FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Payload:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    tag: str = ""

    @property
    def size(self) -> int:
        return len(self.data)

    def describe(self) -> str:
        return f"{self.filename!r} ({self.size:,} bytes)"


def fixtures_folder() -> Path:
    packaged = Path(str(resources.files("grader") / "_fixtures"))
    return packaged if packaged.is_dir() else REPO_FIXTURES


@lru_cache(maxsize=32)
def fixture_bytes(name: str, base: str | None = None) -> bytes:
    """A fixture's bytes: ``name`` in the rubric's folder ``base`` first, then ``fixtures/``."""
    for folder in ([Path(base)] if base else []) + [fixtures_folder()]:
        path = folder / name
        if path.is_file():
            return path.read_bytes()
    raise FileNotFoundError(name)


def _tag() -> str:
    return os.urandom(8).hex()


def tagged(template: bytes, tag: str) -> bytes:
    """``template`` with the tag in it: a text's placeholder, a PNG's chunk, else a first line."""
    if template.startswith(_PNG):
        return _tagged_png(template, tag)
    if PLACEHOLDER in template:
        return template.replace(PLACEHOLDER, tag.encode())
    return b"grader upload " + tag.encode() + b"\r\n" + template


def _tagged_png(png: bytes, tag: str) -> bytes:
    """Rebuild the chunks with the placeholder filled (lengths and CRCs stay valid)."""
    out, offset = [png[:8]], 8
    while offset + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        data = png[offset + 8:offset + 8 + length]
        data = data.replace(PLACEHOLDER, tag.encode())
        out.append(struct.pack(">I", len(data)) + kind + data
                   + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
        offset += 12 + length
    return b"".join(out)


def _sized(template: bytes, tag: str, size: int) -> bytes:
    """``size`` bytes: the tagged fixture, repeated (untagged) as filler."""
    head = tagged(template, tag)
    if len(head) >= size:
        return head[:size]
    return b"".join((head, memoryview(_filler(template, size))[:size - len(head)]))


@lru_cache(maxsize=4)
def _filler(template: bytes, size: int) -> bytes:
    """The untagged repeats (the same in every run: only the tag is drawn), built once
    per process: a 4 MiB upload then costs one allocation instead of three."""
    return template * (size // max(1, len(template)) + 1)


def primary_payload(fixture: str = DEFAULT_FIXTURE, base: str | None = None) -> Payload:
    tag = _tag()
    template = fixture_bytes(fixture, base)
    suffix = Path(fixture).suffix or ".bin"
    if fixture == DEFAULT_FIXTURE:
        return Payload(f"data-{tag[:10]}.txt", _sized(template, tag, 12 * 1024), "text/plain", tag)
    content_type = {".csv": "text/csv", ".txt": "text/plain", ".png": "image/png"}.get(suffix, "application/octet-stream")
    return Payload(f"{Path(fixture).stem}-{tag[:10]}{suffix}", tagged(template, tag), content_type, tag)


def large_payload(megabytes: float = DEFAULT_LARGE_MB) -> Payload:
    tag = _tag()
    return Payload(f"large-{tag[:10]}.bin", _sized(fixture_bytes(DEFAULT_FIXTURE), tag, int(megabytes * 1024 * 1024)),
                   tag=tag)


def concurrent_payloads() -> list[Payload]:
    payloads = []
    for index in range(CONCURRENT_UPLOADS):
        tag = _tag()
        payloads.append(Payload(f"part{index}-{tag[:10]}.txt",
                                _sized(fixture_bytes(DEFAULT_FIXTURE), tag, 2048 + 97 * index), "text/plain", tag))
    return payloads


def unicode_payload() -> Payload:
    # Text content: this check is about the name; saved-file-intact is about the bytes.
    tag = _tag()
    return Payload(UNICODE_NAME, tagged(fixture_bytes("unicode.txt"), tag), "text/plain", tag)


def hostile_payloads() -> list[Payload]:
    """Names that escape the upload folder when joined to it unchecked."""
    tag = _tag()
    body = tagged(fixture_bytes("text.txt"), tag)
    return [
        Payload(f"../../escape-{tag[:10]}-a.txt", body, "text/plain", tag),
        Payload(f"/tmp/escape-{tag[:10]}-b.txt", body, "text/plain", tag),
    ]


def empty_payload() -> Payload:
    return Payload(f"empty-{_tag()[:10]}.txt", fixture_bytes("empty.txt"), "text/plain")
