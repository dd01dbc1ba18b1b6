"""``grader lint`` over many files in worker processes, with the serial run's exact result.

Files are cut into contiguous slices, one task each; a worker parses the files of its
slice and runs every rule over them. Rules may follow a task into another module of the
same submission (``ProjectIndex``), so each worker sees the whole submission through a
:class:`LazyProjectIndex`: another slice's module is parsed in that worker only when a
rule asks for it, and the index answers exactly as the serial one (only modules that
parse, the last file of a module name wins, modules in the order they were added).

The result is merged in slice order: parse errors in file order, then rule errors in
module order, findings sorted, as ``lint_sources`` gives them. Workers are forked
(they inherit the loaded rules and the sources); where fork is not available, or for
few files, the lint runs in this process. A worker that dies (a crash the parse layer did not
contain, the kernel's OOM killer) costs its slice a retry in a process of its own, then one
error per file of that slice: never the other slices' findings, never a hang.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from grader.model import Finding
from grader.static.project import ProjectIndex
from grader.static.safe_parse import stop_parser_thread
from grader.static.settings import DEFAULT_SETTINGS, StaticSettings

if TYPE_CHECKING:
    from grader.static.analysis import ModuleAnalysis
    from grader.static.engine import LintResult, ParseOutcome
    from grader.static.rule import Rule

# Below this many files per worker the pool's start-up (fork, result pickling: ~30 ms)
# costs more than a worker saves (~10 ms per file).
MIN_FILES_PER_WORKER = 16
# Slices per worker: a worker that finishes early takes the next slice.
SLICES_PER_WORKER = 4
_GC_TUNING: tuple[int, int, int] | None = (20_000, 20, 100)


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(files: int, jobs: int) -> int:
    """Workers for ``files`` files: ``jobs`` (0: one per CPU), fewer for few files."""
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = available_cpus() if jobs <= 0 else jobs
    return max(1, min(wanted, files // MIN_FILES_PER_WORKER))


class _LazyModules(Mapping[str, "ModuleAnalysis"]):
    """Module name -> analysis over every file, parsing a file on first need."""

    def __init__(self, index: LazyProjectIndex) -> None:
        self._index = index

    def __getitem__(self, name: str) -> ModuleAnalysis:
        # the serial index keeps the last file of a name that parsed
        for position in reversed(self._index.positions_by_name.get(name, ())):
            analysis = self._index.analysis_at(position)
            if analysis is not None:
                return analysis
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        # the serial index orders names by the first file of the name that parsed
        seen: set[str] = set()
        for position, name in enumerate(self._index.names):
            if name in seen:
                continue
            if self._index.analysis_at(position) is not None:
                seen.add(name)
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return any(True for _ in self)


class LazyProjectIndex(ProjectIndex):
    """A ``ProjectIndex`` over all of a submission's files, parsed as rules reach them."""

    def __init__(self, sources: list[tuple[str, bytes]], settings: StaticSettings = DEFAULT_SETTINGS) -> None:
        from grader.static.analysis import module_name_of

        super().__init__(settings)
        self.sources = sources
        self.names = [module_name_of(path) for path, _ in sources]
        self.positions_by_name: dict[str, list[int]] = {}
        for position, name in enumerate(self.names):
            self.positions_by_name.setdefault(name, []).append(position)
        self.outcomes: dict[int, ParseOutcome] = {}
        self.modules = _LazyModules(self)  # type: ignore[assignment]

    def outcome_at(self, position: int) -> ParseOutcome:
        from grader.static.engine import parse_one

        outcome = self.outcomes.get(position)
        if outcome is None:
            path, data = self.sources[position]
            outcome = self.outcomes[position] = parse_one(path, data, self)
        return outcome

    def analysis_at(self, position: int) -> ModuleAnalysis | None:
        return self.outcome_at(position).analysis

    def has_module(self, name: str) -> bool:
        return name in self.positions_by_name

    def add(self, analysis: ModuleAnalysis) -> None:  # pragma: no cover - modules come from sources
        raise TypeError("a LazyProjectIndex holds its sources' modules only")


@dataclass
class SliceResult:
    errors: list[str] = field(default_factory=list)  # parse errors, in file order
    too_large: list[str] = field(default_factory=list)
    rule_errors: list[str] = field(default_factory=list)  # in module order
    findings: set[Finding] = field(default_factory=set)


