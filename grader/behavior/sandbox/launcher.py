"""Parent side of the fork server: start it, hand it jobs, restart it if it dies.

``ForkServer(preload=True)`` is the warm server shared by every submission of this
grader process (thread-safe: each job gets its own socket; only the hand-over holds a
lock). ``preload=False`` is the fresh-interpreter fallback: a new server per job, which
imports everything in the child. Both run the very same child code (``worker.run_job``).

Choose with ``GRADER_SANDBOX=forkserver|fresh|auto`` or ``set_mode``. The default,
``auto``, runs a process's first submission in a fresh interpreter (a single ``grader
grade`` would only pay for the server's preload and warm-up) and every later one through
the warm fork server. The verdicts are the same either way.
"""

from __future__ import annotations

import array
import atexit
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from grader.errors import GraderError

READY_TIMEOUT_S = 60.0
MODES = ("forkserver", "fresh", "auto")
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[3])


class SandboxError(GraderError):
    """The sandbox machinery itself failed (not the student's code)."""

    exit_code = 1


# glibc's malloc in the server and its children (read once at start, inherited by fork):
# blocks of 4 MiB and more get their own mapping, advised to use 2 MiB pages. A child
# is a fresh copy-on-write process: its first 16 MiB buffer (the student reading the
# large upload) took one page fault per 4 KiB, 4,096 faults, ~12 ms of CPU on the
# benchmark VM, against ~6 ms with 2 MiB pages; the children's CPU per submission fell
# ~10 % (bench/harness_speed.py, A/B with GLIBC_TUNABLES set by hand). Glibc before
# 2.35 ignores the hugetlb tunable; a GLIBC_TUNABLES of the user's own is kept instead.
MALLOC_TUNABLES = "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=4194304"


