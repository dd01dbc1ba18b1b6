"""The fork server: a warm process that forks one sandboxed child per submission.

Started once per grader process (``launcher.ForkServer``) as ``python -m
grader.behavior.sandbox.forkserver CTRL_FD [--preload]``. With ``--preload`` it imports
fastapi, starlette, httpx, python-multipart and the harness, runs one warm-up, then
``gc.freeze()``: a fork then costs milliseconds instead of a fresh interpreter's
imports. Without it (the fresh-interpreter fallback) the child imports everything itself.

Why our own server rather than ``multiprocessing``'s forkserver: each child needs
descriptors passed with the request (result and output pipes), must never inherit the
other jobs' descriptors, and its whole process tree must be killed and reaped on
demand. The server is a child subreaper, so orphaned grandchildren (double fork,
``setsid``) come back to it and are killed and reaped here, not left to init. Which
process belongs to which job is kept by ``tracker`` (each process read once, when it
first appears), so watching the jobs costs little however busy the machine is.

Protocol (AF_UNIX SOCK_SEQPACKET, one JSON object per packet):
  control socket: parent -> server ``{"job": {...}}`` with fds [job socket, result,
  stdout, stderr, then one per name of ``job["pass_fds"]``]; server -> parent
  ``{"ready": ...}`` once at start.
  job socket: server -> parent ``{"pid": n}`` then ``{"exit": ...}`` when the child and
  every process of its tree are gone; parent -> server ``{"kill": true}`` (EOF = kill).
"""

from __future__ import annotations

import array
import gc
import json
import os
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from grader.behavior.sandbox import limits, procs
from grader.behavior.sandbox.tracker import FULL_REFRESH_S, Tracker
from grader.behavior.sandbox.worker import HELPERS, prepare, run_job

SWEEP_SECONDS = 0.05
# With a dedicated uid per job, RLIMIT_NPROC enforces the process count and the uid ties
# a re-parented process to its job, so the sweep (peak count, strays) can run less often.
UID_SWEEP_SECONDS = 0.25
MAX_PACKET = 1 << 20
MAX_FDS = 64  # per job: its socket, result, stdout, stderr and the descriptors handed to the child


@dataclass
class Job:
    pid: int
    sock: socket.socket
    uid: int | None
    max_processes: int
    started: float = field(default_factory=time.monotonic)
    status: int | None = None
    peak: int = 1
    storm: bool = False
    killed: bool = False


