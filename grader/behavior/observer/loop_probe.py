"""Time the app's event loop from outside: small requests sent while an upload runs.

A request to a path the app does not have (it answers 404 through routing alone) is
answered at once by an app whose event loop is free. One sent while the loop is blocked
(``time.sleep`` or blocking I/O in ``async def`` code) waits for the block to end. The
parent sends such probes one after the other for as long as the upload and its tasks
run, and times each on its own clock: sent -> the answer about to leave the server (the
held send) or, without a send trap, -> received.

A busy machine delays answers too. The kernel counts how long the app's event-loop
thread waited on a run queue for a CPU (``/proc/<tid>/schedstat``); that wait is not the
app's doing and is subtracted. The thread is the one the kernel names as the sender of
the probes' answers. The parent can be late too (a busy grader process): every send of
the app waits for the parent's send trap, so the parent's own lateness, measured by a
heartbeat on its loop while the probes run, is subtracted as well.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

from grader.behavior import linux
from grader.behavior.observer.client import HttpExchange
from grader.behavior.observer.witness import Witness

PROBE_INTERVAL_S = 0.05
STALL_LIMIT_S = 0.25
# The parent's probes alone fail a check past this: on a loaded machine they carry noise
# that the app's own (exact, advisory) measurement does not.
PROBE_LIMIT_S = 1.0
MAX_PROBES = 400


HEARTBEAT_S = 0.01


@dataclass(frozen=True)
class Probe:
    sent_ms: float  # after the observed request started
    latency_s: float
    cpu_wait_s: float  # the loop thread's run-queue wait during the probe (kernel)
    grader_late_s: float = 0.0  # the parent's own lateness while the probe was out

    @property
    def stall_s(self) -> float:
        return max(0.0, self.latency_s - self.cpu_wait_s - self.grader_late_s)


@dataclass
class LoopProbes:
    witness: Witness
    probes: list[Probe] = field(default_factory=list)
    loop_thread: int | None = None
    # (instant, how late the parent's heartbeat woke) while probing
    lateness: list[tuple[float, float]] = field(default_factory=list)
    _path: str = field(default_factory=lambda: f"/__grader_probe_{os.urandom(6).hex()}")

    def worst(self) -> Probe | None:
        return max(self.probes, key=lambda p: p.stall_s, default=None)

    async def one(self, origin: float, budget: float) -> Probe | None:
        """Send one probe; None if it could not be sent at all."""
        client = self.witness.client
        connection = client.new_connection_number()
        marks: dict[str, float] = {}

        def at_sent(exchange: HttpExchange) -> None:
            marks["sent"] = time.monotonic()
            wait = self._run_queue_wait()
            if wait is not None:
                marks["wait0"] = wait

        def at_answer() -> None:
            marks.setdefault("answer", time.monotonic())
            wait = self._run_queue_wait()
            if wait is not None:
                marks.setdefault("wait1", wait)

        self.witness.hold_on_send(connection, at_answer)
        try:
            exchange = await client.request("probe", "GET", self._path, budget, connection=connection,
                                            on_sent=at_sent)
        finally:
            self.witness.release_hold(connection)
        if self.loop_thread is None:
            senders = [m.thread for m in self.witness.marks_for(connection)]
            if senders:
                self.loop_thread = senders[0]
        sent = marks.get("sent", exchange.sent or exchange.started)
        answered = marks.get("answer") or exchange.done or exchange.head
        if answered is None:
            answered = time.monotonic()  # no answer within the budget: it waited all along
        return Probe(round((sent - origin) * 1000, 1), max(0.0, answered - sent),
                     _queued_s(marks.get("wait0"), marks.get("wait1")), self._late_between(sent, answered))

    def _late_between(self, start: float, end: float) -> float:
        """The parent's own worst lateness while a probe was out."""
        return max((lag for at, lag in self.lateness if start <= at <= end + HEARTBEAT_S + lag), default=0.0)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            begun = time.monotonic()
            await asyncio.sleep(HEARTBEAT_S)
            now = time.monotonic()
            self.lateness.append((now, max(0.0, now - begun - HEARTBEAT_S)))

    def _run_queue_wait(self) -> float | None:
        if self.loop_thread is None:
            return None
        figures = linux.schedstat(self.loop_thread)
        return None if figures is None else float(figures[1])

    async def during(self, origin: float, stop: asyncio.Event, budget: float) -> None:
        """Probe until ``stop`` is set (the upload's tasks ended) or the budget runs out."""
        beat = asyncio.ensure_future(self._heartbeat(stop))
        try:
            await self._probe_until(origin, stop, budget)
        finally:
            beat.cancel()

    async def _probe_until(self, origin: float, stop: asyncio.Event, budget: float) -> None:
        until = time.monotonic() + budget
        while not stop.is_set() and time.monotonic() < until and len(self.probes) < MAX_PROBES:
            begun = time.monotonic()
            queued_before = self._run_queue_wait()
            pending = asyncio.ensure_future(self.one(origin, until - begun))
            while not pending.done():
                await asyncio.wait({pending}, timeout=PROBE_INTERVAL_S)
                # Once the upload is over, a probe still waiting past twice the limit has
                # shown a stall: no need to wait for its end. What is not the app's (its
                # wait for a CPU, the parent's own lateness) is subtracted as for any probe.
                if not pending.done() and stop.is_set() and time.monotonic() - begun > 2 * STALL_LIMIT_S:
                    pending.cancel()
                    now = time.monotonic()
                    self.probes.append(Probe(round((begun - origin) * 1000, 1), now - begun,
                                             _queued_s(queued_before, self._run_queue_wait()),
                                             self._late_between(begun, now)))
                    return
            probe = pending.result()
            if probe is not None:
                self.probes.append(probe)
            try:
                await asyncio.wait_for(stop.wait(), PROBE_INTERVAL_S)
            except asyncio.TimeoutError:
                pass


def _queued_s(before_ns: float | None, after_ns: float | None) -> float:
    """Seconds the app's loop thread waited for a CPU between two schedstat readings (0: unknown)."""
    if before_ns is None or after_ns is None:
        return 0.0
    return max(0.0, (after_ns - before_ns) / 1e9)
