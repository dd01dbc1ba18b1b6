"""The run's processes, as the fork server starts them::

    fork server ── outer ── init (pid 1 of the run) ── student (pid 2)

``run_job`` is the *outer* process, forked by the server: it joins the run's cgroups,
creates the namespaces (``jail.namespaces``) and forks *init*, which becomes pid 1 of the
run's PID namespace. Init builds the new root (``jail.newroot``), checks each
protection (``jail.proofs``), forks the *student* process (``child.run_student``) and
reaps orphans until the student process exits; then init exits, and the kernel kills
whatever the run left in its namespace. The outer process stays outside the namespaces
so the server can wait for it: it exits once init has, with the student process's own
status, so the server and the parent see the exit code or the signal of the student's
process. Killing the outer process (what the server does on a timeout) kills init
(``PR_SET_PDEATHSIG``) and with it the whole run.

Without namespaces (an unprivileged grader on a machine without user namespaces, which
must opt in, or root without the right to make them) the same three processes run on the
host, and the server's process tracking and the run's own uid keep it apart.
"""

from __future__ import annotations

import os
import resource
import signal
import struct
import sys
import time
import traceback
from typing import Any

from grader.behavior.sandbox import limits
from grader.behavior.sandbox.channel import write_message
from grader.behavior.sandbox.child import CGROUP_HELPERS, run_student
from grader.behavior.sandbox.jail import cgroups, exposed, namespaces, newroot, proofs, syscalls

HELPERS = CGROUP_HELPERS  # the outer and init processes: not the student's, not counted against its limit
HOSTNAME = "sandbox"
_STATUS = struct.Struct("i")


class Clock:
    """Milliseconds each setup step took (``SandboxResult.setup_ms``; bench/jail_cost.py)."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.steps[step] = round((now - self._last) * 1000, 3)
        self._last = now


def prepare(job: dict[str, Any]) -> None:
    """In the fork server, before forking: what every run inherits (computed once)."""
    exposed.exposure(_harness_files(job))


def _harness_files(job: dict[str, Any]) -> tuple[str, ...]:
    target = str(job.get("harness", "")).rpartition(":")[0]
    return (target,) if target.endswith(".py") else ()


def _keep_only(fds: dict[str, int]) -> None:
    """stdout/stderr of the run on 1 and 2 (tracebacks of the setup land in the report);
    close every descriptor inherited from the server but the run's own."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fds["stdout"], 1)
    os.dup2(fds["stderr"], 2)
    keep = {0, 1, 2, *fds.values()}
    try:
        open_fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def run_job(job: dict[str, Any], fds: dict[str, int]) -> None:
    """The outer process; never returns (ends with ``os._exit``)."""
    code = 70
    try:
        os.setsid()
        limits.die_with_parent()
        _keep_only(fds)
        held: list[str] = []
        missing: dict[str, str] = {}
        clock = Clock()
        group = job.get("cgroup")
        if group:
            held += cgroups.join(group["procs"], group["held"])
            clock.lap("cgroup_join")
        host = namespaces.ids()
        top = os.stat("/")
        as_root = os.geteuid() == 0
        reason = namespaces.enter(as_root) if sys.platform.startswith("linux") else "namespaces need Linux"
        clock.lap("unshare")
        if reason is not None:
            missing["namespaces"] = reason
            if not as_root and not job.get("allow_unisolated"):
                write_message(fds["result"], {"nonce": job["nonce"], "t": "refused",
                                              "reason": namespaces.refusal(reason)})
                os._exit(75)
        status_r, status_w = os.pipe()
        outer = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(status_r)
            _init(job, fds, status_w, outer, reason is None, host, (top.st_dev, top.st_ino), held, missing, clock)
        os.close(status_w)
        for name, fd in fds.items():
            if name not in ("stdout", "stderr"):
                os.close(fd)
        code = _mirror(pid, status_r)
    except BaseException:  # noqa: BLE001 - setup failed: say so on the run's stderr
        _print_exc()
    finally:
        os._exit(code)


