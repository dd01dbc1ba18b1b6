"""Protections the child applies to itself before any student code runs.

Each function returns the names of the protections it made active, so the report can
say exactly which ones held (``run.protections``). Linux-only pieces degrade to
"not active" elsewhere instead of failing.
"""

from __future__ import annotations

import ctypes
import functools
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


def _unshare(libc: ctypes.CDLL, flags: int) -> bool:
    # os.unshare exists from Python 3.12 only; ctypes keeps 3.11 (our floor) covered.
    return libc.unshare(flags) == 0


def python_roots(extra: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """The folders the child must still read after dropping privileges: the Python
    installation, every sys.path folder and ``extra`` (outermost only)."""
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


def _first_blocker(path: str) -> str | None:
    current = "/"
    for part in [p for p in path.split("/") if p]:
        current = os.path.join(current, part)
        try:
            if not os.stat(current).st_mode & 0o001:
                return current
        except OSError:
            return None  # missing (hidden under the private /tmp): re-created, no tmpfs
    return None


def _expose(libc: ctypes.CDLL, fds: dict[str, int]) -> None:
    """Make each root readable again for an unprivileged uid inside our mount namespace:
    a folder in the way (/root is 0700 when Python lives in /root/.pyenv) is covered
    with an empty tmpfs (hiding the rest of it) and the root is bind-mounted back."""
    covered: set[str] = set()
    for root, fd in fds.items():
        if readable_by_others(root):
            continue
        blocker = _first_blocker(root)
        if blocker is not None and blocker not in covered:
            if libc.mount(b"tmpfs", blocker.encode(), b"tmpfs", 0, b"mode=755,size=1m") != 0:
                continue
            covered.add(blocker)
        try:
            os.makedirs(root, mode=0o755, exist_ok=True)
        except OSError:
            continue
        libc.mount(f"/proc/self/fd/{fd}".encode(), root.encode(), None, MS_BIND | MS_REC, None)


def isolate_namespaces(private_tmp: str | None, as_root: bool, keep_readable: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """No network (new network namespace); as root also a private /tmp (mount namespace).

    ``private_tmp`` is bind-mounted over /tmp, /var/tmp and /dev/shm, so whatever the
    student writes there lands in the grader's temp dir and is deleted with it. The
    folders in ``keep_readable`` (the Python installation) stay readable after the
    privilege drop even when they live under /root or /tmp.
    """
    libc = _libc()
    if libc is None:
        return []
    active: list[str] = []
    if as_root:
        if private_tmp and _unshare(libc, CLONE_NEWNS | CLONE_NEWNET):
            active.append("no-network")
            if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0:
                fds = {}
                for root in keep_readable:
                    try:
                        fds[root] = os.open(root, getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY)
                    except OSError:
                        pass
                bound = [
                    target
                    for target in ("/tmp", "/var/tmp", "/dev/shm")
                    if os.path.isdir(target)
                    and libc.mount(private_tmp.encode(), target.encode(), None, MS_BIND | MS_REC, None) == 0
                ]
                if "/tmp" in bound:
                    active.append("private-tmp")
                    # The run's temp dir is now /tmp: let the unprivileged uid traverse it to a
                    # Python installation that lives under /tmp (a venv in a /tmp checkout) and
                    # that _expose re-creates and binds back there. Without o+x here, /tmp
                    # itself looked like a folder in the way and got covered by a tmpfs,
                    # hiding the work dir.
                    os.chmod("/tmp", 0o711)  # the run's temp dir, seen through its bind mount
                _expose(libc, fds)
                for fd in fds.values():
                    os.close(fd)
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
