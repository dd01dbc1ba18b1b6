"""The student's process: set up its descriptors, drop every privilege, run the harness.

Forked by the jail's init (``worker``). Everything before the harness is called is
trusted grader code; from there on the process also runs the student's code, so it
reports only through the result pipe and the parent checks what it can itself.
"""

from __future__ import annotations

import fcntl
import gc
import importlib
import importlib.util
import os
import random
import resource
import sys
import traceback
from typing import TYPE_CHECKING, Any, Callable

from grader.behavior.sandbox import limits, progress
from grader.behavior.sandbox.channel import write_message
from grader.behavior.sandbox.jail import proofs, syscalls
from grader.behavior.sandbox.jail.newroot import Plan

if TYPE_CHECKING:
    from grader.behavior.sandbox.worker import Clock

SAFE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONIOENCODING": "utf-8",
}
_EMERGENCY_RESERVE_BYTES = 2 * 1024 * 1024
ROOT_WITHOUT_JAIL = (
    "Behavior checks run student code, and this machine cannot isolate it: the grader runs as root "
    "without the right to create namespaces, and the Python installation is not readable by other "
    "users, so the code would run as root. Make the Python installation readable by all users "
    "(chmod o+rx on it and the folders above it), or give the grader the right to create namespaces "
    "(in a container: --cap-add SYS_ADMIN).")


CGROUP_HELPERS = 2  # the outer and init processes of the jail: in its cgroup, not the student's


def load_callable(spec: str) -> Callable[..., Any]:
    """``"package.module:function"`` or ``"/path/to/file.py:function"``."""
    target, _, name = spec.rpartition(":")
    if target.endswith(".py"):
        module_spec = importlib.util.spec_from_file_location("_grader_harness_from_file", target)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot load {target}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    return getattr(module, name)


def fd_ceiling() -> int:
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return max(4096, soft if 0 < soft < 1 << 20 else 4096)


