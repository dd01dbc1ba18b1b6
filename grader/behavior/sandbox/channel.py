"""The result channel: length-prefixed JSON messages over a dedicated pipe.

The child never reports through stdout: a student can print anything there. Each
message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON, and
carries the run's nonce so stray bytes (a student writing to the wrong descriptor) are
recognised and dropped instead of trusted.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_HEADER = struct.Struct(">I")


def encode_message(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    return _HEADER.pack(len(body)) + body


def write_message(fd: int, message: dict[str, Any]) -> None:
    """Write one whole message (blocking; loops over partial writes)."""
    data = memoryview(encode_message(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


class MessageReader:
    """Incremental decoder: feed it bytes as they arrive, take whole messages out.

    A length past ``MAX_MESSAGE_BYTES`` or a body that is not a JSON object marks the
    stream ``corrupt`` (what a trusted child never writes); later bytes are ignored.
    """

    def __init__(self, nonce: str) -> None:
        self._buffer = bytearray()
        self._nonce = nonce
        self.corrupt = False
        self.dropped = 0

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        if self.corrupt:
            return []
        self._buffer += data
        messages: list[dict[str, Any]] = []
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if length > MAX_MESSAGE_BYTES:
                self.corrupt = True
                self._buffer.clear()
                break
            if len(self._buffer) < _HEADER.size + length:
                break
            body = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
            del self._buffer[: _HEADER.size + length]
            try:
                message = json.loads(body.decode("utf-8", "surrogatepass"))
            except (UnicodeDecodeError, ValueError):
                self.corrupt = True
                self._buffer.clear()
                break
            if not isinstance(message, dict) or message.get("nonce") != self._nonce:
                self.dropped += 1
                continue
            messages.append(message)
        return messages
