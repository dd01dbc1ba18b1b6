"""Run the harness on a private copy of a submission, in an isolated child process.

Layout of one run (a fresh private temp dir, separate from every output of the grader)::

    <tmp>/              the child's private /tmp when a mount namespace is available
    <tmp>/sandbox/      escapes with ../ land here (observable, never elsewhere)
    <tmp>/sandbox/work/ a copy of the submission: the app's working directory

The parent enforces the wall-clock limit, drains stdout/stderr into bounded buffers,
reads results only from the dedicated pipe, and returns once the server confirmed that
every process of the run is gone.
"""

from __future__ import annotations

import os
import secrets
import selectors
import shutil
import stat
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.behavior.sandbox import launcher
from grader.behavior.sandbox.channel import MessageReader
from grader.behavior.sandbox.output import HeadTailBuffer
from grader.discovery.submission import IGNORED_DIRS

DEFAULT_HARNESS = "grader.behavior.student.serve:serve"
PRIVATE_WORKDIR = "/tmp/sandbox/work"  # the work dir as the child sees it under private /tmp
KILL_CONFIRM_S = 15.0
UID_BASE = 1_500_000_000


@dataclass
class SandboxLimits:
    timeout: float = 30.0
    memory_mb: int = 1024
    max_processes: int = 64


@dataclass
class SandboxResult:
    result: dict[str, Any] | None = None
    # The child's own account of an abnormal end: exit / memory / crash (or None).
    event: dict[str, Any] | None = None
    phases: list[str] = field(default_factory=list)
    timed_out: bool = False
    exit: dict[str, Any] = field(default_factory=dict)
    protections: list[str] = field(default_factory=list)
    stdout: dict[str, Any] = field(default_factory=dict)
    stderr: dict[str, Any] = field(default_factory=dict)
    child_workdir: str = ""
    mode: str = "forkserver"
    elapsed_s: float = 0.0
    channel_corrupt: bool = False

    @property
    def last_phase(self) -> str | None:
        return self.phases[-1] if self.phases else None


class _UidPool:
    """A dedicated unprivileged uid per concurrent run (root only): RLIMIT_NPROC then
    counts this run alone, its processes can be found and killed by uid, and two runs
    cannot signal or read each other."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: set[int] = set()
        self._next = 0
        self._base = UID_BASE + (os.getpid() % 100_000) * 1000

    def acquire(self) -> int:
        with self._lock:
            if self._free:
                return self._free.pop()
            self._next += 1
            return self._base + self._next

    def release(self, uid: int) -> None:
        with self._lock:
            self._free.add(uid)


_uids = _UidPool()


def copy_submission(source: Path, target: Path) -> None:
    """Copy regular files and folders only: a symlink in a submission could point at the
    grader's outputs, so links are never copied."""
    target.mkdir(parents=True)
    for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
        rel = Path(dirpath).relative_to(source)
        dirnames[:] = [
            d for d in dirnames
            if d not in IGNORED_DIRS and not os.path.islink(os.path.join(dirpath, d))
        ]
        for d in dirnames:
            (target / rel / d).mkdir()
        for name in filenames:
            src = Path(dirpath) / name
            if src.is_symlink() or not src.is_file():
                continue
            shutil.copyfile(src, target / rel / name)


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def _remove_tree(root: Path) -> None:
    def fix_and_retry(func: Any, path: str, _exc: Any) -> None:
        # The student may have removed permissions from what it created.
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            os.chmod(path, stat.S_IRWXU)
            func(path)
        except OSError:
            pass

    shutil.rmtree(root, onerror=fix_and_retry)