def server_environment() -> dict[str, str]:
    """The server's whole environment: the grader's secrets (CI tokens) never reach it,
    glibc keeps few malloc arenas, so threads do not eat the address-space limit, and
    large buffers use huge pages (``MALLOC_TUNABLES``)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": _PACKAGE_PARENT,
        "PYTHONDONTWRITEBYTECODE": "1",
        "MALLOC_ARENA_MAX": "2",
        "GLIBC_TUNABLES": os.environ.get("GLIBC_TUNABLES", MALLOC_TUNABLES),
    }
    if os.environ.get("GRADER_DEBUG"):
        env["GRADER_DEBUG"] = "1"
    return env


class JobHandle:
    """One running child, as seen from the parent."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pid: int | None = None
        self.exit: dict[str, Any] | None = None

    def fileno(self) -> int:
        return self.sock.fileno()

    def read_event(self) -> dict[str, Any] | None:
        """One message from the server (``{"pid"}`` or ``{"exit"}``); None on EOF."""
        data = b""
        for _attempt in range(2):
            try:
                data = self.sock.recv(1 << 16)
                break
            except ConnectionResetError:
                # The server closed its end with our {"kill"} still unread in it: Linux then
                # reports ECONNRESET once, ahead of the packets still queued for us (the
                # "exit" message). Under load this race is common; read again.
                continue
            except OSError:
                break
        if not data:
            if self.exit is None:
                self.exit = {"exit": {"code": None, "signal": None}, "server_lost": True}
            return None
        message = json.loads(data)
        if "pid" in message:
            self.pid = message["pid"]
        if "exit" in message:
            self.exit = message
        return message

    def kill(self) -> None:
        try:
            self.sock.send(b'{"kill": true}')
        except OSError:
            pass

    def wait_exit(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while self.exit is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError("the grader's sandbox did not confirm the end of a run.")
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                self.read_event()
        return self.exit

    def close(self) -> None:
        self.sock.close()


class ForkServer:
    def __init__(self, preload: bool = True, lean: bool = False) -> None:
        self.preload = preload
        # lean: skip the warm-up of the rubric's pytest checks and of the real-server mode
        # (~0.25 s); a child that needs them imports them itself, as a fresh one does.
        self.lean = lean
        self.info: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctrl: socket.socket | None = None
        self._pending: socket.socket | None = None  # spawned, its "ready" not read yet

    def _spawn(self) -> None:
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        args = [sys.executable, "-m", "grader.behavior.sandbox.forkserver", str(child_end.fileno())]
        if self.preload:
            args.append("--preload")
        if self.lean:
            args.append("--lean")
        debug = bool(os.environ.get("GRADER_DEBUG"))
        self._proc = subprocess.Popen(
            args, pass_fds=[child_end.fileno()], env=server_environment(), cwd="/",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=None if debug else subprocess.DEVNULL,
        )
        child_end.close()
        self._pending = parent_end

    def _await_ready(self) -> None:
        parent_end, self._pending = self._pending, None
        assert parent_end is not None and self._proc is not None
        ready, _, _ = select.select([parent_end], [], [], READY_TIMEOUT_S)
        data = parent_end.recv(1 << 16) if ready else b""
        if not data:
            parent_end.close()
            self._proc.kill()
            self._proc.wait()
            self._proc = None
            raise SandboxError("the grader's sandbox server did not start.")
        self.info = json.loads(data)["ready"]
        self._ctrl = parent_end

    def _start(self) -> None:
        self._spawn()
        self._await_ready()

    def prestart(self) -> None:
        """Start the server now without waiting for it: its imports then overlap the
        caller's own work (a single ``grader grade`` lints while the server preloads)."""
        with self._lock:
            if self._proc is None:
                self._spawn()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def submit(self, job: dict[str, Any], result_w: int, stdout_w: int, stderr_w: int,
               passed: list[int] | tuple[int, ...] = ()) -> JobHandle:
        """Hand a job to the server with the run's descriptors (``passed``: one per name of
        ``job["pass_fds"]``, in order); the caller closes its copies."""
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fds = array.array("i", [child_end.fileno(), result_w, stdout_w, stderr_w, *passed])
        payload = json.dumps({"job": job}).encode()
        try:
            with self._lock:
                if self._pending is not None:
                    try:
                        self._await_ready()
                    except SandboxError:
                        self._stop_locked()  # the prestarted server failed: start one below
                for attempt in (1, 2):
                    if not self.alive():
                        self._stop_locked()
                        self._start()
                    assert self._ctrl is not None
                    try:
                        self._ctrl.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
                        break
                    except OSError:
                        self._stop_locked()  # the server died between jobs: restart once
                        if attempt == 2:
                            raise SandboxError("the grader's sandbox server is not reachable.") from None
        finally:
            child_end.close()
        return JobHandle(parent_end)

    def _stop_locked(self) -> None:
        if self._pending is not None:  # never used: no need to let it finish its preload
            self._pending.close()
            self._pending = None
            if self._proc is not None:
                self._proc.kill()
        if self._ctrl is not None:
            self._ctrl.close()
            self._ctrl = None
        if self._proc is not None:
            try:
                # EOF on the control socket: the server kills what still runs, then exits.
                _wait_for_exit(self._proc.pid, 10)
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None


def _wait_for_exit(pid: int, timeout: float) -> None:
    """Sleep until ``pid`` exits (a pidfd wakes at once; ``Popen.wait`` polls in growing
    steps and overslept the server's exit by up to 50 ms)."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return
    try:
        select.select([handle], [], [], timeout)
    finally:
        os.close(handle)


_mode: str | None = None
_shared: ForkServer | None = None
_shared_lock = threading.Lock()


def set_mode(mode: str | None) -> None:
    """``"forkserver"``, ``"fresh"`` or None (back to ``GRADER_SANDBOX`` / default)."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"sandbox mode must be one of {MODES}")
    global _mode
    _mode = mode


_first_run_taken = False
_first_run_lock = threading.Lock()


def current_mode() -> str:
    """The mode the next run uses (``auto`` resolved: see the module docstring)."""
    global _first_run_taken
    mode = _mode or os.environ.get("GRADER_SANDBOX", "auto")
    if mode not in MODES:
        mode = "auto"
    if mode != "auto":
        return mode
    with _first_run_lock:
        if _first_run_taken or _shared is not None:
            return "forkserver"
        _first_run_taken = True
        return "fresh"


def shared_server(lean: bool = False) -> ForkServer:
    """This process's warm server (``lean`` applies only to the one created now)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ForkServer(preload=True, lean=lean)
            atexit.register(shutdown)
        return _shared


def prestart_for_one_run() -> None:
    """A single ``grader grade``: start a lean warm server now, so its imports run on
    another core while this process loads the rubric and lints; the run then forks from
    it. Does nothing when a mode was chosen (``GRADER_SANDBOX``, ``set_mode``) or a server
    runs already."""
    if (_mode or os.environ.get("GRADER_SANDBOX", "auto")) != "auto":
        return
    try:
        shared_server(lean=True).prestart()
    except OSError:
        pass  # no server then: submit() starts one when the run needs it


def _forget_in_child() -> None:
    """A forked copy of the grader must not share our server: it starts its own."""
    global _shared, _shared_lock, _first_run_lock
    if _shared is not None and _shared._ctrl is not None:
        _shared._ctrl.close()
    _shared, _shared_lock, _first_run_lock = None, threading.Lock(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def shutdown() -> None:
    """Stop the shared server (tests; atexit)."""
    global _shared
    with _shared_lock:
        server, _shared = _shared, None
    if server is not None:
        server.stop()