class Server:
    def __init__(self, ctrl: socket.socket) -> None:
        self.ctrl = ctrl
        self.jobs: dict[int, Job] = {}
        self.statuses: dict[int, int] = {}
        self.selector = selectors.DefaultSelector()
        self.selector.register(ctrl, selectors.EVENT_READ, None)
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.selector.register(self.wake_r, selectors.EVENT_READ, None)
        self.running = True
        self.proc = procs.proc_available()
        self.tracker = Tracker()
        self.last_full_refresh = 0.0

    # ---- main loop ------------------------------------------------------------------
    def serve(self) -> None:
        last_sweep = 0.0
        while self.running or self.jobs:
            for key, _ in self.selector.select(self._sweep_interval()):
                if key.fileobj is self.ctrl:
                    self._on_ctrl()
                elif key.fileobj == self.wake_r:
                    try:
                        os.read(self.wake_r, 4096)
                    except BlockingIOError:
                        pass
                else:
                    self._on_job_message(key.data)
            self._reap()
            now = time.monotonic()
            if now - last_sweep >= self._sweep_interval():
                last_sweep = now
                self._sweep()
            for job in [j for j in self.jobs.values() if j.status is not None]:
                self._finish(job)
        if self.proc:
            self.tracker.refresh(full=True)
            self._kill_strays()
        self._kill_orphans()

    def _sweep_interval(self) -> float:
        if any(job.uid is None for job in self.jobs.values()):
            return SWEEP_SECONDS  # the sweep alone enforces the process limit
        return UID_SWEEP_SECONDS

    def _on_ctrl(self) -> None:
        try:
            data, ancdata, _flags, _addr = self.ctrl.recvmsg(MAX_PACKET, socket.CMSG_SPACE(MAX_FDS * 4))
        except OSError:
            data = b""
        if not data:
            self.running = False  # the grader is gone: finish or kill what runs, then exit
            self.selector.unregister(self.ctrl)
            for job in self.jobs.values():
                self._terminate(job)
            return
        fds = array.array("i")
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
        request = json.loads(data)["job"]
        self._start(request, list(fds))

    def _start(self, request: dict[str, Any], fds: list[int]) -> None:
        job_sock = socket.socket(fileno=fds[0])
        named = {"result": fds[1], "stdout": fds[2], "stderr": fds[3]}
        passed = list(request.get("pass_fds") or [])
        named.update({f"pass:{name}": fd for name, fd in zip(passed, fds[4:])})
        prepare(request)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
                signal.signal(signum, signal.SIG_DFL)
            run_job(request, named)
            os._exit(70)
        for fd in fds[1:]:
            os.close(fd)
        # A uid ties processes to this job only when it is the run's own (pooled) uid, which
        # RLIMIT_NPROC then limits; otherwise the sweep counts the run's processes.
        uid = request.get("uid") if request.get("nproc_limit") else None
        job = Job(pid, job_sock, uid, int(request.get("max_processes", 64)))
        self.jobs[pid] = job
        self.tracker.add_job(pid, job.uid)
        self.selector.register(job_sock, selectors.EVENT_READ, job)
        self._send(job, {"pid": pid})

    def _on_job_message(self, job: Job) -> None:
        try:
            data = job.sock.recv(MAX_PACKET)
        except OSError:
            data = b""
        # Any message (kill) or EOF (the parent gave up) ends the job.
        self._terminate(job)
        if not data:
            self.selector.unregister(job.sock)

    # ---- processes ------------------------------------------------------------------
    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job = self.jobs.get(pid)
            if job is not None and job.status is None:
                job.status = status

    def _sweep(self) -> None:
        """Track each job's processes (setsid'd grandchildren included), enforce the
        process-count limit where RLIMIT_NPROC cannot (no dedicated uid), and kill what
        no running job claims. Cheap: only processes new since the last sweep are read
        (``tracker``), every process again once per ``FULL_REFRESH_S``."""
        if not self.jobs or not self.proc:
            return
        now = time.monotonic()
        full = now - self.last_full_refresh >= FULL_REFRESH_S
        if full:
            self.last_full_refresh = now
        self.tracker.refresh(full)
        for job in list(self.jobs.values()):
            if job.status is not None or job.killed:
                continue
            members = self.tracker.members(job.pid)
            # The run's outer and init processes are the grader's, not the student's.
            if job.uid is not None:
                # What RLIMIT_NPROC counts: every process and thread of the run's uid.
                job.peak = max(job.peak, procs.count_tasks(members) - HELPERS)
            else:
                job.peak = max(job.peak, len(members) - HELPERS)
                if len(members) - HELPERS > job.max_processes:
                    job.storm = True
                    self._terminate(job)
        self._kill_strays()

    def _kill_strays(self) -> None:
        """Processes of our tree that no running job claims: a finished job's leftovers,
        an orphan re-parented to us that cannot be tied to any job."""
        for info in self.tracker.strays():
            procs.kill_process(info)

    def _kill_orphans(self) -> None:
        """Last pass before exiting: every child of ours that is not a job (a full read
        of /proc, whatever the tracker knows)."""
        if not self.proc:
            return
        me = os.getpid()
        for info in procs.all_processes():
            if info.ppid == me and info.pid not in self.jobs and not info.zombie:
                procs.kill_process(info)

    def _terminate(self, job: Job) -> None:
        job.killed = True
        if job.status is None:
            try:
                os.kill(job.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        procs.kill_group(job.pid)
        if not self.proc:
            return
        self.tracker.refresh()
        for info in self.tracker.members(job.pid):
            if info.pid != job.pid:
                procs.kill_process(info)

    def _finish(self, job: Job) -> None:
        """The worker exited: kill and reap the rest of its tree, then report."""
        killed = 0
        deadline = time.monotonic() + 5.0
        # Without a dedicated uid nothing else ties a process to the job: re-read every
        # process once (a recycled pid cannot hide one), then only the new ones.
        full = job.uid is None
        rest: list[procs.ProcInfo] = []
        while self.proc:
            procs.kill_group(job.pid)
            self.tracker.refresh(full)
            full = False
            rest = [p for p in self.tracker.members(job.pid) if p.pid != job.pid]
            for info in rest:
                killed += procs.kill_process(info)
            self._reap()
            if not rest or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        self.tracker.end_job(job.pid)
        self._kill_strays()
        status = job.status or 0
        exit_info = {
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        }
        self._send(job, {
            "exit": exit_info,
            "killed_by_grader": job.killed,
            "leftover_killed": killed,
            "leftover": len(rest),
            "processes_peak": job.peak,
            "storm": job.storm,
            "wall_s": round(time.monotonic() - job.started, 3),
        })
        try:
            self.selector.unregister(job.sock)
        except (KeyError, ValueError):
            pass
        job.sock.close()
        del self.jobs[job.pid]

    def _send(self, job: Job, message: dict[str, Any]) -> None:
        try:
            job.sock.send(json.dumps(message).encode())
        except OSError:
            pass  # the parent stopped listening; the job is still cleaned up


def _warm_up_custom_checks() -> None:
    """pytest (for rubric pytest checks) imports lazily what a child that dropped
    privileges may no longer read; optional: pytest is a test extra. The real-server
    mode's harness (uvicorn) is loaded in every preload."""
    try:
        from grader.behavior.custom.runner import warm_up
    except ImportError:
        return
    try:
        warm_up()
    except Exception:  # noqa: BLE001 - custom checks then report their own import errors
        pass


def _preload(lean: bool = False) -> dict[str, Any]:
    """Import what every child needs and run one warm-up, then freeze the heap.

    ``lean`` (a server for one run): skip the optional warm-ups (pytest checks, uvicorn);
    a child that needs them imports them itself."""
    started = time.perf_counter()
    import fastapi  # noqa: F401
    import httpx  # noqa: F401
    import multipart  # noqa: F401
    import starlette.background  # noqa: F401

    import grader.behavior.sandbox.worker  # noqa: F401

    harness_loaded = False
    try:
        from grader.behavior.student import serve  # noqa: F401
        from grader.behavior.student.warmup import warm_up

        warm_up()
        harness_loaded = True
    except ImportError:
        pass
    if not lean:
        _warm_up_custom_checks()
    gc.collect()
    gc.freeze()  # pages of the warm heap stay shared with every forked child
    return {"preloaded": True, "harness": harness_loaded, "preload_s": round(time.perf_counter() - started, 3)}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    ctrl = socket.socket(fileno=int(argv[0]))
    limits.set_child_subreaper()
    info: dict[str, Any] = {"preloaded": False}
    if "--preload" in argv:
        try:
            info = _preload(lean="--lean" in argv)
        except Exception as exc:  # noqa: BLE001 - a broken preload falls back to lazy imports
            info = {"preloaded": False, "preload_error": f"{type(exc).__name__}: {exc}"}
    ctrl.send(json.dumps({"ready": info}).encode())
    Server(ctrl).serve()
    # Every job is reaped and every stray killed: tearing down the warm heap (FastAPI's
    # stack) would only delay the grader that waits for this exit by ~70 ms.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