class Sandbox:
    """``with Sandbox(source) as box: res = box.run(settings, limits)``; then inspect
    ``box.work`` (the parent's view of the work dir) before the context removes it."""

    def __init__(self, source: Path, harness: str = DEFAULT_HARNESS, mode: str | None = None,
                 drop_privileges: bool = True) -> None:
        self.source = Path(source)
        # False runs the child under the grader's own uid even as root (tests use it to
        # exercise the unprivileged path: process count enforced by the server's sweep).
        self.drop_privileges = drop_privileges
        self.harness = harness
        self.mode = launcher.current_mode() if mode in (None, "auto") else mode
        self.tmp = Path(tempfile.mkdtemp(prefix="grader-run-"))
        self.sandbox_dir = self.tmp / "sandbox"
        self.work = self.sandbox_dir / "work"
        self.uid: int | None = None

    def __enter__(self) -> Sandbox:
        self.sandbox_dir.mkdir()
        copy_submission(self.source, self.work)
        if self.drop_privileges and os.geteuid() == 0 and hasattr(os, "setuid"):
            self.uid = _uids.acquire()
            _chown_tree(self.tmp, self.uid, self.uid)
        return self

    def __exit__(self, *exc: object) -> None:
        _remove_tree(self.tmp)
        if self.uid is not None:
            _uids.release(self.uid)
            self.uid = None

    def run(self, settings: dict[str, Any], limits: SandboxLimits,
            pass_fds: dict[str, int] | None = None) -> SandboxResult:
        """Run the harness; ``pass_fds`` (name -> fd of ours) reach it as ``settings["fds"]``."""
        nonce = secrets.token_hex(16)
        passed = dict(pass_fds or {})
        job = {
            "nonce": nonce,
            "harness": self.harness,
            "settings": settings,
            "workdir": str(self.work),
            "workdir_private": PRIVATE_WORKDIR,
            "private_tmp": str(self.tmp),
            "memory_mb": int(limits.memory_mb),
            "max_processes": int(limits.max_processes),
            "uid": self.uid,
            "gid": self.uid,
            "nproc_limit": None,
            "pass_fds": sorted(passed),
        }
        result_r, result_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        server = launcher.shared_server() if self.mode == "forkserver" else launcher.ForkServer(preload=False)
        started = time.monotonic()
        try:
            handle = server.submit(job, result_w, out_w, err_w, [passed[name] for name in sorted(passed)])
        except BaseException:
            for fd in (result_r, out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (result_w, out_w, err_w):
                os.close(fd)
        try:
            outcome = self._supervise(handle, nonce, result_r, out_r, err_r, limits.timeout, started)
        finally:
            handle.close()
            for fd in (result_r, out_r, err_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            if self.mode != "forkserver":
                server.stop()
        outcome.mode = self.mode
        return outcome

    def _supervise(
        self, handle: launcher.JobHandle, nonce: str, result_r: int, out_r: int, err_r: int,
        timeout: float, started: float,
    ) -> SandboxResult:
        res = SandboxResult()
        reader = MessageReader(nonce)
        buffers = {out_r: HeadTailBuffer(), err_r: HeadTailBuffer()}
        selector = selectors.DefaultSelector()
        for fd in (result_r, out_r, err_r):
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        selector.register(handle.sock, selectors.EVENT_READ)
        deadline = started + timeout
        hard_stop: float | None = None
        open_fds = {result_r, out_r, err_r}
        while True:
            now = time.monotonic()
            if not res.timed_out and res.result is None and now >= deadline and handle.exit is None:
                res.timed_out = True
                handle.kill()
            if (res.result is not None or res.event is not None) and handle.exit is None and hard_stop is None:
                # The child said its last word; whatever still runs (threads, forks) goes.
                handle.kill()
                hard_stop = now + KILL_CONFIRM_S
            if res.timed_out and hard_stop is None:
                hard_stop = now + KILL_CONFIRM_S
            if handle.exit is not None and not open_fds:
                break
            if hard_stop is not None and now > hard_stop:
                break
            wait = max(0.0, min(deadline, hard_stop or deadline) - now) if not res.timed_out else 0.1
            for key, _ in selector.select(min(wait, 0.5) if handle.exit is None else 0.2):
                if key.fileobj is handle.sock:
                    if handle.read_event() is None:
                        selector.unregister(handle.sock)
                    continue
                fd = key.fd
                try:
                    data = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not data:
                    selector.unregister(fd)
                    open_fds.discard(fd)
                    continue
                if fd == result_r:
                    for message in reader.feed(data):
                        self._take(res, message)
                else:
                    buffers[fd].write(data)
            if handle.exit is not None and open_fds and hard_stop is None:
                hard_stop = time.monotonic() + 2.0  # a pipe held by nothing we know: stop waiting
        selector.close()
        if handle.exit is None:
            handle.wait_exit(KILL_CONFIRM_S)
        res.exit = dict(handle.exit or {})
        res.stdout = buffers[out_r].summary()
        res.stderr = buffers[err_r].summary()
        res.channel_corrupt = reader.corrupt
        res.elapsed_s = round(time.monotonic() - started, 3)
        return res

    @staticmethod
    def _take(res: SandboxResult, message: dict[str, Any]) -> None:
        kind = message.get("t")
        if kind == "phase":
            res.phases.append(str(message.get("phase")))
        elif kind == "protections" and not res.protections:
            # Sent once, before any student code ran: later copies are not the grader's.
            res.protections = [str(p) for p in message.get("protections", [])]
            res.child_workdir = str(message.get("workdir", ""))
        elif kind == "result" and res.result is None and res.event is None:
            data = message.get("data")
            res.result = data if isinstance(data, dict) else {"verdicts": [], "errors": ["the harness returned no result"], "run": {}}
        elif kind in ("exit", "memory", "crash") and res.event is None and res.result is None:
            res.event = {k: v for k, v in message.items() if k != "nonce"}
