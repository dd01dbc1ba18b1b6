"""Per-submission cost of the sandbox: warm fork server vs a fresh interpreter per run.

    python bench/sandbox_modes.py [N]

Runs N sequential sandboxed runs of sample_submissions/save_then_process in each mode, first with
a harness that only imports the app (the process machinery's own cost), then with the
real harness (all behavior checks). Prints medians and p90 in milliseconds, and checks
that both modes give the same verdicts.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.behavior.sandbox import launcher  # noqa: E402
from grader.behavior.runner import interpret  # noqa: E402
from grader.behavior.sandbox.supervisor import DEFAULT_HARNESS, Sandbox, SandboxLimits  # noqa: E402

SUBMISSION = ROOT / "sample_submissions" / "save_then_process"
NOOP = f"{ROOT / 'bench' / 'noop_harness.py'}:run_harness"


def measure(mode: str, harness: str, runs: int) -> tuple[list[float], dict]:
    times = []
    verdicts: dict = {}
    for _ in range(runs):
        started = time.perf_counter()
        with Sandbox(SUBMISSION, harness=harness, mode=mode) as box:
            res = box.run({"timeout": 30}, SandboxLimits(timeout=30))
        times.append((time.perf_counter() - started) * 1000)
        verdicts = {k: v.status for k, v in interpret(res, SandboxLimits()).verdicts.items()}
    return times, verdicts


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered):7.1f} ms   p90 {p90:7.1f} ms"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    started = time.perf_counter()
    with Sandbox(SUBMISSION, harness=NOOP, mode="forkserver") as box:  # start + warm the server
        box.run({}, SandboxLimits())
    print(f"fork server start + preload + first run: {(time.perf_counter() - started) * 1000:.0f} ms "
          f"(preload {launcher.shared_server().info})")
    for label, harness in (("sandbox only (noop harness)", NOOP), ("full behavior run (real harness)", DEFAULT_HARNESS)):
        fork, fork_verdicts = measure("forkserver", harness, runs)
        fresh, fresh_verdicts = measure("fresh", harness, runs)
        print(f"{label}, {runs} runs each, {SUBMISSION.name}:")
        print(f"  fork server        {describe(fork)}")
        print(f"  fresh interpreter  {describe(fresh)}")
        saved = statistics.median(fresh) - statistics.median(fork)
        print(f"  saved per submission: {saved:.0f} ms; same verdicts: {fork_verdicts == fresh_verdicts}")
    launcher.shutdown()


if __name__ == "__main__":
    main()
