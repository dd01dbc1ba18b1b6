"""What the behavior checks share, and how an upload is sent and observed (trusted side).

The checks run in the parent. :meth:`CheckContext.upload` sends one upload with bytes
drawn at send time, watches the disk while the app answers and runs its tasks, and
returns an :class:`UploadObservation`: the parent's own record of that upload. The
registry the ``@check`` decorator fills lives here too, with the helpers that build
verdicts whose details say what was sent, what came back, what was measured and what
to change.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from grader.behavior.catalog import CHECKS
from grader.behavior.checks.evidence import Path2, UploadEvidence, reconstruct, shown
from grader.behavior.checks import diagnosis
from grader.behavior.observer import safe_fs
from grader.behavior.observer.client import HttpExchange
from grader.behavior.observer.disk_watch import WRITES, FOUND, FileEvent
from grader.behavior.observer.payloads import Payload
from grader.behavior.observer.witness import Witness
from grader.behavior.outcome import Verdict

# Below this many seconds left, a check is not started: its verdict says so.
MIN_BUDGET_S = 0.5
ADVISORY_MAX_BYTES = 256 * 1024


class BudgetExhausted(Exception):
    """The run's time limit leaves no time for this check."""


@dataclass(frozen=True)
class AppFacts:
    """What the child said about the app it serves (advisory, sanitised)."""

    name: str
    path: str
    field: str
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"POST {self.path}"


@dataclass
class UploadObservation:
    """One upload, as the parent saw it."""

    payload: Payload
    exchange: HttpExchange
    evidence: UploadEvidence
    events: list[FileEvent]
    response_position: int | None
    tasks_done: bool  # the app said its tasks for this request ended (advisory)
    advisory: dict[str, Any] | None  # the app's own record (tasks, errors): advisory
    final_sizes: dict[Path2, int] = field(default_factory=dict)
    created: list[Path2] = field(default_factory=list)  # new files after the tasks
    tasks_wait_s: float = 0.0  # how long after the request the tasks could run before the look

    def intact(self) -> list[str]:
        return sorted({shown(p) for p in self.evidence.copies + self.evidence.copies_at_response})


