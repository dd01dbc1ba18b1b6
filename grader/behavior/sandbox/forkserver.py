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
``setsid``) come back to it and are killed and reaped here, not left to init.

Protocol (AF_UNIX SOCK_SEQPACKET, one JSON object per packet):
  control socket: parent -> server ``{"job": {...}}`` with fds [job socket, result,
  stdout, stderr]; server -> parent ``{"ready": ...}`` once at start.
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

from grader.behavior.sandbox import limits


from grader.behavior.sandbox import procs
SWEEP_SECONDS = 0.05
MAX_PACKET = 1 << 20


@dataclass
class Job:
    pid: int
    sock: socket.socket
    uid: int | None
    max_processes: int
    started: float = field(default_factory=time.monotonic)
    seen: dict[int, int] = field(default_factory=dict)  # pid -> start time
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

    # ---- main loop ------------------------------------------------------------------
    def serve(self) -> None:
        last_sweep = 0.0
        while self.running or self.jobs:
            for key, _ in self.selector.select(SWEEP_SECONDS):
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
            if now - last_sweep >= SWEEP_SECONDS:
                last_sweep = now
                self._sweep()
            for job in [j for j in self.jobs.values() if j.status is not None]:
                self._finish(job)
        self._kill_orphans(set())

    def _on_ctrl(self) -> None:
        try:
            data, ancdata, _flags, _addr = self.ctrl.recvmsg(MAX_PACKET, socket.CMSG_SPACE(16 * 4))
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
        pid = os.fork()
        if pid == 0:  # the child: never returns
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
                signal.signal(signum, signal.SIG_DFL)
            from grader.behavior.sandbox.worker import run_job

            run_job(request, named)
            os._exit(70)
        for fd in fds[1:]:
            os.close(fd)
        job = Job(pid, job_sock, request.get("uid"), int(request.get("max_processes", 64)))
        self.jobs[pid] = job
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
        """Track each job's tree (setsid'd grandchildren included) and enforce the
        process-count limit where RLIMIT_NPROC cannot (no dedicated uid)."""
        if not self.jobs or not procs.proc_available():
            return
        table = procs.all_processes(with_uid=any(j.uid is not None for j in self.jobs.values()))
        for job in self.jobs.values():
            if job.status is not None or job.killed:
                continue
            tree = procs.descendants(job.pid, table)
            mine = {p.pid: p.start for p in tree if p.pid != job.pid}
            if job.uid is not None:
                mine.update({p.pid: p.start for p in table if p.uid == job.uid})
            job.seen.update(mine)
            if job.uid is not None:
                # What RLIMIT_NPROC counts: every process and thread of the run's uid.
                job.peak = max(job.peak, procs.count_tasks([p for p in table if p.uid == job.uid]))
            else:
                job.peak = max(job.peak, 1 + len(mine))
            if job.uid is None and len(mine) + 1 > job.max_processes:
                job.storm = True
                self._terminate(job)
        self._kill_orphans(self._attributed(table), table)

    def _attributed(self, table: list[procs.ProcInfo]) -> set[int]:
        """Pids that belong to a job still running (so the orphan sweep leaves them)."""
        keep: set[int] = set()
        for job in self.jobs.values():
            if job.killed or job.status is not None:
                continue
            for info in table:
                if info.pid in job.seen or info.sid == job.pid or (job.uid is not None and info.uid == job.uid):
                    keep.add(info.pid)
        return keep

    def _kill_orphans(self, keep: set[int], table: list[procs.ProcInfo] | None = None) -> None:
        """Our children that are not workers are re-parented sandbox processes: kill them.

        ``table``: a process table the caller just read (the sweep reuses its own, which
        halves the /proc reads of a sweep that runs every 50 ms)."""
        if not procs.proc_available():
            return
        me = os.getpid()
        for info in table if table is not None else procs.all_processes():
            if info.ppid == me and info.pid not in self.jobs and info.pid not in keep and not info.zombie:
                procs.kill_process(info)

    def _job_processes(self, job: Job) -> list[procs.ProcInfo]:
        table = procs.all_processes(with_uid=job.uid is not None)
        found = {p.pid: p for p in procs.descendants(job.pid, table)}
        for info in table:
            if info.pid == job.pid or info.sid == job.pid or info.pgid == job.pid:
                found[info.pid] = info
            elif job.seen.get(info.pid) == info.start:
                found[info.pid] = info
            elif job.uid is not None and info.uid == job.uid:
                found[info.pid] = info
        return list(found.values())

    def _terminate(self, job: Job) -> None:
        job.killed = True
        if job.status is None:
            try:
                os.kill(job.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        procs.kill_group(job.pid)
        for info in self._job_processes(job):
            if info.pid != job.pid:
                procs.kill_process(info)

    def _finish(self, job: Job) -> None:
        """The worker exited: kill and reap the rest of its tree, then report."""
        killed = 0
        deadline = time.monotonic() + 5.0
        while True:
            procs.kill_group(job.pid)
            rest = [p for p in self._job_processes(job) if p.pid != job.pid]
            for info in rest:
                if not info.zombie:
                    procs.kill_process(info)
                    killed += 1
            self._reap()
            self._kill_orphans(set())
            if not rest or time.monotonic() > deadline:
                break
            time.sleep(0.005)
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
    mode's harness (uvicorn) is loaded here too."""
    try:
        import grader.behavior.server.harness  # noqa: F401
        import uvicorn.lifespan.on  # noqa: F401
        import uvicorn.loops.asyncio  # noqa: F401
        import uvicorn.protocols.http.h11_impl  # noqa: F401
    except ImportError:
        pass
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
        import grader.behavior.harness.run as harness

        harness_loaded = True
        warm_up = getattr(harness, "warm_up", None)
        if callable(warm_up):
            warm_up()
    except ImportError:
        pass
    from grader.behavior.harness.warmup import warm_up as builtin_warm_up

    builtin_warm_up()
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


if __name__ == "__main__":
    main()
