"""Per-run cost of the sandbox's jail: what each mechanism adds to a run, in ms.

    python bench/jail_cost.py [N] [--baseline TREE]

1. End to end: N sequential runs of sample_submissions/good_sync_def with a harness that only
   imports the app (what is left is the sandbox's own cost), through the warm fork
   server. Per run: wall time, the grader's CPU, and the CPU of the run's processes (the
   fork server's reaped children), with the median of each set-up step the jail times
   itself (``SandboxResult.setup_ms``, ``Sandbox.timings``).
2. Each mechanism alone, N times: the run folder with and without its tmpfs, a cgroup
   made and removed, fork + unshare of the five namespaces + the init fork.
3. ``--baseline TREE``: part 1 again with the grader of another checkout (e.g. an export
   of main: ``git archive main | tar -x -C /tmp/base``), for a before/after.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBMISSION = ROOT / "sample_submissions" / "good_sync_def"
NOOP = f"{ROOT / 'bench' / 'noop_harness.py'}:run_harness"


def _server_children_cpu() -> float:
    import psutil

    from grader.behavior.sandbox import launcher

    times = psutil.Process(launcher.shared_server().pid).cpu_times()
    return times.children_user + times.children_system


def end_to_end(runs: int) -> dict:
    """Only the API every version of the sandbox has (Sandbox(source, harness, mode).run)."""
    from grader.behavior.sandbox.supervisor import Sandbox, SandboxLimits

    with Sandbox(SUBMISSION, harness=NOOP, mode="forkserver") as box:  # start and warm the server
        box.run({}, SandboxLimits())
    walls, steps = [], {}
    own_before, children_before = os.times(), _server_children_cpu()
    for _ in range(runs):
        started = time.perf_counter()
        with Sandbox(SUBMISSION, harness=NOOP, mode="forkserver") as box:
            res = box.run({}, SandboxLimits())
        walls.append((time.perf_counter() - started) * 1000)
        assert res.result is not None, res.stderr
        for step, ms in {**getattr(res, "setup_ms", {}), **getattr(box, "timings", {})}.items():
            steps.setdefault(step, []).append(ms)
    own_after = os.times()
    return {
        "wall_ms": statistics.median(walls),
        "grader_cpu_ms": (own_after.user + own_after.system - own_before.user - own_before.system) / runs * 1000,
        "run_cpu_ms": (_server_children_cpu() - children_before) / runs * 1000,
        "steps_ms": {k: round(statistics.median(v), 2) for k, v in steps.items()},
        "protections": getattr(res, "protections", []),
    }


def _cpu_of(action, runs: int) -> tuple[float, float]:
    """(wall ms, CPU ms incl. reaped children) per call."""
    before, started = os.times(), time.perf_counter()
    for _ in range(runs):
        action()
    after = os.times()
    cpu = sum(after[:4]) - sum(before[:4])
    return (time.perf_counter() - started) / runs * 1000, cpu / runs * 1000


def mechanisms(runs: int) -> dict:
    from grader.behavior.sandbox.jail import namespaces, syscalls
    from grader.behavior.sandbox.jail.cgroups import RunCgroup
    from grader.behavior.sandbox.jail.rundir import RunDir

    results = {}
    as_root = os.geteuid() == 0

    def run_dir(tmpfs: bool):
        return lambda: RunDir(512, None, tmpfs=tmpfs).remove()

    results["run folder (plain)"] = _cpu_of(run_dir(False), runs)
    if as_root:
        results["run folder (tmpfs)"] = _cpu_of(run_dir(True), runs)

        def cgroup():
            group = RunCgroup(f"bench-{os.getpid()}-{time.monotonic_ns()}", 256 << 20, 64)
            group.create()
            group.remove()

        results["cgroup create+remove"] = _cpu_of(cgroup, runs)

    def forks(flags: int):
        def action():
            pid = os.fork()
            if pid == 0:
                if flags:
                    syscalls.unshare(flags | (0 if as_root else syscalls.CLONE_NEWUSER))
                inner = os.fork()
                if inner == 0:
                    os._exit(0)
                os.waitpid(inner, 0)
                os._exit(0)
            os.waitpid(pid, 0)
        return action

    results["2 forks (no namespaces)"] = _cpu_of(forks(0), runs)
    results["2 forks + 5 namespaces"] = _cpu_of(forks(namespaces.FLAGS), runs)
    return {k: {"wall_ms": round(w, 2), "cpu_ms": round(c, 2)} for k, (w, c) in results.items()}


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--end-to-end"]:
        sys.path.insert(0, args[2])
        print(json.dumps(end_to_end(int(args[1]))))
        return
    runs = int(args[0]) if args and args[0].isdigit() else 30
    trees = [("this tree", str(ROOT))]
    if "--baseline" in args:
        trees.append(("baseline", args[args.index("--baseline") + 1]))
    for label, tree in trees:
        env = {**os.environ, "PYTHONPATH": tree}
        out = subprocess.run([sys.executable, __file__, "--end-to-end", str(runs), tree], env=env,
                             capture_output=True, text=True, check=True, cwd="/")
        result = json.loads(out.stdout)
        print(f"{label}: {runs} runs, noop harness, {SUBMISSION.name}")
        print(f"  wall per run (median)         {result['wall_ms']:7.1f} ms")
        print(f"  grader CPU per run            {result['grader_cpu_ms']:7.1f} ms")
        print(f"  run processes' CPU per run    {result['run_cpu_ms']:7.1f} ms")
        for step, ms in result["steps_ms"].items():
            print(f"    {step:<26} {ms:7.2f} ms (wall, median)")
        print(f"  protections: {', '.join(result['protections'])}")
    sys.path.insert(0, str(ROOT))
    print(f"each mechanism alone, {runs} times:")
    for name, figures in mechanisms(runs).items():
        print(f"  {name:<28} wall {figures['wall_ms']:6.2f} ms   CPU {figures['cpu_ms']:6.2f} ms")


if __name__ == "__main__":
    main()
