"""The Linux interfaces the trusted observer reads the student's run through (bindings only).

Three kernel facilities, each a fact the student's process cannot forge:

- **inotify**: the kernel queues an event for every open, read, write, close, create,
  rename and delete under a watched folder, in the order they happened, whichever
  process did them (through any mount of the same folder).
- **seccomp user notification**: a filter installed in the child before any student
  code runs makes every ``sendto``/``sendmsg`` of the child wait until the parent
  answers. The parent learns that a response is about to leave the server *before* it
  leaves, and no background task can have started yet.
- **pidfd_getfd**: the parent takes a duplicate of one of the child's descriptors (the
  seccomp listener, or the socket a trapped send writes to) without asking the child.

Only ctypes and constants: no policy lives here. x86_64 and aarch64 are supported;
elsewhere :func:`send_trap_supported` is False and the observer falls back to
ordering by its own clock.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import struct
from dataclasses import dataclass
from typing import NamedTuple

# ---- inotify ------------------------------------------------------------------------
IN_ACCESS = 0x001
IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_CLOSE_NOWRITE = 0x010
IN_OPEN = 0x020
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_EXCL_UNLINK = 0x04000000
IN_ISDIR = 0x40000000
WATCH_MASK = (IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN
              | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
              | IN_ONLYDIR | IN_DONT_FOLLOW)
_EVENT_HEADER = struct.Struct("iIII")


class RawEvent(NamedTuple):
    wd: int
    mask: int
    cookie: int
    name: bytes


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def inotify_init() -> int:
    return _check(_libc().inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC), "inotify_init1")


def inotify_add_watch(fd: int, path: str | bytes, mask: int = WATCH_MASK) -> int:
    raw = os.fsencode(path)
    return _check(_libc().inotify_add_watch(fd, raw, mask), "inotify_add_watch")


_READ_SIZE = 1 << 16
# The largest event (a header and a name of NAME_MAX bytes): a read that leaves at least
# this much room took everything queued.
_MAX_EVENT = _EVENT_HEADER.size + 256


def read_events(fd: int) -> list[RawEvent] | None:
    """Every event queued now (non-blocking); None when nothing is queued."""
    events: list[RawEvent] = []
    unpack, header = _EVENT_HEADER.unpack_from, _EVENT_HEADER.size
    while True:
        try:
            buffer = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return events or None
        offset, end = 0, len(buffer)
        while offset + header <= end:
            wd, mask, cookie, length = unpack(buffer, offset)
            start = offset + header
            events.append(RawEvent(wd, mask, cookie, buffer[start:start + length].rstrip(b"\0")))
            offset = start + length
        if end <= _READ_SIZE - _MAX_EVENT:
            return events or None


# ---- seccomp user notification ------------------------------------------------------
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_USER_NOTIF = 0x7FC00000
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
PR_SET_NO_NEW_PRIVS = 38


@dataclass(frozen=True)
class _Arch:
    audit: int
    seccomp: int
    pidfd_getfd: int
    sends: tuple[int, ...]  # sendto, sendmsg, sendmmsg


_ARCHES = {
    "x86_64": _Arch(0xC000003E, 317, 438, (44, 46, 307)),
    "aarch64": _Arch(0xC00000B7, 277, 438, (206, 211, 269)),
}


def _arch() -> _Arch | None:
    return _ARCHES.get(platform.machine())


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


class _SeccompData(ctypes.Structure):
    _fields_ = [("nr", ctypes.c_int), ("arch", ctypes.c_uint), ("ip", ctypes.c_ulonglong),
                ("args", ctypes.c_ulonglong * 6)]


class _SeccompNotif(ctypes.Structure):
    _fields_ = [("id", ctypes.c_ulonglong), ("pid", ctypes.c_uint), ("flags", ctypes.c_uint),
                ("data", _SeccompData)]


class _SeccompNotifResp(ctypes.Structure):
    _fields_ = [("id", ctypes.c_ulonglong), ("val", ctypes.c_longlong), ("error", ctypes.c_int),
                ("flags", ctypes.c_uint)]


def _iowr(nr: int, size: int) -> int:
    return (3 << 30) | (size << 16) | (ord("!") << 8) | nr


_NOTIF_RECV = _iowr(0, ctypes.sizeof(_SeccompNotif))
_NOTIF_SEND = _iowr(1, ctypes.sizeof(_SeccompNotifResp))


def send_trap_supported() -> bool:
    return _arch() is not None and hasattr(os, "pidfd_open")


def _send_filter(arch: _Arch, allowed_fd: int) -> list[_SockFilter]:
    """BPF: on this architecture, sendto/sendmsg/sendmmsg wait for the listener, except
    on ``allowed_fd`` (the socket that hands the listener over); the rest runs."""
    ld_abs_w, jeq_k, ret_k = 0x20, 0x15, 0x06
    program = [
        _SockFilter(ld_abs_w, 0, 0, 4),  # seccomp_data.arch
        _SockFilter(jeq_k, 1, 0, arch.audit),
        _SockFilter(ret_k, 0, 0, SECCOMP_RET_ALLOW),
        _SockFilter(ld_abs_w, 0, 0, 16),  # the low half of seccomp_data.args[0]: the fd
        _SockFilter(jeq_k, 0, 1, allowed_fd),
        _SockFilter(ret_k, 0, 0, SECCOMP_RET_ALLOW),
        _SockFilter(ld_abs_w, 0, 0, 0),  # seccomp_data.nr
    ]
    count = len(arch.sends)
    for index, number in enumerate(arch.sends):
        # Jump to the notify return (after the allow) on a match.
        program.append(_SockFilter(jeq_k, count - index, 0, number))
    program.append(_SockFilter(ret_k, 0, 0, SECCOMP_RET_ALLOW))
    program.append(_SockFilter(ret_k, 0, 0, SECCOMP_RET_USER_NOTIF))
    return program


def install_send_trap(allowed_fd: int) -> int:
    """Child side, before any student code: every send of this process and of every
    thread and process it starts later waits for the listener (but sends on
    ``allowed_fd``). Returns the listener fd."""
    arch = _arch()
    if arch is None:
        raise OSError(0, f"send trap: unsupported machine {platform.machine()}")
    libc = _libc()
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    program = _send_filter(arch, allowed_fd)
    array = (_SockFilter * len(program))(*program)
    fprog = _SockFprog(len(program), array)
    return _check(libc.syscall(arch.seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                               ctypes.byref(fprog)), "seccomp(NEW_LISTENER)")


@dataclass(frozen=True)
class TrappedSend:
    id: int
    tid: int  # in the listener's (the parent's) PID namespace
    syscall: int
    fd: int  # the descriptor number in the sending process


def receive_trapped(listener: int) -> TrappedSend:
    """Block until a send of the child is trapped (raises OSError when the child is gone)."""
    request = _SeccompNotif()
    _check(_libc().ioctl(listener, _NOTIF_RECV, ctypes.byref(request)), "SECCOMP_IOCTL_NOTIF_RECV")
    return TrappedSend(request.id, request.pid, request.data.nr, int(request.data.args[0] & 0xFFFFFFFF))


def let_send_continue(listener: int, notification_id: int) -> bool:
    """Let the trapped send run as if nothing had happened; False if the sender is gone."""
    response = _SeccompNotifResp(notification_id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE)
    return _libc().ioctl(listener, _NOTIF_SEND, ctypes.byref(response)) == 0


def is_seccomp_listener(fd: int) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:seccomp notify"
    except OSError:
        return False


def pidfd_getfd(pidfd: int, target_fd: int) -> int:
    """A duplicate, in this process, of ``target_fd`` of the process behind ``pidfd``."""
    arch = _arch()
    if arch is None:
        raise OSError(0, "pidfd_getfd: unsupported machine")
    return _check(_libc().syscall(arch.pidfd_getfd, pidfd, target_fd, 0), "pidfd_getfd")


def thread_group_of(tid: int) -> int | None:
    """The process a thread belongs to (``Tgid`` in /proc)."""
    try:
        with open(f"/proc/{tid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"Tgid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def schedstat(tid: int) -> tuple[int, int] | None:
    """(ns on a CPU, ns waiting on a run queue) of one thread, from the kernel's accounting."""
    try:
        with open(f"/proc/{tid}/schedstat", "rb") as handle:
            fields = handle.read().split()
        return int(fields[0]), int(fields[1])
    except (OSError, ValueError, IndexError):
        return None
