"""``--shard K/N``: a deterministic subset of the class, the same on every machine."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from grader.errors import GraderError


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as written on the command line
    count: int

    def owns(self, student: str) -> bool:
        # SHA-256, not hash(): Python's str hash is salted per process.
        value = int.from_bytes(hashlib.sha256(student.encode("utf-8", "surrogateescape")).digest()[:8], "big")
        return value % self.count == self.index - 1

    @property
    def label(self) -> str:
        return f"shard-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise GraderError(f"--shard {text!r}: expected K/N, e.g. 1/4.")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise GraderError(f"--shard {text}: K must be between 1 and N (got {index}/{count}).")
    return Shard(index, count)
