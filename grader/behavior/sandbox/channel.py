"""The result channel: length-prefixed JSON messages over a dedicated pipe.

The child never reports through stdout: a student can print anything there. Each
message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON, and
carries the run's nonce so stray bytes (a student writing to the wrong descriptor) are
recognised and dropped instead of trusted.

Every byte read here may come from the student (who can find the pipe), so the reader
bounds what it keeps: at most ``MAX_MESSAGES`` messages and ``MAX_TOTAL_BYTES`` in all
per run (the grader's own child sends a few dozen, a few KiB); past either, the channel
is marked ``corrupt`` and the rest is drained unread. Text is decoded with replacement:
invalid UTF-8 and lone surrogates become U+FFFD, so no string from the child can make a
report writer raise. Nesting deeper than ``MAX_DEPTH`` is refused.
"""

from __future__ import annotations

import json
import os
import re
import struct
from typing import Any

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_MESSAGES = 10_000
MAX_DEPTH = 64
_HEADER = struct.Struct(">I")
_SURROGATE = re.compile("[\ud800-\udfff]")


def encode_message(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    return _HEADER.pack(len(body)) + body


def write_message(fd: int, message: dict[str, Any]) -> None:
    """Write one whole message (blocking; loops over partial writes)."""
    data = memoryview(encode_message(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _clean_text(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def sanitize(value: Any, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of decoded JSON whose strings (keys too) are valid Unicode; raises
    ValueError past ``max_depth`` levels. Iterative: depth costs no Python recursion."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]  # (value, container, key, depth)
    while stack:
        item, container, key, depth = stack.pop()
        if depth > max_depth:
            raise ValueError("nested too deeply")
        if isinstance(item, str):
            container[key] = _clean_text(item)
        elif isinstance(item, dict):
            copy: dict[str, Any] = {}
            container[key] = copy
            for k, v in item.items():
                clean_key = _clean_text(k)
                copy[clean_key] = None
                stack.append((v, copy, clean_key, depth + 1))
        elif isinstance(item, list):
            items: list[Any] = [None] * len(item)
            container[key] = items
            stack.extend((v, items, i, depth + 1) for i, v in enumerate(item))
        else:
            container[key] = item
    return root[0]


class MessageReader:
    """Incremental decoder: feed it bytes as they arrive, take whole messages out.

    A length past ``MAX_MESSAGE_BYTES``, a body that is not a JSON object, nesting past
    ``MAX_DEPTH`` or more than ``MAX_MESSAGES`` / ``MAX_TOTAL_BYTES`` in the run mark the
    stream ``corrupt`` (what the grader's own child never sends, with ``problem`` saying
    which); later bytes are counted and dropped.
    """

    def __init__(self, nonce: str, max_messages: int = MAX_MESSAGES, max_total: int = MAX_TOTAL_BYTES) -> None:
        self._buffer = bytearray()
        self._nonce = nonce
        self._max_messages = max_messages
        self._max_total = max_total
        self.corrupt = False
        self.problem = ""
        self.dropped = 0
        self.messages = 0
        self.total = 0

    def _fail(self, problem: str) -> None:
        self.corrupt = True
        self.problem = problem
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self.total += len(data)
        if self.corrupt:
            return []
        if self.total > self._max_total:
            self._fail(f"more than {self._max_total // (1024 * 1024)} MiB")
            return []
        self._buffer += data
        messages: list[dict[str, Any]] = []
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if length > MAX_MESSAGE_BYTES:
                self._fail("a message too long")
                break
            if len(self._buffer) < _HEADER.size + length:
                break
            body = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
            del self._buffer[: _HEADER.size + length]
            self.messages += 1
            if self.messages > self._max_messages:
                self._fail(f"more than {self._max_messages:,} messages")
                break
            try:
                message = sanitize(json.loads(body.decode("utf-8", "replace")))
            except (ValueError, RecursionError):
                self._fail("bytes that are not a message")
                break
            if not isinstance(message, dict) or message.get("nonce") != self._nonce:
                self.dropped += 1
                continue
            messages.append(message)
        return messages