def setup_fds(fds: dict[str, int], passed: list[str]) -> tuple[int, dict[str, int]]:
    """stdin from /dev/null, stdout/stderr to the capture pipes, the result pipe at a random
    high descriptor (a casual ``os.write(3, ...)`` misses it), the descriptors the parent
    handed over (``passed``, by name) just above it, in name order, not inherited by
    programs the student runs; everything else closed. Returns the result descriptor and
    ``{name: descriptor}`` of the passed ones."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fds["stdout"], 1)
    os.dup2(fds["stderr"], 2)
    result_fd = random.SystemRandom().randrange(300, 900)
    os.dup2(fds["result"], result_fd, inheritable=False)
    # Each through a spot above every final number first: one may still hold a descriptor
    # we need.
    above = result_fd + len(passed) + 1
    spots = {name: fcntl.fcntl(fds[f"pass:{name}"], fcntl.F_DUPFD_CLOEXEC, above) for name in passed}
    placed = {}
    for offset, name in enumerate(sorted(passed), start=1):
        os.dup2(spots[name], result_fd + offset, inheritable=False)
        placed[name] = result_fd + offset
    os.closerange(3, result_fd)
    os.closerange(result_fd + len(placed) + 1, fd_ceiling())
    return result_fd, placed


def _install_phase_hooks() -> None:
    """Report 'startup' / 'endpoint' / 'task' from inside Starlette, so a run that ends
    abruptly says what was running. While any background task runs, the phase stays
    'task': the parent's small requests in between must not hide it."""
    try:
        from starlette.applications import Starlette
        from starlette.background import BackgroundTask
    except ImportError:
        return
    original_call = Starlette.__call__
    original_task = BackgroundTask.__call__
    running = [0]

    async def app_call(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if not running[0]:
            progress.report_phase("startup" if scope.get("type") == "lifespan" else "endpoint")
        await original_call(self, scope, receive, send)

    async def task_call(self: Any) -> None:
        running[0] += 1
        progress.report_phase("task")
        try:
            await original_task(self)
        finally:
            running[0] -= 1
            if not running[0]:
                progress.report_phase("endpoint")

    Starlette.__call__ = app_call  # type: ignore[method-assign]
    BackgroundTask.__call__ = task_call  # type: ignore[method-assign]


def _sanitize_process(workdir: str, tmpdir: str) -> None:
    os.environ.clear()
    os.environ.update(SAFE_ENV)
    os.environ["HOME"] = workdir
    os.environ["TMPDIR"] = tmpdir
    # The student's folder comes first so `import main` finds their module, and no
    # module of theirs can be shadowed by a leftover from the fork server.
    sys.path[:] = [workdir] + [p for p in sys.path if p and p not in ("", ".", "/")]
    sys.argv = ["main.py"]
    importlib.invalidate_caches()


def _can_read(plan: Plan | None) -> bool:
    """Could a uid that owns nothing read the Python installation? In the jail, every
    folder above a bound one is the jail's own 0755 folder; without it, the host's path."""
    if plan is None:
        return all(limits.readable_by_others(r) for r in limits.python_roots())
    for path in plan.exposure.binds:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return False
        wanted = 0o005 if os.path.isdir(path) else 0o004
        if mode & wanted != wanted:
            return False
    return True


def drop_privileges(job: dict[str, Any], plan: Plan | None) -> tuple[list[str], dict[str, str]]:
    """Give up root (for the run's own uid) or, in a user namespace, every capability;
    never gain one again (``no_new_privs``, empty bounding set)."""
    held: list[str] = []
    missing: dict[str, str] = {}
    _quietly(syscalls.drop_bounding_set)  # while the capability to do it is still ours
    if os.geteuid() == 0:
        uid = job.get("uid")
        if uid is not None and _can_read(plan):
            held += limits.drop_privileges(uid, job.get("gid", uid))
        else:
            missing["unprivileged-user"] = ("the Python installation is not readable by other users"
                                            if uid is not None else "no uid to run as")
            # Root without capabilities reads only what root owns: take the run's folders back.
            _chown_tree(_run_folders(job, plan), 0)
    _quietly(syscalls.set_no_new_privs)
    _quietly(syscalls.clear_capabilities)
    if proofs.no_capabilities():
        held.append("no-capabilities")
    return held, missing


def _run_folders(job: dict[str, Any], plan: Plan | None) -> list[str]:
    """The run's writable folders as this process sees them."""
    if plan is not None:
        return list(plan.writable)
    return list((job.get("jail") or {}).get("writable", {}).values())


def _chown_tree(roots: list[str], uid: int) -> None:
    stack = list(roots)
    while stack:
        folder = stack.pop()
        try:
            os.chown(folder, uid, uid, follow_symlinks=False)
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            else:
                try:
                    os.chown(entry.path, uid, uid, follow_symlinks=False)
                except OSError:
                    pass


def _quietly(call: Callable[[], None]) -> None:
    try:
        call()
    except OSError:
        pass  # not Linux, or nothing left to drop: no-capabilities then says what held


def run_student(job: dict[str, Any], fds: dict[str, int], workdir: str, tmpdir: str, plan: Plan | None,
                held: list[str], missing: dict[str, str], clock: Clock | None = None) -> None:
    """Body of the student's process; never returns (ends with ``os._exit``)."""
    code = 70
    try:
        os.setsid()
        limits.die_with_parent()
        result_fd, passed = setup_fds(fds, list(job.get("pass_fds") or []))
        nonce = job["nonce"]

        def send(kind: str, **payload: Any) -> None:
            if kind != "phase":
                # The parent kills the tree as soon as a final message arrives: what the
                # app printed must be in the pipe before that.
                _flush_std()
            write_message(result_fd, {"nonce": nonce, "t": kind, **payload})

        protections = ["separate-process", "new-session", "result-pipe", *held]
        os.chdir(workdir)
        os.umask(0o022)
        # Trusted imports happen while we may still read everything.
        harness = load_callable(job["harness"])
        nproc = job["max_processes"] if job.get("nproc_limit") and os.geteuid() == 0 else None
        if nproc is not None and "cgroup-pids" in ((job.get("cgroup") or {}).get("held") or []):
            # The run's cgroup (pids.max = the limit + the two helper processes) refuses
            # first, and the kernel counts each refusal in pids.events, which the grader
            # reads: an app that swallows the failed fork is still reported. RLIMIT_NPROC
            # stays one step behind, as the backstop.
            nproc += CGROUP_HELPERS + 1
        protections += limits.apply_rlimits(job["memory_mb"], nproc, job.get("file_limit_bytes"))
        dropped, not_dropped = drop_privileges(job, plan)
        protections += dropped
        missing.update(not_dropped)
        if os.geteuid() == 0 and "pid-namespace" not in protections and not job.get("allow_unisolated"):
            # Root without capabilities may still signal every root process: the grader.
            send("refused", reason=ROOT_WITHOUT_JAIL)
            os._exit(75)
        _check_views(protections, missing, plan)
        _sanitize_process(workdir, tmpdir)
        progress.install_sink(lambda phase: send("phase", phase=phase))
        _install_phase_hooks()
        setup_ms = {}
        if clock is not None:
            clock.lap("student_setup")
            setup_ms = clock.steps
        send("protections", protections=protections, missing=missing, workdir=workdir, setup_ms=setup_ms)
        gc.unfreeze()
        sys.dont_write_bytecode = True  # never write __pycache__ into the student's copy
        reserve = bytearray(_EMERGENCY_RESERVE_BYTES)
        progress.report_phase("import")
        settings = dict(job.get("settings") or {})
        settings["workdir"] = workdir
        settings["fds"] = passed
        settings.setdefault("sandbox_root", os.path.dirname(workdir))
        try:
            if _accepts_progress(harness):
                result = harness(workdir, settings, progress.report_phase)
            else:
                result = harness(workdir, settings)
        except MemoryError:
            del reserve
            send("memory", phase=progress._last)
            code = 71
        except SystemExit as exc:
            send("exit", code=_exit_code(exc), phase=progress._last)
            code = 72
        except BaseException as exc:  # noqa: BLE001 - report whatever the student raised
            del reserve
            send("crash", type=type(exc).__name__, message=str(exc)[:2000],
                 traceback="".join(traceback.format_exception(exc))[-8000:], phase=progress._last)
            code = 73
        else:
            progress.report_phase("done")
            send("result", data=result)
            code = 0
    except BaseException:  # noqa: BLE001 - setup failed: say so on stderr, exit non-zero
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        _flush_std()
        # Non-daemon threads, atexit hooks and finalizers of the student never run.
        os._exit(code)


def _check_views(protections: list[str], missing: dict[str, str], plan: Plan | None) -> None:
    """What the child itself sees, now unprivileged: nothing writable outside its folders,
    no process but its run's."""
    if "private-root" in protections and plan is not None:
        problems = proofs.read_only_for_me(plan)
        if problems:
            protections.remove("private-root")
            missing["private-root"] = "; ".join(problems[:3])
    if "pid-namespace" in protections and not proofs.only_the_runs_processes():
        protections.remove("pid-namespace")
        missing["pid-namespace"] = "other processes are visible"


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:  # noqa: BLE001 - the student may have replaced or closed them
            pass


def _accepts_progress(fn: Callable[..., Any]) -> bool:
    """Does the harness take a third ``on_progress`` argument?"""
    import inspect

    try:
        return len(inspect.signature(fn).parameters) >= 3
    except (TypeError, ValueError):
        return False


def _exit_code(exc: SystemExit) -> int | str:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    return str(exc.code)[:200]
