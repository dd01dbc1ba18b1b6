"""What the behavior checks share: the driver, the work area, the run's budget and results.

Also the registry the ``@check`` decorator fills, and small helpers to build verdicts
whose details say what was sent, what came back, what was measured and what to change.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.behavior.student.app_discovery import FoundApp
from grader.behavior.harness.asgi_driver import SMALL_FILE, AsgiDriver, Exchange
from grader.behavior.catalog import CHECKS
from grader.behavior.outcome import Verdict
from grader.behavior.harness.payloads import Payload
from grader.behavior.harness.workarea import FileState, WorkArea

# Below this many seconds left, a check is not started (reported, not guessed).
MIN_BUDGET_S = 0.5


class BudgetExhausted(Exception):
    """The run's time limit leaves no time for this check."""


@dataclass
class UploadRun:
    """One upload and the work area around it."""

    payload: Payload
    exchange: Exchange
    before: dict[str, FileState]
    after: dict[str, FileState]


@dataclass
class CheckContext:
    driver: AsgiDriver
    area: WorkArea
    found: FoundApp
    nonce: str
    deadline: float  # perf_counter() instant after which no check starts
    exchange_budget_s: float
    sandbox_root: Path
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    primary: UploadRun | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)
    # Which checks ran together, and which of them ran again alone (harness.run.OVERLAPPED).
    overlap: dict[str, list[str]] = field(default_factory=dict)

    def budget(self) -> float:
        left = self.deadline - time.perf_counter()
        if left < MIN_BUDGET_S:
            raise BudgetExhausted()
        return min(self.exchange_budget_s, left)

    def route_text(self) -> str:
        return f"POST {self.found.route.path}"

    async def upload(self, label: str, payload: Payload, probe: bool = False) -> UploadRun:
        """Upload ``payload`` under the route's field; snapshot before, at response (probe) and after."""
        sizes = frozenset({payload.size})
        before = self.area.snapshot()
        field = self.found.route.field
        streamed = len(payload.parts) > 1
        exchange = await self.driver.post(
            label,
            self.found.route.path,
            self.budget(),
            files=None if streamed else {field: (payload.filename, payload.data, payload.content_type)},
            filename=payload.filename,
            sha256=payload.sha256,
            probe_sizes=sizes if probe else None,
            file_parts=(field, payload.filename, payload.content_type, payload.parts) if streamed else None,
        )
        after = self.area.snapshot(sizes, hash_small=SMALL_FILE if probe else 0, expected=(payload,))
        return UploadRun(payload, exchange, before, after)

    def sent(self, payload: Payload) -> str:
        return f"{self.route_text()}, multipart field `{self.found.route.field}`: {payload.describe()}"


CheckFn = Callable[[CheckContext], Awaitable[Verdict]]
REGISTRY: dict[str, CheckFn] = {}
REQUIRES: dict[str, tuple[str, ...]] = {}


def check(check_id: str, requires: tuple[str, ...] = ()) -> Callable[[CheckFn], CheckFn]:
    """Register a check (check50 style): its docstring is the student-facing description."""
    if check_id not in CHECKS:
        raise ValueError(f"unknown behavior check id {check_id!r}")

    def register(fn: CheckFn) -> CheckFn:
        REGISTRY[check_id] = fn
        REQUIRES[check_id] = requires
        return fn

    return register


def verdict(check_id: str, ok: bool, feedback: str, **details: Any) -> Verdict:
    clean = {key: value for key, value in details.items() if value not in (None, "", [], {})}
    return Verdict(check_id, "passed" if ok else "failed", feedback, clean)


def is_2xx(exchange: Exchange) -> bool:
    return exchange.status is not None and 200 <= exchange.status < 300


def is_4xx(exchange: Exchange) -> bool:
    return exchange.status is not None and 400 <= exchange.status < 500
