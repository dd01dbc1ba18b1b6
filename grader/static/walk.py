"""Walk a function's own body once: the nodes every rule asks about, filtered by kind."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import libcst as cst

from grader.static.node_kinds import is_kind


def own_nodes(root: cst.CSTNode, kind: type[cst.CSTNode] | tuple[type[cst.CSTNode], ...]) -> Iterator[Any]:
    """Nodes of ``kind`` under ``root``, not inside nested ``def``s, lambdas or classes.

    Code in a nested function or lambda runs only when (and where) it is called: passed to
    ``run_in_threadpool`` it runs off the loop, so it is not the enclosing function's call.
    """
    with _own_lock:
        cached = _own_cache.get(id(root))
    if cached is None or cached[0] is not root:
        collector = _OwnNodeCollector(root)
        root.visit(collector)
        cached = (root, tuple(collector.found), {})
        with _own_lock:
            if len(_own_cache) >= _OWN_CACHE_MAX:
                _own_cache.clear()
            _own_cache[id(root)] = cached
    by_kind = cached[2]
    found = by_kind.get(kind)
    if found is None:
        # the same nodes in the same order as filtering on every call; kept per kind
        found = by_kind[kind] = tuple(node for node in cached[1] if is_kind(node, kind))
    return iter(found)


# Every rule asks for the own nodes of the same function bodies (calls, withs, awaits...):
# walk each body once and filter by kind (the walk was most of the rules' time). libcst
# nodes take no weak references, so entries keep their root alive (its id cannot be
# reused while cached) and the cache is emptied when full; the lock because batch
# workers analyse several submissions at once in threads.
_OWN_CACHE_MAX = 2048
_own_cache: dict[int, tuple[cst.CSTNode, tuple[cst.CSTNode, ...], dict[Any, tuple[cst.CSTNode, ...]]]] = {}
_own_lock = threading.Lock()


def _reset_after_fork() -> None:
    # A forked parse (``safe_parse``) must not inherit the lock held by another thread.
    global _own_lock
    _own_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


_NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


class _OwnNodeCollector(cst.CSTVisitor):
    # One visitor pass: much cheaper than walking ``node.children``, which libcst computes
    # with a fresh visitor on every access.
    def __init__(self, root: cst.CSTNode) -> None:
        super().__init__()
        self.root = root
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.found.append(node)
        return node is self.root or not is_kind(node, _NESTED_SCOPES)
