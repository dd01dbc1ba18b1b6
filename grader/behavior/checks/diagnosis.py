"""Explain why no saved file holds the upload byte for byte: which corruption it looks like.

The transforms are computed only when a written file could be one (its size is not the
payload's), and once per payload: a 4 MiB payload's repr() is 16 MB of text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

HEAD = 48
TRUNCATED = ("it holds only the first {kept:,} of {size:,} bytes (truncated: the save stopped early, e.g. one "
             "read of a fixed size instead of a loop until the end)")


class Corruptions:
    """The usual ways a save of ``data`` goes wrong, as (the bytes it leaves, what happened)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    @cached_property
    def _known(self) -> list[tuple[Callable[[bytes], bytes], str]]:
        return [
            (lambda d: d.decode("utf-8", "replace").encode("utf-8"),
             "the bytes were decoded as text (invalid UTF-8 became U+FFFD)"),
            (lambda d: d.decode("utf-8", "ignore").encode("utf-8"), "the bytes were decoded as text, dropping invalid UTF-8"),
            (lambda d: d.replace(b"\r\n", b"\n"), "line ends were translated (CRLF became LF): text mode"),
            (lambda d: d.decode("latin-1").encode("utf-8"), "the bytes were decoded as latin-1 and re-encoded as UTF-8"),
            (lambda d: repr(d).encode(), "the repr() of the bytes was written (b'...') instead of the bytes"),
        ]

    @cached_property
    def _heads(self) -> list[bytes]:
        """Each transform's first bytes, from the payload's first bytes alone (cheap)."""
        return [transform(self.data[:256])[:HEAD] for transform, _ in self._known]

    def explain(self, content: bytes) -> str | None:
        """What went wrong, in one phrase, or None when ``content`` looks like nothing known."""
        if not content:
            return ("the saved file is empty: the upload was read twice, read after it was closed, or written "
                    "into a file that was already closed")
        for (transform, meaning), head in zip(self._known, self._heads):
            # A transform of a 4 MiB payload costs tens of ms: only when the start matches.
            if content[:HEAD] == head and content == transform(self.data):
                return meaning
        if len(content) < len(self.data) and self.data.startswith(content):
            return TRUNCATED.format(kept=len(content), size=len(self.data))
        return None

    def plausible_size(self, size: int) -> bool:
        """Could a file of ``size`` bytes be a failed save? (Read it only then.)"""
        return size <= 5 * len(self.data) + 16
