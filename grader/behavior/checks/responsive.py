"""``loop-responsive``: the parent times small requests to the server while the primary
upload and its tasks run; the app's own measure of its loop may only take the pass away."""

from __future__ import annotations

from grader.behavior.checks.context import CheckContext, check, verdict
from grader.behavior.checks.core import primary_run
from grader.behavior.observer.loop_probe import PROBE_LIMIT_S, STALL_LIMIT_S
from grader.behavior.outcome import Verdict


@check("loop-responsive", requires=("upload-accepted",))
async def loop_responsive(ctx: CheckContext) -> Verdict:
    """While an upload and its tasks run, the grader's small requests to your server are answered within 250 ms (time spent waiting for a busy CPU is not counted): a blocking call (time.sleep, blocking I/O) in async code freezes every other request."""
    probes = ctx.loop_probes
    worst = probes.worst() if probes is not None else None
    if worst is None:
        return Verdict("loop-responsive", "error",
                       "The grader could not time your server: no probe request got through.")
    reported = (primary_run(ctx).advisory or {}).get("max_loop_gap_ms")
    in_app = float(reported) / 1000 if isinstance(reported, (int, float)) and reported >= 0 else None
    measured = (f"{len(probes.probes)} probe requests while the upload ran; slowest answered in "
                f"{worst.latency_s * 1000:.0f} ms ({worst.cpu_wait_s * 1000:.0f} ms of it your server waiting for a "
                f"CPU, {worst.grader_late_s * 1000:.0f} ms the grader's own delay), limit {STALL_LIMIT_S * 1000:.0f} ms"
                + (f"; longest event-loop stall your app reports: {in_app * 1000:.0f} ms" if in_app is not None else ""))
    # The parent's probes decide a pass, with a margin for a busy machine; the app's own
    # measurement of its loop is exact, and may only take the pass away.
    limit = STALL_LIMIT_S if in_app is None else PROBE_LIMIT_S
    stall = max(worst.stall_s if worst.stall_s > limit else 0.0, in_app if in_app and in_app > STALL_LIMIT_S else 0.0)
    if not stall:
        return verdict("loop-responsive", True, "Your server stayed responsive while the upload ran.",
                       measured=measured)
    return verdict(
        "loop-responsive", False,
        f"Your server's event loop was blocked for {stall * 1000:.0f} ms while the upload or its task ran: "
        "every other client waited.",
        sent=ctx.sent(primary_run(ctx).payload), received=primary_run(ctx).exchange.received(), measured=measured,
        fix=("In `async def` code, use `await asyncio.sleep()` instead of `time.sleep()`, and move blocking "
             "work off the event loop (`await run_in_threadpool(fn, ...)`), or declare the endpoint or "
             "task with plain `def` so Starlette runs it in a worker thread."),
    )
