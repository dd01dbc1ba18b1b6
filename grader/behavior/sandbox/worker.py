"""The sandboxed child: apply the protections, run the harness, send the result.

Runs in a process forked by the fork server (``forkserver``). Everything before
``_run_harness`` is trusted grader code; from there on the process also runs the
student's code, so it reports only through the result pipe and the parent re-checks
whatever it can on disk.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import random
import sys
import traceback
from typing import Any, Callable

from grader.behavior.sandbox import limits

from grader.behavior.sandbox import progress
from grader.behavior.sandbox.channel import write_message

SAFE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONIOENCODING": "utf-8",
}
_EMERGENCY_RESERVE_BYTES = 2 * 1024 * 1024


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


def _setup_fds(fds: dict[str, int], passed: dict[str, int]) -> tuple[int, dict[str, int]]:
    """stdin from /dev/null, stdout/stderr to the capture pipes; the result pipe moves to
    a random high descriptor (a casual ``os.write(3, ...)`` misses it), the descriptors
    the parent passed for the harness (``passed``) to the ones just above it; close the
    rest. Returns the result fd and where each passed descriptor now is."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fds["stdout"], 1)
    os.dup2(fds["stderr"], 2)
    result_fd = random.SystemRandom().randrange(300, 900)
    os.dup2(fds["result"], result_fd, inheritable=False)
    moved: dict[str, int] = {}
    for offset, (name, fd) in enumerate(sorted(passed.items()), start=1):
        moved[name] = result_fd + offset
        os.dup2(fd, result_fd + offset, inheritable=False)
    os.closerange(3, result_fd)
    os.closerange(result_fd + len(moved) + 1, 4096)
    return result_fd, moved


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


def _sanitize_process(workdir: str) -> None:
    os.environ.clear()
    os.environ.update(SAFE_ENV)
    os.environ["HOME"] = workdir
    os.environ["TMPDIR"] = "/tmp"
    # The student's folder comes first so `import main` finds their module, and no
    # module of theirs can be shadowed by a leftover from the fork server.
    sys.path[:] = [workdir] + [p for p in sys.path if p and p not in ("", ".", "/")]
    sys.argv = ["main.py"]
    importlib.invalidate_caches()


def run_job(job: dict[str, Any], fds: dict[str, int], passed: dict[str, int] | None = None) -> None:
    """Body of the forked child; never returns (ends with ``os._exit``)."""
    code = 70
    try:
        os.setsid()
        limits.die_with_parent()
        result_fd, moved = _setup_fds(fds, passed or {})
        nonce = job["nonce"]

        def send(kind: str, **payload: Any) -> None:
            if kind != "phase":
                # The parent kills the tree as soon as a final message arrives: what the
                # app printed must be in the pipe before that.
                _flush_std()
            write_message(result_fd, {"nonce": nonce, "t": kind, **payload})

        protections = ["separate-process", "new-session", "result-pipe"]
        as_root = os.geteuid() == 0
        harness_file = job["harness"].rpartition(":")[0]
        extra = [os.path.dirname(harness_file)] if harness_file.endswith(".py") else []
        readable = limits.python_roots(extra)
        protections += limits.isolate_namespaces(job.get("private_tmp"), as_root, readable)
        workdir = job["workdir_private"] if "private-tmp" in protections else job["workdir"]
        os.chdir(workdir)
        os.umask(0o022)
        # Trusted imports happen while we may still read everything.
        harness = load_callable(job["harness"])
        uid = job.get("uid")
        # Drop only if the unprivileged uid can still import Python's own modules.
        drop = uid is not None and as_root and all(limits.readable_by_others(r) for r in readable)
        max_tasks = job["max_processes"] if drop else job.get("nproc_limit")
        protections += limits.apply_rlimits(job["memory_mb"], max_tasks)
        if drop:
            protections += limits.drop_privileges(uid, job["gid"])
        _sanitize_process(workdir)
        progress.install_sink(lambda phase: send("phase", phase=phase))
        _install_phase_hooks()
        send("protections", protections=protections, workdir=workdir)
        gc.unfreeze()
        sys.dont_write_bytecode = True  # never write __pycache__ into the student's copy
        reserve = bytearray(_EMERGENCY_RESERVE_BYTES)
        progress.report_phase("import")
        settings = dict(job.get("settings") or {})
        settings["workdir"] = workdir
        settings["fds"] = moved
        settings.setdefault("sandbox_root", os.path.dirname(workdir))
        takes_progress = _accepts_progress(harness)
        try:
            if takes_progress:
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
