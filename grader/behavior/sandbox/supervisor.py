"""Run the harness on a private copy of a submission, in an isolated child process.

``with Sandbox(source) as box: res = box.run(settings, limits)``. The run's folders live
on the grader's side (``jail.rundir``), bound into the child's jail, so the parent reads
and watches them for the whole ``with`` block, also after the child died:

    box.work           the copy of the submission; the child's ``/tmp/sandbox/work``
    box.sandbox_dir    its parent, where ``../x`` escapes land (``/tmp/sandbox``)
    box.tmp            the child's ``/tmp``
    box.writable_roots every folder the child can write: {"/tmp": ..., "/var/tmp": ...,
                       "/dev/shm": ..., "/run/lock": ...} (child path -> parent path)

They hold only while the report lists ``private-tmp`` (and ``private-root``): without a
jail the child writes where its uid may. The context removes everything at the end.

The parent enforces the wall-clock limit, drains stdout/stderr into bounded buffers,
reads results only from the dedicated pipe (``supervise``), and returns once the server
confirmed that every process of the run is gone.
"""

from __future__ import annotations

import collections
import errno
import os
import secrets
import shutil
import stat
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.behavior.sandbox import launcher
from grader.behavior.sandbox.jail import cleanup, namespaces
from grader.behavior.sandbox.jail.cgroups import RunCgroup
from grader.behavior.sandbox.jail.diskwatch import DiskWatch
from grader.behavior.sandbox.jail.rundir import RunDir
from grader.behavior.sandbox.launcher import SandboxError
from grader.behavior.sandbox.limits import MAX_FILE_BYTES
from grader.behavior.sandbox.supervise import supervise
from grader.behavior.sandbox.worker import HELPERS
from grader.discovery.submission import IGNORED_DIRS

DEFAULT_HARNESS = "grader.behavior.student.serve:serve"
PRIVATE_WORKDIR = "/tmp/sandbox/work"  # the work dir as the child sees it in its jail
UID_BASE = 1_500_000_000
NOBODY = 65534
MAX_COPY_DEPTH = 64
# Missing protections worth a warning: without them a submission can see or stop more
# than its own run. (Cgroups are a comfort: RLIMIT_AS and the process count still hold.)
WARN_ABOUT = ("namespaces", "private-root", "private-tmp", "pid-namespace", "unprivileged-user")


class IsolationUnavailable(SandboxError):
    """Behavior checks cannot be isolated here and the user did not opt out."""

    exit_code = 2


@dataclass
class SandboxLimits:
    timeout: float = 30.0
    memory_mb: int = 1024
    max_processes: int = 64
    disk_mb: int = 512  # everything the run writes (/tmp, /var/tmp, /dev/shm, /run/lock, work area)


@dataclass
class SandboxResult:
    result: dict[str, Any] | None = None
    # The child's own account of an abnormal end: exit / memory / crash (or None).
    event: dict[str, Any] | None = None
    phases: list[str] = field(default_factory=list)
    timed_out: bool = False
    exit: dict[str, Any] = field(default_factory=dict)
    protections: list[str] = field(default_factory=list)
    # Protections that did not hold, with why (from the child, before any student code).
    missing: dict[str, str] = field(default_factory=dict)
    stdout: dict[str, Any] = field(default_factory=dict)
    stderr: dict[str, Any] = field(default_factory=dict)
    child_workdir: str = ""
    mode: str = "forkserver"
    elapsed_s: float = 0.0
    channel_corrupt: bool = False
    channel_problem: str = ""
    disk_exceeded: str | None = None  # the grader stopped the run: what it passed
    memory_exceeded: bool = False  # the kernel killed a process of the run at the cgroup limit
    process_limit_hit: bool = False  # the kernel refused a fork or thread at the cgroup's pids.max
    refused: str | None = None
    # Milliseconds of each step of the jail's set-up (the child's, then the parent's
    # "cgroup_create"/"cgroup_remove"); the run folder's own are on the Sandbox.
    setup_ms: dict[str, float] = field(default_factory=dict)

    @property
    def last_phase(self) -> str | None:
        return self.phases[-1] if self.phases else None


