"""The app's own loop-stall figure (advisory): what is subtracted from a stall, once each.

A stall is the time between leaving the selector and entering it again, minus the
grader's held sends, minus the loop thread's run-queue delay. The wake-up after a held
send waits on the run queue too: that wait is inside the held time already. Subtracting
it twice hid a 0.3 s ``time.sleep`` (measured 218 ms) in a loaded batch.
"""

from __future__ import annotations

import asyncio
import time

from grader.behavior.student.loop_monitor import LoopMonitor


class _FakeClock:
    """Run-queue delay the test decides (the kernel's schedstat, by hand)."""

    def __init__(self) -> None:
        self.delay = 0.0


def _monitor(clock: _FakeClock) -> LoopMonitor:
    monitor = LoopMonitor()
    monitor._sched_fd = 0  # anything not None: run_delay is replaced below
    monitor.run_delay = lambda: clock.delay  # type: ignore[method-assign]
    monitor._reset(time.perf_counter())
    return monitor


def _stall_of(monitor: LoopMonitor, clock: _FakeClock, *, sleep_s: float, held_s: float, queued_in_held_s: float,
              queued_elsewhere_s: float) -> float:
    window = monitor.open_window()
    # A held send: the grader's time, part of it waiting for a CPU after the wake-up.
    with monitor.grader_time():
        time.sleep(held_s)
        clock.delay += queued_in_held_s
    # The app's own blocking call, then a wait for a CPU that is the machine's, not the app's.
    time.sleep(sleep_s + queued_elsewhere_s)
    clock.delay += queued_elsewhere_s
    return monitor.close_window(window)


def test_a_held_sends_queue_wait_is_not_subtracted_twice() -> None:
    clock = _FakeClock()
    monitor = _monitor(clock)
    stall = _stall_of(monitor, clock, sleep_s=0.3, held_s=0.12, queued_in_held_s=0.08, queued_elsewhere_s=0.05)
    assert 0.29 <= stall < 0.6  # a loaded machine may oversleep, never undersleep


def test_without_held_sends_the_queue_wait_is_subtracted() -> None:
    clock = _FakeClock()
    monitor = _monitor(clock)
    stall = _stall_of(monitor, clock, sleep_s=0.3, held_s=0.0, queued_in_held_s=0.0, queued_elsewhere_s=0.1)
    assert 0.29 <= stall < 0.6  # a loaded machine may oversleep, never undersleep


def test_a_free_loop_measures_no_stall() -> None:
    async def idle() -> float:
        monitor = LoopMonitor()
        monitor.start()
        try:
            window = monitor.open_window()
            for _ in range(20):
                await asyncio.sleep(0.005)
            return monitor.close_window(window)
        finally:
            monitor.stop()

    assert asyncio.run(idle()) < 0.05
