"""Read-only libcst traversal without rebuilding the tree (a pure speed-up, same callbacks).

libcst walks a tree with ``CSTNode.visit``, which calls ``_visit_and_replace_children``:
it visits each child field in source order *and builds a new copy of the node* from the
results (a frozen dataclass, validated on construction), and around every field it asks
the visitor for ``visit_<Node>_<field>`` / ``leave_<Node>_<field>`` by formatting the
name and looking it up, though libcst's base class defines them all as no-ops. A
``CSTVisitor`` cannot change the tree, so the copy is thrown away.

Here a ``CSTVisitor`` is walked through each node's child fields in libcst's order
(``libcst_fields``) without building copies: the same ``on_visit``,
``on_visit_attribute``, ``on_leave_attribute`` and ``on_leave`` calls, in the same
order, on the same nodes, except calls that can only reach a no-op (a hook the visitor's
class does not define, or defines as libcst's marked no-op); ``visit`` returns the node
itself, as libcst does for a ``CSTVisitor``. Transformers, visitors that keep hooks on
the instance, and any node class whose field order is unknown keep libcst's own path.
``CSTNode.children`` uses the same field order. Measured on the samples (CPU per
module): an empty ``CSTVisitor`` walk 1.4 -> 0.2 ms, the expression-context pass
1.05 -> 0.19 ms.

``tests/test_fast_visit.py`` checks the callback sequence and ``children`` against
libcst's own path for every node of a corpus (samples, rule examples, generated modules).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import libcst as cst
from libcst import MaybeSentinel
from libcst._nodes.base import CSTNode

from grader.static.libcst_fields import schedule_for

_original_visit = CSTNode.visit
_original_children = CSTNode.children


# visitor class -> {node class: (((field, skip when None, call the attribute hooks), ...),
# visit mode, visit method name, leave mode, leave method name)}, or None when the class
# must take libcst's own path (a transformer).
_plans: dict[type, dict[type, tuple[Any, ...]] | None] = {}


_hooks_by_class: dict[type, set[str] | None] = {}


def _hooked_attributes(visitor_class: type) -> set[str] | None:
    try:
        return _hooks_by_class[visitor_class]
    except KeyError:
        found = _hooks_by_class[visitor_class] = _list_hooked_attributes(visitor_class)
        return found


def _list_hooked_attributes(visitor_class: type) -> set[str] | None:
    """Names ``<Node>_<field>`` of the class's attribute hooks; None: call them all.

    ``CSTVisitor.on_visit_attribute`` only looks up ``visit_<Node>_<field>`` (and
    ``leave_...``) and calls it if present: where the class has no such method, skipping
    the call changes nothing. A class that overrides the hooks themselves gets every call.
    """
    if (
        visitor_class.on_visit_attribute is not cst.CSTVisitor.on_visit_attribute
        or visitor_class.on_leave_attribute is not cst.CSTVisitor.on_leave_attribute
    ):
        return None
    hooked: set[str] = set()
    for name in dir(visitor_class):
        for prefix in ("visit_", "leave_"):
            # libcst's base class declares every hook as a marked no-op: calling one does nothing
            if name.startswith(prefix) and "_" in name[len(prefix):]:
                if not getattr(getattr(visitor_class, name), "_is_no_op", False):
                    hooked.add(name[len(prefix):])
    return hooked


def _plan_for(visitor_class: type) -> dict[type, tuple[Any, ...]] | None:
    try:
        return _plans[visitor_class]
    except KeyError:
        pass
    plan: dict[type, tuple[Any, ...]] | None = None
    if issubclass(visitor_class, cst.CSTVisitor):
        plan = {}
    _plans[visitor_class] = plan
    return plan


# How ``_walk`` makes a node's visit / leave call for a visitor class:
_GENERIC = 0  # the visitor's own on_visit / on_leave (it overrides them)
_METHOD = 1  # CSTVisitor's: look up and call visit_<Node> / leave_<Node>, named here
_NOTHING = 2  # CSTVisitor's, and the class's visit_<Node> is absent or a marked no-op


def _typed_call(visitor_class: type, generic: Any, base: Any, method: str) -> tuple[int, str]:
    if generic is not base:
        return _GENERIC, method
    found = getattr(visitor_class, method, None)
    if found is None or getattr(found, "_is_no_op", False):
        # CSTVisitor.on_visit would call a no-op (None: visit the children) or nothing
        return _NOTHING, method
    return _METHOD, method


def _entries(plan: dict[type, Any], visitor_class: type, node_class: type) -> tuple[Any, ...] | None:
    schedule = schedule_for(node_class)
    if schedule is None:
        return None
    hooked = _hooked_attributes(visitor_class)
    name = node_class.__name__
    fields = tuple(
        (field, skip_none, hooked is None or f"{name}_{field}" in hooked) for field, skip_none in schedule
    )
    on_visit = _typed_call(visitor_class, visitor_class.on_visit, cst.CSTVisitor.on_visit, f"visit_{name}")
    on_leave = _typed_call(visitor_class, visitor_class.on_leave, cst.CSTVisitor.on_leave, f"leave_{name}")
    entries = (fields, *on_visit, *on_leave)
    plan[node_class] = entries
    return entries


def _instance_hooks(visitor: Any) -> bool:
    """The instance itself holds ``visit_*``/``leave_*`` callables (looked up by getattr)."""
    namespace = getattr(visitor, "__dict__", None)
    return bool(namespace) and any(key.startswith(("visit_", "leave_", "on_")) for key in namespace)


def _fast_visit(self: CSTNode, visitor: Any) -> Any:
    plan = _plan_for(type(visitor))
    if plan is None or _instance_hooks(visitor):
        return _original_visit(self, visitor)
    if _walk(self, visitor, plan) is None:
        return _original_visit(self, visitor)
    return self


def _walk(node: CSTNode, visitor: Any, plan: dict[type, Any]) -> bool | None:
    """Visit ``node`` and its subtree; None (before any callback) if its class has no plan."""
    entries = plan.get(type(node))
    if entries is None:
        entries = _entries(plan, type(visitor), type(node))
        if entries is None:
            return None
    fields, visit_mode, visit_name, leave_mode, leave_name = entries
    if visit_mode == _NOTHING:
        go = True
    elif visit_mode == _METHOD:
        go = getattr(visitor, visit_name)(node) is not False
    else:
        go = visitor.on_visit(node)
    if go:
        for field, skip_none, hooks in fields:
            value = getattr(node, field)
            if value is None and skip_none:
                continue
            if hooks:
                visitor.on_visit_attribute(node, field)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    if _walk(child, visitor, plan) is None:
                        _original_visit(child, visitor)
            elif value is not None and value is not MaybeSentinel.DEFAULT:
                if _walk(value, visitor, plan) is None:
                    _original_visit(value, visitor)
            if hooks:
                visitor.on_leave_attribute(node, field)
    if leave_mode == _GENERIC:
        visitor.on_leave(node)
    elif leave_mode == _METHOD:
        getattr(visitor, leave_name)(node)
    return True


def _fast_children(self: CSTNode) -> Sequence[CSTNode]:
    schedule = schedule_for(type(self))
    if schedule is None:
        return _original_children.fget(self)  # type: ignore[union-attr]
    found: list[CSTNode] = []
    for field, _ in schedule:
        value = getattr(self, field)
        kind = type(value)
        if kind is tuple or kind is list:
            found.extend(value)
        elif value is not None and value is not MaybeSentinel.DEFAULT:
            found.append(value)
    return found


_installed = False


def original_children_of(node: CSTNode) -> Sequence[CSTNode]:
    """libcst's own ``children`` (for tests comparing the two)."""
    return _original_children.fget(node)  # type: ignore[union-attr]


@contextmanager
def libcst_traversal() -> Iterator[None]:
    """libcst's own ``visit`` and ``children`` for the duration (tests comparing the two).

    Not thread-safe: it swaps class attributes; only for single-threaded tests.
    """
    was_installed = _installed
    uninstall()
    try:
        yield
    finally:
        if was_installed:
            install()


def uninstall() -> None:
    global _installed
    CSTNode.visit = _original_visit  # type: ignore[method-assign]
    CSTNode.children = _original_children  # type: ignore[method-assign]
    _installed = False


def install() -> None:
    """Route read-only visits and ``children`` through the field schedules (idempotent)."""
    global _installed
    if _installed:
        return
    CSTNode.visit = _fast_visit  # type: ignore[method-assign,assignment]
    CSTNode.children = property(_fast_children)  # type: ignore[method-assign,assignment]
    _installed = True
