"""Read-only libcst traversal without rebuilding the tree (a pure speed-up, same callbacks).

libcst walks a tree with ``CSTNode.visit``, which calls ``_visit_and_replace_children``:
it visits each child field in source order *and builds a new copy of the node* from the
results (a frozen dataclass, validated on construction). A ``CSTVisitor`` cannot change
the tree, so for it the copy is thrown away; building it was about two thirds of every
read-only pass (the scope metadata, the expression contexts, our fact walk).

Here, for each node class, the order in which ``_visit_and_replace_children`` visits its
fields is read once from libcst's own source (every implementation is a single
``return Cls(field=visit_xxx(self, "field", self.field, visitor), ...)``), and a
``CSTVisitor`` is walked through those fields directly: the same ``on_visit``,
``on_visit_attribute``, ``on_leave_attribute`` and ``on_leave`` calls, in the same
order, on the same nodes; ``visit`` returns the node itself, as libcst does for a
``CSTVisitor``. Transformers, and any class whose implementation does not have that
shape, keep libcst's own path. ``CSTNode.children`` uses the same field order.

``tests/test_fast_visit.py`` checks the callback sequence and ``children`` against
libcst's own path for every node of a corpus (samples, rule examples, generated modules).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import libcst as cst
from libcst import MaybeSentinel
from libcst._nodes.base import BaseLeaf, CSTNode

# libcst's helpers that visit one field: on_visit_attribute, the child(ren), on_leave_attribute.
_FIELD_HELPERS = frozenset(
    {
        "visit_required",
        "visit_optional",
        "visit_sentinel",
        "visit_sequence",
        "visit_iterable",
        "visit_body_sequence",
        "visit_body_iterable",
    }
)

# class -> ((field name, visited only when the field is not None), ...)
Schedule = tuple[tuple[str, bool], ...]
_schedules: dict[type, Schedule | None] = {}

_original_visit = CSTNode.visit
_original_children = CSTNode.children


def _helper_field(call: ast.expr) -> str | None:
    """``visit_xxx(self, "f", <anything>, visitor)`` -> ``"f"``; anything else -> None."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in _FIELD_HELPERS):
        return None
    args = call.args
    if len(args) != 4 or call.keywords:
        return None
    if not (isinstance(args[0], ast.Name) and args[0].id == "self"):
        return None
    if not (isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)):
        return None
    if not (isinstance(args[3], ast.Name) and args[3].id == "visitor"):
        return None
    return args[1].value


def _reads_field(expr: ast.expr, field: str, local_aliases: dict[str, str]) -> bool:
    """``expr`` is ``self.<field>`` or a local assigned ``self.<field>`` at the top."""
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        return expr.attr == field
    return isinstance(expr, ast.Name) and local_aliases.get(expr.id) == field


def _builds_own_class(func: ast.expr, cls: type) -> bool:
    """``Cls(...)`` naming ``cls`` itself, or ``self.__class__(...)``."""
    if isinstance(func, ast.Name):
        return func.id == cls.__name__
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__class__"
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
    )


def _mentions_visitor(expr: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id in _FIELD_HELPERS | {"visitor"} for n in ast.walk(expr))


def _derive(cls: type) -> Schedule | None:
    """The field order of ``cls._visit_and_replace_children``, or None if not the simple shape."""
    function = cls._visit_and_replace_children
    if function is BaseLeaf._visit_and_replace_children:
        return ()  # a leaf: no children
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None
    definition = ast.parse(source).body[0]
    if not isinstance(definition, ast.FunctionDef):
        return None
    statements = [
        s for s in definition.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    # leading ``names = self.names`` aliases, then one ``return Cls(...)``
    aliases: dict[str, str] = {}
    while len(statements) > 1 and isinstance(statements[0], ast.Assign) and not isinstance(statements[0].value, ast.Call):
        first = statements[0]
        if (
            isinstance(first, ast.Assign)
            and len(first.targets) == 1
            and isinstance(first.targets[0], ast.Name)
            and isinstance(first.value, ast.Attribute)
            and isinstance(first.value.value, ast.Name)
            and first.value.value.id == "self"
        ):
            aliases[first.targets[0].id] = first.value.attr
            statements = statements[1:]
            continue
        return None
    built: ast.expr | None = None
    if len(statements) == 1 and isinstance(statements[0], ast.Return):
        built = statements[0].value
    elif (  # ``ret = Cls(...)`` then ``return ret``
        len(statements) == 2
        and isinstance(statements[0], ast.Assign)
        and len(statements[0].targets) == 1
        and isinstance(statements[0].targets[0], ast.Name)
        and isinstance(statements[1], ast.Return)
        and isinstance(statements[1].value, ast.Name)
        and statements[1].value.id == statements[0].targets[0].id
    ):
        built = statements[0].value
    if not (isinstance(built, ast.Call) and _builds_own_class(built.func, cls)):
        return None
    if built.args:
        return None
    schedule: list[tuple[str, bool]] = []
    for keyword in built.keywords:
        value = keyword.value
        field = _helper_field(value)
        if field is not None:
            if field != keyword.arg or not _reads_field(value.args[2], field, aliases):  # type: ignore[attr-defined]
                return None
            schedule.append((field, False))
            continue
        if isinstance(value, ast.IfExp):
            body_field, else_field = _helper_field(value.body), _helper_field(value.orelse)
            # ``visit_x(self, "f", f, visitor) if f is not None else None``
            if (
                body_field == keyword.arg
                and isinstance(value.orelse, ast.Constant)
                and value.orelse.value is None
                and isinstance(value.test, ast.Compare)
                and len(value.test.ops) == 1
                and isinstance(value.test.ops[0], ast.IsNot)
                and isinstance(value.test.comparators[0], ast.Constant)
                and value.test.comparators[0].value is None
                and _reads_field(value.test.left, body_field, aliases)
                and _reads_field(value.body.args[2], body_field, aliases)  # type: ignore[attr-defined]
            ):
                schedule.append((body_field, True))
                continue
            # ``visit_a(self, "f", f, visitor) if isinstance(f, X) else visit_b(self, "f", f, visitor)``
            if (
                body_field == keyword.arg
                and else_field == keyword.arg
                and not _mentions_visitor(value.test)
                and _reads_field(value.body.args[2], body_field, aliases)  # type: ignore[attr-defined]
                and _reads_field(value.orelse.args[2], else_field, aliases)  # type: ignore[attr-defined]
            ):
                schedule.append((body_field, False))
                continue
            return None
        if _mentions_visitor(value):
            return None  # visits in a shape we do not know: keep libcst's path
    return tuple(schedule)


def schedule_for(cls: type) -> Schedule | None:
    try:
        return _schedules[cls]
    except KeyError:
        pass
    schedule = _derive(cls)
    _schedules[cls] = schedule
    return schedule


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
    schedule = _schedules.get(type(self), False)
    if schedule is False:
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
