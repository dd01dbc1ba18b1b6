"""CPython's parser from many threads at once (a batch worker lints a dozen submissions
together): no spurious ``SystemError: AST constructor recursion depth mismatch``.

On CPython 3.11 the constructor's depth counter is per interpreter; a finalizer run by
the garbage collector mid-construction lets another thread build its own tree. This
scenario raised it once per run with the unlocked ``ast.parse`` and ``ast.literal_eval``
(3.11.7, measured); through the lock never.
"""

from __future__ import annotations

import ast
import gc
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from grader.static import python_ast

SOURCE = "def f(a):\n    return [a for a in range(3) if (a, (a, (a, [a])))]\n" * 400


class _YieldsOnCollection:
    def __init__(self) -> None:
        self.me = self  # a cycle: freed by the collector, which runs the finalizer

    def __del__(self) -> None:
        time.sleep(0)  # lets another thread run, mid-construction


def _errors_from_threads(parse_once: Callable[[int], None]) -> list[str]:
    """Run ``parse_once(index)`` 3 times in each of 40 jobs on 8 threads, with garbage that
    yields when collected; the SystemErrors raised."""
    errors: list[str] = []

    def work(index: int) -> None:
        for _ in range(3):
            junk = [_YieldsOnCollection() for _ in range(50)]
            del junk
            try:
                parse_once(index)
            except SystemError as exc:
                errors.append(str(exc))

    thresholds = gc.get_threshold()
    gc.set_threshold(50, 1, 1)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(work, range(40)))
    finally:
        gc.set_threshold(*thresholds)
    return errors


def test_parses_from_many_threads_never_trip_the_depth_check() -> None:
    def parse_once(_: int) -> None:
        assert len(python_ast.parse(SOURCE).body) == 400

    assert _errors_from_threads(parse_once) == []


def test_the_standard_library_parses_take_the_same_lock() -> None:
    """ast.literal_eval (libcst's evaluated_value) and traceback (3.11's caret anchors)
    call ast.parse: importing the module routes it through the lock."""
    assert ast.parse is python_ast.parse

    def parse_once(index: int) -> None:
        if index % 2:
            assert ast.literal_eval("[" + "(1, 'a'), " * 400 + "]")[0] == (1, "a")
        else:
            assert len(ast.parse(SOURCE).body) == 400

    assert _errors_from_threads(parse_once) == []
