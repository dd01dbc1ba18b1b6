"""One run's trusted witness: the HTTP client, the disk watch and the send trap, together.

Everything runs on one asyncio loop in the parent (a thread of the grader, never the
student's process). The disk watch and the send trap are read as soon as their
descriptors are readable; a trapped send first drains the disk watch, so its mark's
position splits the file events into "before these bytes left the server" and "after".
While a send is held, a hook may look at the disk (stat, or read a file to compare it
with a payload): the parent's own reads would show up in the log as reads, so they are
bracketed and left out of what the verdicts count as the app's reads.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.behavior import linux
from grader.behavior.observer import safe_fs
from grader.behavior.observer.client import HttpClient
from grader.behavior.observer.disk_watch import CLOSE_READ, OPEN, READ, DiskWatch, FileEvent
from grader.behavior.observer.send_trap import SendMark, SendTrap

HoldHook = Callable[[], None]
# What the parent's own reads of a file look like in the log.
READS_OF_OWN = frozenset({OPEN, READ, CLOSE_READ})


@dataclass(frozen=True)
class OwnReads:
    """Positions [start, end) hold the parent's own reads of ``paths``."""

    start: int
    end: int
    paths: frozenset[tuple[str, str]]


@dataclass
class Witness:
    roots: dict[str, Path]  # label -> parent's path; "." is the app's work area
    client: HttpClient
    watch: DiskWatch = field(init=False)
    trap: SendTrap | None = None
    trap_state: str = "untrapped: the child did not hand over a send trap"
    own_reads: list[OwnReads] = field(default_factory=list)
    _own_positions: set[int] = field(default_factory=set)
    _hooks: dict[int, HoldHook] = field(default_factory=dict)
    _reading: set[tuple[str, str]] | None = None
    # label -> a descriptor of the root, held for the run: every look at a file starts
    # there (walking the root's whole path each time was ~1,000 opens and closes a run).
    _root_fds: dict[str, int] = field(default_factory=dict)
    _closed: bool = False  # after close(), looks walk the paths (nothing is held open again)

    def __post_init__(self) -> None:
        self.watch = DiskWatch(dict(self.roots))

    def beneath(self, root: str) -> safe_fs.Root:
        """Where to look for a file of ``root``: its held descriptor, else its path."""
        held = self._root_fds.get(root)
        if held is None and not self._closed:
            held = safe_fs.open_root(str(self.roots[root]))
            if held is not None:
                self._root_fds[root] = held
        return str(self.roots[root]) if held is None else held

    # ---- life -------------------------------------------------------------------------
    def start_watching(self) -> None:
        """Before the child starts: every later write of the child is in the log."""
        self.watch.start()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.add_reader(self.watch.fileno(), self.watch.pump)
        if self.trap is not None:
            trap_fd = self.trap.fileno()
            loop.add_reader(trap_fd, self.trap.handle)
            self.trap.on_hang_up = lambda: loop.remove_reader(trap_fd)

    def detach(self, loop: asyncio.AbstractEventLoop) -> None:
        for fd in (self.watch.fileno(), self.trap.fileno() if self.trap else -1):
            if fd >= 0:
                loop.remove_reader(fd)

    def close(self) -> None:
        if self.trap is not None:
            self.trap.close()
        self.watch.close()
        for held in self._root_fds.values():
            os.close(held)
        self._root_fds.clear()
        self._closed = True

    def take_send_trap(self, control: socket.socket, timeout: float) -> None:
        """Receive the listener the child hands over, then tell it to go on."""
        control.settimeout(timeout)
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 16, 1)
        except OSError:
            message, fds = b"", []
        listener = fds[0] if fds else -1
        if message == b"trap" and listener >= 0 and linux.is_seccomp_listener(listener):
            self.trap = SendTrap(listener, self.client.connection_of, self._on_send)
            self.trap_state = "trapped"
        else:
            if listener >= 0:
                os.close(listener)
            self.trap_state = ("untrapped: this machine offers no seccomp user notification"
                               if message == b"none" else "untrapped: the child did not hand over a send trap")
        try:
            control.sendall(b"go")
        except OSError:
            pass

    # ---- positions and holds ---------------------------------------------------------
    def position(self) -> int:
        return self.watch.pump()

    def hold_on_send(self, connection: int, hook: HoldHook) -> None:
        """Run ``hook`` every time a send answering ``connection`` is held."""
        self._hooks[connection] = hook

    def release_hold(self, connection: int) -> None:
        self._hooks.pop(connection, None)

    def _on_send(self, _thread: int, connection: int | None) -> int:
        position = self.watch.pump()
        hook = self._hooks.get(connection) if connection is not None else None
        if hook is not None:
            self.run_own(hook)
        return position

    def run_own(self, work: HoldHook) -> None:
        """Run ``work`` (which reads files through :meth:`read`), bracketing its events."""
        start = self.watch.pump()
        self._reading = set()
        try:
            work()
        finally:
            paths, self._reading = self._reading, None
            own = OwnReads(start, self.watch.pump(), frozenset(paths))
            self.own_reads.append(own)
            self._own_positions.update(e.position for e in self.watch.events[own.start:own.end]
                                       if (e.root, e.path) in own.paths and e.kind in READS_OF_OWN)

    def read(self, root: str, rel: str, max_bytes: int) -> bytes | None:
        if self._reading is not None:
            self._reading.add((root, rel))
        return safe_fs.read_regular(self.beneath(root), rel, max_bytes)

    def holds(self, root: str, rel: str, expected: bytes) -> bool:
        if self._reading is not None:
            self._reading.add((root, rel))
        return safe_fs.holds(self.beneath(root), rel, expected)

    def is_own(self, event: FileEvent) -> bool:
        return event.position in self._own_positions

    def marks_for(self, connection: int) -> list[SendMark]:
        return [m for m in self.trap.marks if m.connection == connection] if self.trap else []
