"""The order a batch grades its submissions in: names, with the likely slow ones spread early.

A submission whose ``async def`` code calls ``time.sleep`` stalls its event loop: every
upload of its behavior run waits for the one before, so its run takes several seconds
(4-9 s for the samples that do it) instead of under one. Started last, such runs leave
the cores idle at the end of a batch while they finish (measured: ~10 s at 7-27 % CPU
out of 82 s for 1,000 submissions). Spread over the first 85 % of the queue, they
overlap the work of the others (74 s, CPU busy to the end; spread over the first two
thirds they crowd the slots early: 76 s). The order changes no grade, only when each
one is graded.

The guess is cheap and may be wrong either way (a wrong guess costs time, never a
grade): a text search, then an ``ast`` parse only of modules that mention both
``async`` and ``sleep``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from grader.discovery.submission import iter_files

T = TypeVar("T")

EARLY_SHARE = 0.85  # likely slow submissions are placed within this first part of the queue
_MAX_FILES = 50
_MAX_BYTES = 1 << 20


def spread_slow_early(items: Sequence[T], is_slow: Callable[[T], bool]) -> list[T]:
    """``items`` in their order, except the slow ones, placed at even intervals in the
    first EARLY_SHARE of the list (their own order kept)."""
    flags = [is_slow(item) for item in items]
    slow = [item for item, flag in zip(items, flags, strict=True) if flag]
    if not slow:
        return list(items)
    rest = iter([item for item, flag in zip(items, flags, strict=True) if not flag])
    # step >= 1, so the slots are distinct positions within the first `span` ones.
    span = max(len(slow), int(len(items) * EARLY_SHARE))
    step = span / len(slow)
    slots = {int(i * step) for i in range(len(slow))}
    early = iter(slow)
    return [next(early) if position in slots else next(rest) for position in range(len(items))]


def likely_slow(path: Path) -> bool:
    """Does a submission (folder or ``.py``) call ``time.sleep`` inside ``async def`` code?"""
    try:
        if path.is_file():
            modules = [path] if path.suffix == ".py" else []
        else:
            modules = _python_files(path)
        return any(_blocks_in_async(module) for module in modules)
    except OSError:
        return False


def _python_files(root: Path) -> list[Path]:
    # The grader's own file discovery: the same tool folders skipped as when grading.
    return [path for path in iter_files(root) if path.suffix == ".py"][:_MAX_FILES]


def _blocks_in_async(module: Path) -> bool:
    if module.stat().st_size > _MAX_BYTES:
        return False
    source = module.read_bytes()
    if b"async" not in source or b"sleep" not in source:
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    sleep_names = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   and node.module == "time" for alias in node.names if alias.name == "sleep"}
    return any(_calls_time_sleep(node, sleep_names) for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef))


def _calls_time_sleep(function: ast.AsyncFunctionDef, sleep_names: set[str]) -> bool:
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue  # its own code, run (or not) elsewhere
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "sleep" and isinstance(func.value, ast.Name) \
                    and func.value.id == "time":
                return True
            if isinstance(func, ast.Name) and func.id in sleep_names:
                return True
        pending.extend(ast.iter_child_nodes(node))
    return False