class _UidPool:
    """A dedicated unprivileged uid per concurrent run (root only): RLIMIT_NPROC then
    counts this run alone, its processes can be found and killed by uid, and two runs
    cannot signal or read each other."""

    # A uid is not handed out again until this many others have been: the processes of the
    # run that had it may still be dying (killed, not yet reaped), and RLIMIT_NPROC counts
    # them against the next run of that uid (a fork storm's leftovers once made the next
    # run's first fork fail).
    FRESH = 900

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._released: collections.deque[int] = collections.deque()
        self._next = 0
        self._base = UID_BASE + (os.getpid() % 100_000) * 1000

    def acquire(self) -> int:
        with self._lock:
            if self._next < self.FRESH or not self._released:
                if self._next >= 1000:  # this process's range: 1,000 runs in flight at once
                    raise RuntimeError("more than 1,000 concurrent runs in one grader process")
                self._next += 1
                return self._base + self._next
            return self._released.popleft()  # the one released longest ago

    def release(self, uid: int) -> None:
        with self._lock:
            self._released.append(uid)


_uids = _UidPool()


def copy_submission(source: Path, target: Path) -> None:
    """Copy regular files and folders only (a symlink in a submission could point at the
    grader's outputs, so links are never copied), at most ``MAX_COPY_DEPTH`` levels
    deep, without recursion."""
    target.mkdir(parents=True)
    stack = [(Path(source), target, 0)]
    while stack:
        folder, copy, depth = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                if entry.name not in IGNORED_DIRS and depth < MAX_COPY_DEPTH:
                    (copy / entry.name).mkdir()
                    stack.append((Path(entry.path), copy / entry.name, depth + 1))
            elif stat.S_ISREG(info.st_mode):
                shutil.copyfile(entry.path, copy / entry.name, follow_symlinks=False)


_warned: set[tuple[str, ...]] = set()


def _warn_once(missing: dict[str, str]) -> None:
    """One line on stderr per process and set of missing protections."""
    names = tuple(sorted(n for n in missing if n in WARN_ABOUT))
    if not names or names in _warned:
        return
    _warned.add(names)
    reasons = "; ".join(f"{n}: {missing[n][:200]}" for n in names)
    sys.stderr.write(f"grader: warning: the sandbox runs without {', '.join(names)} ({reasons}).\n")