@dataclass
class CheckContext:
    witness: Witness
    app: AppFacts
    token: str
    deadline: float  # time.monotonic() instant after which no check starts
    exchange_budget_s: float
    large_upload_mb: float = 4.0
    fixture: str = "binary.bin"  # the primary upload's fixture
    fixture_base: str | None = None  # the rubric's folder, searched for the fixture first
    effect: dict[str, str] | None = None  # the rubric's declared processing effect
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    primary: UploadObservation | None = None
    loop_probes: Any = None  # observer.loop_probe.LoopProbes of the primary upload
    timings_ms: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # What the app reported raising, across every upload (advisory: explains, never scores).
    app_errors: list[dict[str, Any]] = field(default_factory=list)
    # Which checks ran together, and which of them ran again alone (observed_run.OVERLAPPED).
    overlap: dict[str, list[str]] = field(default_factory=dict)
    _labels: int = 0

    @property
    def stall_prone(self) -> bool:
        """The app blocks its event loop (loop-responsive failed): every upload waits for the
        blocking task of the one before, so checks send fewer uploads, and an upload left
        unanswered by a blocked server was not measured, not failed."""
        loop = self.verdicts.get("loop-responsive")
        return loop is not None and loop.status == "failed"

    @property
    def copies_at_response(self) -> bool:
        """The primary upload was saved before its response left: later uploads' copies are
        read while their responses are held, without waiting for their tasks."""
        saved = self.verdicts.get("saved-before-response")
        return saved is not None and saved.status == "passed"

    async def upload_for_copy(self, label: str, payload: Payload) -> UploadObservation:
        """An upload whose check looks for the saved copy (robustness checks)."""
        wait = not self.copies_at_response
        return await self.upload(label, payload, hold=True, wait_for_tasks=wait)

    def unanswered(self, check_id: str, exchanges: list[HttpExchange]) -> Verdict | None:
        """A timeout verdict when a blocked server left uploads of this check unanswered."""
        if not self.stall_prone or not any(e.timed_out or e.status is None for e in exchanges):
            return None
        return Verdict(check_id, "timeout",
                       f"Not measured: your server did not answer within {max(e.budget_s for e in exchanges):g} s, "
                       "because its event loop was blocked by the task of an earlier upload (see loop-responsive, "
                       "which costs the points for that).")

    def budget(self) -> float:
        left = self.deadline - time.monotonic()
        if left < MIN_BUDGET_S:
            raise BudgetExhausted()
        return min(self.exchange_budget_s, left)

    def route_text(self) -> str:
        return self.app.describe()

    def sent(self, payload: Payload) -> str:
        return f"{self.route_text()}, multipart field `{self.app.field}`: {payload.describe()}"

    def _tag(self, label: str) -> str:
        self._labels += 1
        return f"{label}-{self._labels}"

    async def post(self, label: str, budget: float, *, files: dict[str, tuple[str, bytes, str]] | None = None,
                   data: dict[str, str] | None = None) -> HttpExchange:
        """A request without disk observation (missing file, probes of status codes)."""
        return await self.witness.client.request(label, "POST", self.app.path, budget, files=files, data=data,
                                                 headers={"x-grader-exchange": self._tag(label)})

    async def upload(self, label: str, payload: Payload, *, hold: bool = False,
                     wait_for_tasks: bool = True, task_wait_s: float | None = None) -> UploadObservation:
        """Send ``payload``; observe the disk until the app's tasks for it are done.

        ``hold``: while each send of the response is held, record file sizes and read
        the files of the payload's size (the state of the disk at the response).
        ``task_wait_s``: how long the tasks may run, when longer than one exchange's budget.
        """
        witness = self.witness
        budget = self.budget()
        begun = time.monotonic()
        start = witness.position()
        connection = witness.client.new_connection_number()
        at_response: dict[str, Any] = {"sizes": {}, "copies": []}
        if hold:
            witness.hold_on_send(connection, lambda: self._look_at_response(start, payload, at_response))
        tag = self._tag(label)
        try:
            exchange = await witness.client.request(
                label, "POST", self.app.path, budget, connection=connection,
                files={self.app.field: (payload.filename, payload.data, payload.content_type)},
                headers={"x-grader-exchange": tag},
            )
        finally:
            witness.release_hold(connection)
        marks = witness.marks_for(connection)
        trapped = witness.trap is not None and witness.trap.broken is None
        exact = trapped and bool(marks)
        response_position = marks[-1].position if exact else (witness.position() if exchange.done else None)
        advisory: dict[str, Any] | None = None
        tasks_done = False
        limit = 0.0
        if wait_for_tasks and exchange.status is not None:
            limit = budget if task_wait_s is None else \
                max(budget, min(task_wait_s, self.deadline - begun - MIN_BUDGET_S))
            left = max(0.0, limit - (time.monotonic() - begun))
            advisory = await self._advisory(tag, left)
            tasks_done = bool(advisory and advisory.get("done") is True)
        if advisory is None and exchange.status is not None and exchange.status >= 500:
            # What the app says of a request it failed (its exception, for the feedback). A
            # 2xx/4xx upload not waited for costs no second exchange: its tasks have not
            # run yet, so the record would hold nothing the checks use.
            advisory = await self._advisory(tag, 0.0)
        for error in [(advisory or {}).get("app_error")] + [t.get("error") for t in (advisory or {}).get("tasks") or []
                                                             if isinstance(t, dict)]:
            if isinstance(error, dict):
                self.app_errors.append(error)
        end = witness.position()
        events = [e for e in witness.watch.events[start:end] if not witness.is_own(e)]
        observation = self._observe(payload, exchange, events, response_position, exact, at_response,
                                    tasks_done, advisory)
        # (When the parent cannot tell which request a send answers at all, the order falls
        # back to the parent's clock instead: that is the machine, not the app.)
        mapped = trapped and any(m.connection is not None for m in witness.trap.marks)  # type: ignore[union-attr]
        observation.evidence.bypassed = mapped and not marks and exchange.status is not None
        observation.tasks_wait_s = limit
        return observation

    def _look_at_response(self, start: int, payload: Payload, at_response: dict[str, Any]) -> None:
        """Runs while a send of the response is held: the disk as the response leaves."""
        witness = self.witness
        touched = {(e.root, e.path) for e in witness.watch.events[start:] if not e.is_dir
                   and (e.kind in WRITES or e.kind == FOUND)}
        sizes: dict[Path2, int] = {}
        copies: list[Path2] = []
        # A response leaves in several sends (head, body): a file whose inode, size and
        # times are those of the previous send's look is not read again.
        seen: dict[Path2, tuple[safe_fs.FileFacts, bool]] = at_response.setdefault("seen", {})
        for root, rel in sorted(touched):
            found = safe_fs.facts(witness.beneath(root), rel)
            if found is None:
                continue
            sizes[(root, rel)] = found.size
            earlier = seen.get((root, rel))
            if earlier is not None and earlier[0] == found:
                is_copy = earlier[1]
            else:
                is_copy = found.size == payload.size and witness.holds(root, rel, payload.data)
                seen[(root, rel)] = (found, is_copy)
            if is_copy:
                copies.append((root, rel))
        at_response["sizes"], at_response["copies"] = sizes, copies

    def _observe(self, payload: Payload, exchange: HttpExchange, events: list[FileEvent],
                 response_position: int | None, exact: bool, at_response: dict[str, Any],
                 tasks_done: bool, advisory: dict[str, Any] | None) -> UploadObservation:
        witness = self.witness
        touched = sorted({(e.root, e.path) for e in events if not e.is_dir})
        if witness.watch.incomplete:
            # Events were lost: look at every file the size of the payload too.
            for root in witness.roots:
                touched += [(root, rel) for rel, found in safe_fs.walk_files(witness.beneath(root))
                            if found.size == payload.size and (root, rel) not in touched]
        final_sizes: dict[Path2, int] = {}
        copies: list[Path2] = []
        failed: list[Path2] = []
        created: list[Path2] = []
        created_set = {(e.root, e.path) for e in events if not e.is_dir and e.kind in ("create", "moved-to", FOUND)}
        corruptions = diagnosis.Corruptions(payload.data)

        def look() -> None:
            for root, rel in touched:
                found = safe_fs.facts(witness.beneath(root), rel)
                if found is None:
                    continue
                final_sizes[(root, rel)] = found.size
                if (root, rel) in created_set:
                    created.append((root, rel))
                if found.size == payload.size and witness.holds(root, rel, payload.data):
                    copies.append((root, rel))
                elif corruptions.plausible_size(found.size):
                    data = witness.read(root, rel, found.size)
                    if data is not None and corruptions.explain(data) is not None:
                        failed.append((root, rel))

        witness.run_own(look)
        evidence = reconstruct(events, response_position, copies, at_response["copies"], at_response["sizes"],
                               final_sizes, failed, exact, witness.watch.incomplete)
        return UploadObservation(payload, exchange, evidence, events, response_position, tasks_done, advisory,
                                 final_sizes, created)

    async def _advisory(self, tag: str, wait: float) -> dict[str, Any] | None:
        """The app's own record of a request (advisory): its tasks, their errors, done or not."""
        path = f"/__grader__/{self.token}/exchange/{tag}?wait={wait:.3f}"
        reply = await self.witness.client.request("advisory", "GET", path, wait + 2.0,
                                                  keep_body=ADVISORY_MAX_BYTES)
        if reply.status != 200 or reply.done is None:
            return None
        try:
            data = json.loads(reply.body.decode("utf-8", "replace"))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


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


def is_2xx(exchange: HttpExchange) -> bool:
    return exchange.status is not None and 200 <= exchange.status < 300


def is_4xx(exchange: HttpExchange) -> bool:
    return exchange.status is not None and 400 <= exchange.status < 500

