"""Per-process limits the child applies to itself before any student code runs.

Each function returns the names of the protections it made active, so the report can
say exactly which ones held (``run.protections``). Linux-only pieces degrade to
"not active" elsewhere instead of failing. The namespaces and the new root are the
``jail`` package's.
"""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
MAX_FILE_BYTES = 256 * 1024 * 1024  # RLIMIT_FSIZE: stops a disk-filling write loop


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, loaded once per process (the fork server loads it before forking,
    so children inherit the handle). ``CDLL(None)`` is the running program with the
    libraries it is linked to: ``ctypes.util.find_library("c")`` would run ``ldconfig
    -p`` in a subprocess on every call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl  # noqa: B018 - a Python built without a shared libc falls back below
        return libc
    except (OSError, AttributeError):
        pass
    from ctypes.util import find_library

    try:
        return ctypes.CDLL(find_library("c") or None, use_errno=True)
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


def python_roots(extra: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """The folders the child must still read after dropping privileges when no jail binds
    them for it: the Python installation, every sys.path folder and ``extra`` (outermost
    only)."""
    candidates = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix, *extra}
    candidates.update(p for p in sys.path if p and os.path.isdir(p))
    # "/" (the fork server's cwd on sys.path) would swallow every other root.
    ordered = sorted({os.path.realpath(p) for p in candidates if os.path.isdir(p)} - {"/"}, key=len)
    roots: list[str] = []
    for path in ordered:
        if not any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots):
            roots.append(path)
    return roots


def readable_by_others(path: str) -> bool:
    """Could a uid that owns nothing reach and list ``path``? (o+x on every ancestor)."""
    current = "/"
    for part in [p for p in path.split("/") if p]:
        current = os.path.join(current, part)
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return False
        if not mode & 0o001:
            return False
    try:
        return bool(os.stat(path).st_mode & 0o004)
    except OSError:
        return False


def apply_rlimits(memory_mb: int, max_tasks: int | None, max_file_bytes: int | None = None) -> list[str]:
    """Address space, process count (when given), file size (at most ``MAX_FILE_BYTES``),
    no core dumps."""
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
    if limit(resource.RLIMIT_FSIZE, min(MAX_FILE_BYTES, max_file_bytes or MAX_FILE_BYTES)):
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
