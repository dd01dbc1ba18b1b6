"""What is on disk in the app's work area: file sizes, and content hashes on demand.

Runs inside the sandboxed child. A snapshot is taken at the instant a response
completes, so it must be cheap: it stats every file but hashes only files whose size
matches a payload the grader is looking for (hashes are cached by inode, size and mtime).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# Tool folders that never hold the student's uploads.
_SKIP_DIRS = frozenset({"__pycache__", ".git", ".venv", "venv", "node_modules"})
# A hostile app could create millions of files; a snapshot never walks more than this.
MAX_FILES = 20_000


class Expected(Protocol):
    """A payload the grader uploaded (``payloads.Payload``): its size, bytes and digest."""

    @property
    def size(self) -> int: ...

    @property
    def parts(self) -> tuple[bytes, ...]: ...

    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    sha256: str | None  # None when the size matched no payload of interest


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class WorkArea:
    """The folder the app runs in (its cwd): snapshots keyed by path relative to it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self._hash_cache: dict[tuple[str, int, int, int], str] = {}

    def relative(self, path: str | os.PathLike[str]) -> str:
        resolved = Path(os.path.abspath(path))
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            return str(resolved)

    def _hash_file(self, path: str, stat: os.stat_result, cached: bool = True,
                   expected: Iterable[Expected] = ()) -> str | None:
        key = (path, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if cached and key in self._hash_cache:
            return self._hash_cache[key]
        for payload in expected:
            # Equal bytes have the payload's digest: comparing costs a read, hashing 16 MiB
            # three times more. A file that differs is hashed below, as any other.
            if payload.size == stat.st_size and _holds(path, payload.parts):
                if cached:
                    self._hash_cache[key] = payload.sha256
                return payload.sha256
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        except OSError:
            return None
        value = digest.hexdigest()
        if cached:
            self._hash_cache[key] = value
        return value

    def snapshot(self, hash_sizes: frozenset[int] | set[int] = frozenset(), hash_small: int = 0,
                 expected: Iterable[Expected] = ()) -> dict[str, FileState]:
        """Every regular file under the root (symlinks not followed): path -> state.

        Files whose size is in ``hash_sizes`` are hashed (cached); files smaller than
        ``hash_small`` bytes are hashed afresh, since a rewrite within one coarse
        timestamp tick keeps size and mtime. A file of the size of an ``expected``
        payload is first compared with it (same digest, found without hashing).
        """
        expected = tuple(expected)
        found: dict[str, FileState] = {}
        # Top-down like os.walk (a folder's files, then its sub-folders, in directory
        # order), but one lstat per file from scandir and paths built by concatenation:
        # the snapshot at response time must stay cheap as the uploads accumulate.
        pending = [(str(self.root), "")]
        while pending:
            folder, prefix = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError:
                continue
            subfolders = []
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in _SKIP_DIRS:
                            subfolders.append((entry.path, prefix + entry.name + "/"))
                        continue
                    if len(found) >= MAX_FILES:
                        return found
                    if not entry.is_file(follow_symlinks=False):
                        continue  # symlinks, sockets, fifos: never followed or read
                    stat = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.st_size in hash_sizes:
                    digest = self._hash_file(entry.path, stat, expected=expected)
                elif stat.st_size < hash_small:
                    digest = self._hash_file(entry.path, stat, cached=False, expected=expected)
                else:
                    digest = None
                found[prefix + entry.name] = FileState(stat.st_size, stat.st_mtime_ns, digest)
            pending.extend(reversed(subfolders))
        return found


def _holds(path: str, parts: tuple[bytes, ...]) -> bool:
    """The file's bytes are exactly ``parts`` joined (read once, part by part, into one
    reused buffer rather than a new ``bytes`` per part)."""
    buffer = bytearray()
    try:
        with open(path, "rb") as handle:
            for part in parts:
                if len(buffer) != len(part):
                    buffer = bytearray(len(part))
                if handle.readinto(buffer) != len(part) or buffer != part:
                    return False
            return handle.read(1) == b""
    except OSError:
        return False


def copies_of(snapshot: dict[str, FileState], digest: str) -> list[str]:
    """Paths in ``snapshot`` holding exactly the bytes with this SHA-256."""
    return sorted(path for path, state in snapshot.items() if state.sha256 == digest)


def new_files(before: dict[str, FileState], after: dict[str, FileState]) -> list[str]:
    return sorted(path for path in after if path not in before)
