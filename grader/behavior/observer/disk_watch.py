"""Watch every folder the student's run can write, from the trusted parent, with inotify.

The watches are the parent's: the child cannot see, remove or forge them. The kernel
queues one event per file operation in the order the operations happened, so the
*position* of an event in this log orders it against anything else the parent logs in
between (see :mod:`grader.behavior.observer.send_trap`: a response is about to be sent
at a known position). Timestamps are the parent's own clock when it read the event:
never earlier than the event itself.

inotify watches folders one by one, so a folder created by the child is watched only
once the parent reads its creation: whatever was already written into it then is found
by listing it right away (a ``found`` event, at that position: the files existed by then).
A full queue (``IN_Q_OVERFLOW``) or the watch limit makes the log ``incomplete``; the
verdicts then refuse to conclude anything from its absence of events.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.behavior import linux as kernel
from grader.behavior.observer.safe_fs import MAX_DEPTH

MAX_WATCHES = 4_000
MAX_EVENTS = 200_000

# Event kinds, in words the verdicts use.
CREATE, FOUND, OPEN, READ, CLOSE_READ, MODIFY, CLOSE_WRITE = (
    "create", "found", "open", "read", "close-read", "modify", "close-write")
ATTRIB, MOVED_FROM, MOVED_TO, DELETE = "attrib", "moved-from", "moved-to", "delete"
# A file found in a folder just watched was written before that position: a write too.
WRITES = frozenset({CREATE, FOUND, MODIFY, CLOSE_WRITE, MOVED_TO})
READS = frozenset({READ, CLOSE_READ})

_KINDS = (
    (kernel.IN_CREATE, CREATE), (kernel.IN_OPEN, OPEN), (kernel.IN_ACCESS, READ),
    (kernel.IN_MODIFY, MODIFY), (kernel.IN_CLOSE_WRITE, CLOSE_WRITE), (kernel.IN_CLOSE_NOWRITE, CLOSE_READ),
    (kernel.IN_ATTRIB, ATTRIB), (kernel.IN_MOVED_FROM, MOVED_FROM), (kernel.IN_MOVED_TO, MOVED_TO),
    (kernel.IN_DELETE, DELETE),
)


@functools.lru_cache(maxsize=256)
def _kinds_of(mask: int) -> tuple[str, ...]:
    return tuple(kind for bit, kind in _KINDS if mask & bit)


_FOLDER_CHANGES = (kernel.IN_CREATE | kernel.IN_DELETE | kernel.IN_MOVED_FROM | kernel.IN_MOVED_TO
                   | kernel.IN_ATTRIB | kernel.IN_MODIFY | kernel.IN_CLOSE_WRITE)


@dataclass(frozen=True)
class FileEvent:
    position: int
    kind: str
    root: str  # the label of the watched root ("." is the app's work area)
    path: str  # relative to the root, "/"-separated, surrogate-escaped
    is_dir: bool
    stamp: float  # the parent's monotonic clock when it read the event


@dataclass
class _Folder:
    root: str
    rel: str  # "" for the root itself
    depth: int


@dataclass
class DiskWatch:
    """``roots``: label -> the parent's path of a folder the child can write."""

    roots: dict[str, Path]
    events: list[FileEvent] = field(default_factory=list)
    incomplete: str | None = None  # why the log may miss events (overflow, too many folders)
    _fd: int = -1
    _root_paths: set[str] = field(default_factory=set)
    _folders: dict[int, _Folder] = field(default_factory=dict)

    def start(self) -> None:
        # Roots may nest (the work area inside the run's /tmp): each folder is watched once,
        # under the innermost root.
        self._root_paths = {os.path.realpath(p) for p in self.roots.values()}
        self._fd = kernel.inotify_init()
        for label, path in self.roots.items():
            self._watch(label, "", 0, scan=False)
            self._scan(label, "", 0, announce=False)

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    @property
    def position(self) -> int:
        return len(self.events)

    def pump(self) -> int:
        """Read every queued event into the log; returns the new position."""
        if self._fd < 0:
            return self.position
        raw = kernel.read_events(self._fd)  # everything queued, in one or more reads
        if raw is not None:
            stamp = time.monotonic()
            for event in raw:
                self._take(event, stamp)
        return self.position

    # ---- internals --------------------------------------------------------------------
    def _path(self, folder: _Folder, name: str) -> str:
        return f"{folder.rel}/{name}" if folder.rel else name

    def _log(self, kind: str, root: str, path: str, is_dir: bool, stamp: float) -> None:
        if len(self.events) >= MAX_EVENTS:
            self.incomplete = self.incomplete or f"more than {MAX_EVENTS:,} file events"
            return
        self.events.append(FileEvent(len(self.events), kind, root, path, is_dir, stamp))

    def _take(self, event: kernel.RawEvent, stamp: float) -> None:
        if event.mask & kernel.IN_Q_OVERFLOW:
            self.incomplete = "the kernel's event queue overflowed"
            return
        folder = self._folders.get(event.wd)
        if folder is None:
            return
        if event.mask & kernel.IN_IGNORED:
            self._folders.pop(event.wd, None)
            return
        if not event.name:
            return  # an event on the watched folder itself (deleted, moved): its parent logs it
        is_dir = bool(event.mask & kernel.IN_ISDIR)
        if is_dir and not event.mask & _FOLDER_CHANGES:
            return  # a folder opened, listed or closed: no verdict reads those
        path = self._path(folder, os.fsdecode(event.name))
        for kind in _kinds_of(event.mask):
            self._log(kind, folder.root, path, is_dir, stamp)
        if is_dir and event.mask & (kernel.IN_CREATE | kernel.IN_MOVED_TO):
            self._watch(folder.root, path, folder.depth + 1, scan=True)
        elif is_dir and event.mask & kernel.IN_MOVED_FROM:
            self._forget(folder.root, path)

    def _watch(self, root: str, rel: str, depth: int, scan: bool) -> None:
        if depth >= MAX_DEPTH:
            self.incomplete = self.incomplete or f"folders nested deeper than {MAX_DEPTH} levels"
            return
        if len(self._folders) >= MAX_WATCHES:
            self.incomplete = self.incomplete or f"more than {MAX_WATCHES:,} folders"
            return
        target = self.roots[root] / rel if rel else self.roots[root]
        if rel and os.path.realpath(target) in self._root_paths:
            return  # another root: watched under its own label
        try:
            wd = kernel.inotify_add_watch(self._fd, str(target))
        except OSError:
            return  # gone already, or a symlink (IN_DONT_FOLLOW): nothing to watch
        self._folders[wd] = _Folder(root, rel, depth)
        if scan:
            self._scan(root, rel, depth, announce=True)

    def _scan(self, root: str, rel: str, depth: int, announce: bool) -> None:
        """List a folder just watched: what it holds already existed at this position."""
        base = self.roots[root] / rel if rel else self.roots[root]
        try:
            entries = list(os.scandir(base))
        except OSError:
            return
        stamp = time.monotonic()
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            path = f"{rel}/{entry.name}" if rel else entry.name
            if announce:
                self._log(FOUND, root, path, is_dir, stamp)
            if is_dir and entry.name != "__pycache__":
                if os.path.realpath(base / entry.name) in self._root_paths:
                    continue
                self._watch(root, path, depth + 1, scan=announce)
                if not announce:
                    self._scan(root, path, depth + 1, announce=False)

    def _forget(self, root: str, rel: str) -> None:
        """A watched folder moved away: stop attributing its events to the old path."""
        prefix = rel + "/"
        for wd, folder in list(self._folders.items()):
            if folder.root == root and (folder.rel == rel or folder.rel.startswith(prefix)):
                self._folders.pop(wd, None)
