"""Bounded capture of the child's stdout/stderr: keep the head and the tail only.

A student can print 45 MB; the parent keeps at most ``head + tail`` bytes per stream
whatever arrives, so memory stays bounded and the report stays small.
"""

from __future__ import annotations

from typing import Any

HEAD_BYTES = 16_000
TAIL_BYTES = 16_000  # two streams x (head + tail) + cut notes stay under 64 KiB in the report


class HeadTailBuffer:
    def __init__(self, head: int = HEAD_BYTES, tail: int = TAIL_BYTES) -> None:
        self._head_limit = head
        self._tail_limit = tail
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data[-self._tail_limit :]
            if len(self._tail) > self._tail_limit:
                del self._tail[: len(self._tail) - self._tail_limit]

    @property
    def truncated(self) -> bool:
        return self.total > len(self._head) + len(self._tail)

    def text(self) -> str:
        head = bytes(self._head).decode("utf-8", "replace")
        if not self._tail:
            return head
        tail = bytes(self._tail).decode("utf-8", "replace")
        if self.truncated:
            cut = self.total - len(self._head) - len(self._tail)
            return f"{head}\n[... {cut} bytes cut by the grader ...]\n{tail}"
        return head + tail

    def summary(self) -> dict[str, Any]:
        return {"text": self.text(), "bytes": self.total, "truncated": self.truncated}