def _mirror(init_pid: int, status_r: int) -> int:
    """Wait for init; end the way the student's process ended (its code, or its signal)."""
    _, init_status = os.waitpid(init_pid, 0)
    data = os.read(status_r, _STATUS.size)
    status = _STATUS.unpack(data)[0] if len(data) == _STATUS.size else init_status
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:
            signal.signal(number, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [number])
            os.kill(os.getpid(), number)
        except (OSError, ValueError):
            pass
        return 128 + number
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70


def _plan(job: dict[str, Any]) -> newroot.Plan:
    jail = job["jail"]
    return newroot.Plan(
        staging=jail["staging"], exposure=exposed.exposure(_harness_files(job)),
        writable=dict(jail["writable"]),
        ipc_limit_bytes=int(job["memory_mb"]) * 1024 * 1024 if os.geteuid() == 0 else None,
    )


def _init(job: dict[str, Any], fds: dict[str, int], status_w: int, outer: int, isolated: bool,
          host: dict[str, int], host_root: tuple[int, int], held: list[str], missing: dict[str, str],
          clock: Clock) -> None:
    """The jail's init: build the root, check it, run the student's process, reap, report."""
    code = 70
    try:
        clock.lap("fork_init")
        limits.die_with_parent()
        if os.getppid() not in (outer, 0):  # 0: the outer process is outside our PID namespace
            os._exit(code)  # it died before we could follow it
        jail = job.get("jail") or {}
        workdir, tmpdir, plan = job["workdir"], jail.get("writable", {}).get("/tmp", "/tmp"), None
        if isolated and jail:
            plan, workdir, tmpdir = _enter_new_root(job, workdir, tmpdir, host_root, held, missing, clock)
            try:
                syscalls.sethostname(HOSTNAME)
            except OSError:
                pass
            held += proofs.namespaces(host, expect_user=os.geteuid() != 0)
            clock.lap("check_namespaces")
        pid = os.fork()
        if pid == 0:
            clock.lap("fork_student")
            run_student(job, fds, workdir, tmpdir, plan, held, missing, clock)
        for name, fd in fds.items():
            if name not in ("stdout", "stderr"):
                os.close(fd)
        status = _reap_until(pid)
        os.write(status_w, _STATUS.pack(status))
        code = 0
    except BaseException:  # noqa: BLE001
        _print_exc()
    finally:
        os._exit(code)


def _enter_new_root(job: dict[str, Any], workdir: str, tmpdir: str, host_root: tuple[int, int],
                    held: list[str], missing: dict[str, str], clock: Clock) -> tuple[newroot.Plan | None, str, str]:
    """Build and check the new root; the plan and the child's work and temp folders
    (the host's when the root could not be entered)."""
    jail = job["jail"]
    plan = _plan(job)
    hidden = list(jail.get("hidden") or [])
    revealed = exposed.reveals(plan.exposure, hidden)
    try:
        outcome = newroot.build(plan)
        clock.lap("new_root")
    except OSError as exc:
        missing["private-root"] = str(exc)
        return None, workdir, tmpdir
    if not outcome.pivoted:
        missing["private-root"] = "; ".join(outcome.problems) or "the new root was not entered"
        return None, workdir, tmpdir
    identities = {k: list(v) for k, v in jail["identities"].items()}
    problems = proofs.root(plan, host_root, identities, hidden) + [f"{p} is inside a shown folder" for p in revealed]
    if problems:
        missing["private-root"] = "; ".join(problems[:3])
    else:
        held.append("private-root")
    if proofs.private_tmp(identities):
        held.append("private-tmp")
    budget = jail.get("disk_bytes")
    if budget and proofs.disk_budget(identities, int(budget)):
        held.append(f"disk-budget-{int(budget) // (1024 * 1024)}MiB")
    clock.lap("check_root")
    return plan, job["workdir_private"], "/tmp"


def _reap_until(pid: int) -> int:
    """Reap every child (orphans of the run come to pid 1) until ``pid`` has exited."""
    while True:
        try:
            reaped, status = os.wait()
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
        if reaped == pid:
            return status


def _print_exc() -> None:
    try:
        traceback.print_exc()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        pass
