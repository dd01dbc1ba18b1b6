"""Which child fields libcst visits, in which order, for each node class.

Every ``_visit_and_replace_children`` in libcst is (or this module says it is not) a
single ``return Cls(field=visit_xxx(self, "field", self.field, visitor), ...)``: the
keyword order is the order libcst visits the fields in, and each ``visit_xxx`` helper
makes the same calls (``on_visit_attribute``, the child or children, then
``on_leave_attribute``). The order is read once per class from libcst's own source with
``ast``; a class whose implementation has another shape gets ``None`` (callers keep
libcst's own path for it). ``tests/test_fast_visit.py`` checks that no class of the
installed libcst falls back, and that the walk built on this order makes libcst's calls.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

from libcst._nodes.base import BaseLeaf

from grader.static import python_ast

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
    definition = python_ast.parse(source).body[0]
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
