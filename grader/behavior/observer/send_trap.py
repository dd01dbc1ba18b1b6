"""The parent's end of the send trap: every send of the child waits here first.

The child installed a seccomp filter before any student code ran and handed its listener
over (:mod:`grader.behavior.student.send_trap_setup`). Each ``sendto``/``sendmsg`` of
the child now stops in the kernel until :meth:`SendTrap.handle` lets it continue. Before
it does, the observer drains the disk watch: every file event logged up to that
position happened before these bytes left the server, and since Starlette runs the
background tasks only after the response's last send returns, no task has run yet.

Which of the parent's requests a send answers is read from the kernel too: the parent
takes a duplicate of the child's socket (``pidfd_getfd``) and asks its peer name, which
is the unique name the parent's client bound its own socket to.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from grader.behavior import linux


MAX_REMEMBERED_THREADS = 4096


@dataclass(frozen=True)
class SendMark:
    """A send of the child, about to happen."""

    position: int  # disk-watch position: events before it happened before this send
    stamp: float  # the parent's monotonic clock when it learned of the send
    connection: int | None  # the parent's request it answers (None: another socket)
    thread: int  # the sending thread, in the parent's PID namespace


class SendTrap:
    """``on_send(thread, connection)`` runs while the send is held and returns the mark's position."""

    def __init__(self, listener: int, connection_of: Callable[[object], int | None],
                 on_send: Callable[[int, int | None], int]) -> None:
        self.listener = listener
        self.connection_of = connection_of
        self.on_send = on_send
        self.marks: list[SendMark] = []
        self._pidfds: dict[int, int] = {}
        self._groups: dict[int, int] = {}  # thread id -> its process id
        self.broken: str | None = None
        # Called once no process of the child is left to send (the listener hung up): a
        # level-triggered reader would otherwise wake the loop without end.
        self.on_hang_up: Callable[[], None] | None = None

    def fileno(self) -> int:
        return self.listener

    def close(self) -> None:
        for fd in self._pidfds.values():
            os.close(fd)
        self._pidfds.clear()
        if self.listener >= 0:
            os.close(self.listener)
            self.listener = -1

    def handle(self) -> None:
        """One trapped send: find its connection, let the observer log, let it go."""
        try:
            trapped = linux.receive_trapped(self.listener)
        except OSError as exc:
            # ENOENT: the sender died between the wake-up and the read, or every process
            # of the child has exited (the listener then stays readable: hung up).
            # Anything else means the trap stopped working; the verdicts then do not rely on it.
            if exc.errno != errno.ENOENT:
                self.broken = str(exc)
            elif self._hung_up() and self.on_hang_up is not None:
                self.on_hang_up()
            return
        stamp = time.monotonic()
        connection = self._connection(trapped)
        try:
            position = self.on_send(trapped.tid, connection)
            self.marks.append(SendMark(position, stamp, connection, trapped.tid))
        finally:
            linux.let_send_continue(self.listener, trapped.id)

    def _hung_up(self) -> bool:
        poller = select.poll()
        poller.register(self.listener, select.POLLIN)
        return any(events & select.POLLHUP for _fd, events in poller.poll(0))

    def _connection(self, trapped: linux.TrappedSend) -> int | None:
        duplicate = self._duplicate(trapped, remembered=True)
        if duplicate is None:
            # The thread's process or the pidfd may be of an earlier holder of the id: once afresh.
            duplicate = self._duplicate(trapped, remembered=False)
        if duplicate is None:
            return None
        try:
            sock = socket.socket(fileno=duplicate)
        except OSError:
            os.close(duplicate)
            return None
        try:
            return self.connection_of(sock.getpeername())
        except OSError:
            return None
        finally:
            sock.close()

    def _duplicate(self, trapped: linux.TrappedSend, remembered: bool) -> int | None:
        """A duplicate of the sending socket. The thread's process is remembered (reading
        /proc per send was a third of the trap's cost); ``remembered=False`` reads it again
        and opens a fresh pidfd."""
        process = self._groups.get(trapped.tid) if remembered else None
        if process is None:
            process = linux.thread_group_of(trapped.tid)
            if process is None:
                return None
            if len(self._groups) >= MAX_REMEMBERED_THREADS:
                self._groups.clear()
            self._groups[trapped.tid] = process
            if not remembered and process in self._pidfds:
                os.close(self._pidfds.pop(process))
        pidfd = self._pidfd(process)
        if pidfd is None:
            return None
        try:
            return linux.pidfd_getfd(pidfd, trapped.fd)
        except OSError:
            return None

    def _pidfd(self, process: int) -> int | None:
        if process not in self._pidfds:
            try:
                self._pidfds[process] = os.pidfd_open(process)
            except OSError:
                return None
        return self._pidfds[process]
