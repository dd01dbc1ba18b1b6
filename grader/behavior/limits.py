"""Protections the child applies to itself before any student code runs.

Each function returns the names of the protections it made active, so the report can
say exactly which ones held (``run.protections``). Linux-only pieces degrade to
"not active" elsewhere instead of failing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 1 << 14
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
MAX_FILE_BYTES = 256 * 1024 * 1024  # RLIMIT_FSIZE: stops a disk-filling write loop


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return None


def die_with_parent() -> None:
    """SIGKILL this process when the process that forked it dies."""
    libc = _libc()
    if libc is not None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def set_child_subreaper() -> bool:
    """Orphaned descendants are re-parented to us instead of init, so we can reap them."""
    libc = _libc()
    return libc is not None and libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER


def _unshare(libc: ctypes.CDLL, flags: int) -> bool:
    # os.unshare exists from Python 3.12 only; ctypes keeps 3.11 (our floor) covered.
    return libc.unshare(flags) == 0


def isolate_namespaces(private_tmp: str | None, as_root: bool) -> list[str]:
    """No network (new network namespace); as root also a private /tmp (mount namespace).

    ``private_tmp`` is bind-mounted over /tmp, /var/tmp and /dev/shm, so whatever the
    student writes there lands in the grader's temp dir and is deleted with it.
    """
    libc = _libc()
    if libc is None:
        return []
    active: list[str] = []
    if as_root:
        if private_tmp and _unshare(libc, CLONE_NEWNS | CLONE_NEWNET):
            active.append("no-network")
            if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0:
                bound = [
                    target
                    for target in ("/tmp", "/var/tmp", "/dev/shm")
                    if os.path.isdir(target)
                    and libc.mount(private_tmp.encode(), target.encode(), None, MS_BIND | MS_REC, None) == 0
                ]
                if "/tmp" in bound:
                    active.append("private-tmp")
        elif _unshare(libc, CLONE_NEWNET):
            active.append("no-network")
        return active
    # Unprivileged: a user namespace grants the right to own a network namespace.
    uid, gid = os.getuid(), os.getgid()
    if _unshare(libc, CLONE_NEWUSER | CLONE_NEWNET):
        try:
            with open("/proc/self/setgroups", "w") as handle:
                handle.write("deny")
            with open("/proc/self/uid_map", "w") as handle:
                handle.write(f"{uid} {uid} 1")
            with open("/proc/self/gid_map", "w") as handle:
                handle.write(f"{gid} {gid} 1")
        except OSError:
            pass
        active.append("no-network")
    return active


def apply_rlimits(memory_mb: int, max_tasks: int | None) -> list[str]:
    """Address space, process count (when given), file size, no core dumps."""
    active: list[str] = []

    def limit(which: int, value: int) -> bool:
        try:
            resource.setrlimit(which, (value, value))
            return True
        except (ValueError, OSError):
            return False

    if limit(resource.RLIMIT_AS, memory_mb * 1024 * 1024):
        active.append(f"memory-limit-{memory_mb}MiB")
    if max_tasks is not None and limit(resource.RLIMIT_NPROC, max_tasks):
        active.append("process-limit")
    limit(resource.RLIMIT_CORE, 0)
    if limit(resource.RLIMIT_FSIZE, MAX_FILE_BYTES):
        # A write past the limit raises OSError(EFBIG) instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        active.append("file-size-limit")
    return active


def drop_privileges(uid: int, gid: int) -> list[str]:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("could not drop privileges")
    return ["unprivileged-user"]
