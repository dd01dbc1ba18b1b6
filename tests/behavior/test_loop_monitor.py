"""LoopMonitor: a stall of the event loop is measured the same way by timing the loop's
iterations (the default) and by the heartbeat fallback (a loop without a selector
object, e.g. uvloop). Margins are wide: a ``time.sleep(0.3)`` lasts at least 0.3 s, and
the upper bounds only have to stay under the next case's."""

from __future__ import annotations

import asyncio
import time

import pytest

from grader.behavior.harness.loop_monitor import LoopMonitor


def _start(force_heartbeat: bool) -> LoopMonitor:
    loop = asyncio.get_running_loop()
    monitor = LoopMonitor()
    if force_heartbeat:
        selector = loop._selector  # type: ignore[attr-defined]
        del loop._selector  # type: ignore[attr-defined]
        try:
            monitor.start()
        finally:
            loop._selector = selector  # type: ignore[attr-defined]
    else:
        monitor.start()
    return monitor


async def _stall_in_window(monitor: LoopMonitor, seconds: float, grader_busy: bool = False) -> float:
    await asyncio.sleep(0.02)  # the previous window's last iteration is over
    window = monitor.open_window()
    await asyncio.sleep(0.01)
    begun = time.perf_counter()
    if seconds:
        time.sleep(seconds)  # what a student's blocking call in async code does
    if grader_busy:
        monitor.add_busy(time.perf_counter() - begun)
    await asyncio.sleep(0.01)
    return monitor.close_window(window)


@pytest.mark.parametrize("force_heartbeat", [False, True], ids=["iterations", "heartbeat"])
def test_stalls_are_measured_and_the_graders_own_work_is_not(force_heartbeat: bool) -> None:
    async def scenario() -> dict[str, float]:
        monitor = _start(force_heartbeat)
        try:
            return {
                "none": await _stall_in_window(monitor, 0.0),
                "short": await _stall_in_window(monitor, 0.1),
                "long": await _stall_in_window(monitor, 0.3),
                "grader": await _stall_in_window(monitor, 0.3, grader_busy=True),
            }
        finally:
            monitor.stop()

    gaps = asyncio.run(scenario())
    tolerance = 0.01 if force_heartbeat else 0.0  # the heartbeat may see a stall up to one tick late
    assert gaps["none"] < 0.08
    assert 0.1 - tolerance <= gaps["short"] < 0.28
    assert 0.3 - tolerance <= gaps["long"] < 1.5
    assert gaps["grader"] < 0.08


def test_a_stall_just_before_the_window_closes_counts() -> None:
    async def scenario() -> float:
        monitor = _start(False)
        try:
            window = monitor.open_window()
            await asyncio.sleep(0.01)
            time.sleep(0.3)
            return monitor.close_window(window)
        finally:
            monitor.stop()

    assert asyncio.run(scenario()) >= 0.3


def test_timing_iterations_leaves_the_selector_as_it_was_and_keeps_an_idle_loop_asleep() -> None:
    async def scenario() -> tuple[bool, bool, int]:
        selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
        monitor = LoopMonitor()
        iterations = 0
        tick = monitor._tick

        def counting_tick() -> None:
            nonlocal iterations
            iterations += 1
            tick()

        monitor._tick = counting_tick  # type: ignore[method-assign]
        monitor.start()
        wrapped = "select" in vars(selector)
        await asyncio.sleep(0.5)
        monitor.stop()
        return wrapped, "select" not in vars(selector) and not monitor.running, iterations

    wrapped, restored, iterations = asyncio.run(scenario())
    assert wrapped and restored
    # The heartbeat woke the loop every 5 ms (~100 times in 0.5 s, 8-31 ms of CPU a
    # second); an idle loop with timed iterations sleeps through.
    assert iterations < 10