class Sandbox:
    """``with Sandbox(source) as box: res = box.run(settings, limits)``; see the module doc."""

    def __init__(self, source: Path, harness: str = DEFAULT_HARNESS, mode: str | None = None,
                 drop_privileges: bool = True, hide: list[str | os.PathLike[str]] = ()) -> None:  # type: ignore[assignment]
        self.source = Path(source)
        # False (root only): no dedicated uid, RLIMIT_NPROC or cgroup for the run (tests use
        # it for the count-and-kill path of an unprivileged grader); the child then runs
        # as nobody, never as root.
        self.drop_privileges = drop_privileges
        self.harness = harness
        self.mode = launcher.current_mode() if mode in (None, "auto") else mode
        # Folders the child must not see (checked before private-root is listed): the
        # class folder and the grader's home always, the caller's (its output folder) too.
        self.hide = [str(self.source.resolve()), str(self.source.resolve().parent),
                     os.path.expanduser("~"), *(os.fspath(p) for p in hide)]
        self.uid: int | None = None
        self._pooled = False
        self.run_dir: RunDir | None = None
        # Milliseconds of the parent's own steps: run folder made, submission copied, removed.
        self.timings: dict[str, float] = {}

    def _lap(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[step] = round((now - since) * 1000, 3)
        return now

    # ---- the parent's view of the run's folders -------------------------------------
    @property
    def tmp(self) -> Path:
        return self._dir().writable["/tmp"]

    @property
    def sandbox_dir(self) -> Path:
        return self._dir().sandbox

    @property
    def work(self) -> Path:
        return self._dir().sandbox / "work"

    @property
    def writable_roots(self) -> dict[str, Path]:
        return dict(self._dir().writable)

    def _dir(self) -> RunDir:
        if self.run_dir is None:
            raise SandboxError("the sandbox's folders exist only inside its `with` block.")
        return self.run_dir

    # ---- life cycle -------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        cleanup.sweep_stale_runs()
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        if as_root:
            self._pooled = self.drop_privileges
            self.uid = _uids.acquire() if self._pooled else NOBODY
        started = time.perf_counter()
        try:
            self.run_dir = RunDir(SandboxLimits.disk_mb, self.uid, tmpfs=as_root)
        except BaseException:
            self.__exit__()
            raise
        started = self._lap("rundir_create", started)
        try:
            copy_submission(self.source, self.work)
            if self.uid is not None:
                self.run_dir.hand_over(self.uid)
            self._lap("copy", started)
        except OSError as exc:
            self.__exit__()
            if exc.errno == errno.ENOSPC:
                raise SandboxError(f"the submission is larger than the sandbox's disk budget "
                                   f"({SandboxLimits.disk_mb} MiB).") from None
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.run_dir is not None:
            started = time.perf_counter()
            self.run_dir.remove()
            self._lap("rundir_remove", started)
            self.run_dir = None
        if self.uid is not None and self._pooled:
            _uids.release(self.uid)
        self.uid = None

    # ---- one run ----------------------------------------------------------------------
    def run(self, settings: dict[str, Any], limits: SandboxLimits,
            pass_fds: dict[str, int] | None = None) -> SandboxResult:
        """Run the harness in the jail. ``pass_fds`` ({name: descriptor}) are handed to the
        child, which finds them in ``settings["fds"]`` ({name: its descriptor number})."""
        run_dir = self._dir()
        if not run_dir.resize(limits.disk_mb):
            raise SandboxError(f"the submission is larger than the disk budget ({limits.disk_mb} MiB).")
        nonce = secrets.token_hex(16)
        budget = limits.disk_mb * 1024 * 1024
        started = time.perf_counter()
        group = self._cgroup(limits, run_dir)
        cgroup_ms = round((time.perf_counter() - started) * 1000, 3)
        names = sorted(pass_fds or {})
        job = {
            "nonce": nonce,
            "harness": self.harness,
            "settings": settings,
            "workdir": str(self.work),
            "workdir_private": PRIVATE_WORKDIR,
            "memory_mb": int(limits.memory_mb),
            "max_processes": int(limits.max_processes),
            "file_limit_bytes": min(MAX_FILE_BYTES, budget),
            "uid": self.uid,
            "gid": self.uid,
            "nproc_limit": self._pooled,
            "pass_fds": names,
            # The user's choice, read here: the fork server's environment is not the user's.
            "allow_unisolated": namespaces.opted_out_of_isolation(),
            "cgroup": {"procs": group.procs_files, "held": group.held} if group and group.held else None,
            "jail": {
                "staging": str(run_dir.staging),
                "writable": {child: str(path) for child, path in run_dir.writable.items()},
                "identities": run_dir.identities(),
                "hidden": self.hide,
                "disk_bytes": budget if run_dir.tmpfs else None,
            },
        }
        watch = None if run_dir.tmpfs else DiskWatch(list(run_dir.writable.values()), budget)
        try:
            res = supervise(self.mode, job, [(pass_fds or {})[n] for n in names], limits.timeout, watch)
        finally:
            if group is not None:
                started = time.perf_counter()
                memory_exceeded = group.memory_exceeded()
                process_limit_hit = group.process_limit_hit()
                group.remove()
                removed_ms = round((time.perf_counter() - started) * 1000, 3)
        if group is not None:
            res.memory_exceeded = memory_exceeded
            res.process_limit_hit = process_limit_hit
            res.setup_ms.update(cgroup_create=cgroup_ms, cgroup_remove=removed_ms)
        if res.refused:
            raise IsolationUnavailable(res.refused)
        if watch is not None and res.protections:
            res.protections.append(f"disk-watch-{limits.disk_mb}MiB")
        _warn_once(res.missing)
        return res

    def _cgroup(self, limits: SandboxLimits, run_dir: RunDir) -> RunCgroup | None:
        if not self._pooled:
            return None
        # tmpfs pages are charged to the run: its memory is its processes' plus its disk.
        memory_mb = limits.memory_mb + (limits.disk_mb if run_dir.tmpfs else 0)
        group = RunCgroup(run_dir.path.name, memory_mb * 1024 * 1024, limits.max_processes + HELPERS)
        group.create()
        return group