# Set in the parent just before forking; each worker builds its index on first use.
_sources: list[tuple[str, bytes]] = []
_rules: list[type[Rule]] | None = None
_settings: StaticSettings = DEFAULT_SETTINGS
_index: LazyProjectIndex | None = None


def _lint_slice(bounds: tuple[int, int]) -> SliceResult:
    from grader.static.engine import check_module, rule_instances

    global _index
    if _index is None:
        _index = LazyProjectIndex(_sources, _settings)
        if _GC_TUNING:
            # A short-lived worker that keeps every module it parsed: full collections
            # rescanning them (and what it inherited from the parent) were ~10% of its time.
            gc.freeze()
            gc.set_threshold(*_GC_TUNING)
    result = SliceResult()
    modules = []
    for position in range(*bounds):
        outcome = _index.outcome_at(position)
        if outcome.error is not None:
            result.errors.append(outcome.error)
        if outcome.too_large:
            result.too_large.append(_sources[position][0])
        if outcome.analysis is not None:
            modules.append(outcome.analysis)
    instances = rule_instances(_rules)
    for analysis in modules:
        check_module(analysis, instances, result.findings, result.rule_errors)
    return result


# Imports the rules and fills the per-class caches (field orders, visitor plans, node
# kinds) once in the parent, so the forked workers inherit them instead of each
# building its own.
_WARM_UP_SOURCE = b"""\
import time
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    data = await file.read()
    with open(f"uploads/{file.filename}", "wb") as out:
        out.write(data)
    tasks.add_task(process, file.filename, size=len(data))
    return {"ok": True, "items": [x for x in range(3) if x], "map": {"a": -1}}

def process(name: str) -> None:
    try:
        time.sleep(1)
    except Exception as exc:
        print(exc)
"""


def _result_or_alone(future: Future[SliceResult], bounds: tuple[int, int], context: Any) -> SliceResult:
    """The slice's result; if a worker died (every unfinished slice fails with it), the
    slice again in a process of its own, and if that dies too, one error per file: the
    other slices keep their findings."""
    try:
        return future.result()
    except BrokenProcessPool:
        pass
    try:
        with ProcessPoolExecutor(1, mp_context=context) as alone:
            return alone.submit(_lint_slice, bounds).result()
    except BrokenProcessPool:
        paths = [path for path, _ in _sources[bounds[0] : bounds[1]]]
        return SliceResult(errors=[f"{path}: could not be analysed (the analysis process died)" for path in paths])


def _warm_up(rules: list[type[Rule]] | None) -> None:
    from grader.static.engine import lint_sources

    lint_sources([("warm_up.py", _WARM_UP_SOURCE)], rules)


def _slices(count: int, pieces: int) -> list[tuple[int, int]]:
    size, extra = divmod(count, pieces)
    bounds, start = [], 0
    for piece in range(pieces):
        end = start + size + (1 if piece < extra else 0)
        if end > start:
            bounds.append((start, end))
        start = end
    return bounds


def lint_in_parallel(
    sources: list[tuple[str, bytes]],
    rules: Iterable[type[Rule]] | None,
    workers: int,
    settings: StaticSettings = DEFAULT_SETTINGS,
) -> LintResult:
    """``lint_sources(sources, rules, settings)``'s findings and errors, from ``workers`` processes."""
    from grader.static.engine import LintResult

    global _sources, _rules, _settings, _index
    _sources, _rules, _settings, _index = sources, list(rules) if rules is not None else None, settings, None
    _warm_up(_rules)
    stop_parser_thread()  # fork a single-threaded process: each worker starts its own
    context = multiprocessing.get_context("fork")
    slices = _slices(len(sources), workers * SLICES_PER_WORKER)
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as executor:
            futures = [executor.submit(_lint_slice, bounds) for bounds in slices]
            parts = [_result_or_alone(future, bounds, context) for future, bounds in zip(futures, slices)]
    finally:
        _sources, _rules, _settings, _index = [], None, DEFAULT_SETTINGS, None
    result = LintResult()
    findings: set[Finding] = set()
    for part in parts:
        result.errors.extend(part.errors)
        result.too_large.extend(part.too_large)
        findings |= part.findings
    for part in parts:
        result.errors.extend(part.rule_errors)
    result.findings = sorted(findings)
    return result
