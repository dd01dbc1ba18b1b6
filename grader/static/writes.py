"""Where a function writes to disk, with what, and whether the destination is a fixed name.

Shared by UP001 (the whole upload read into memory only to be written out) and UP002 (the
upload saved under a fixed name). Recognised writes:

- ``f.write(data)`` / ``await f.write(data)`` where ``f`` comes from ``with open(path, "wb")``,
  ``async with aiofiles.open(...)``, ``path.open("wb")`` or ``f = open(...)``;
- ``open(path, "wb").write(data)``;
- ``<path>.write_bytes(data)`` / ``write_text(data)``;
- ``shutil.copyfileobj(src, f)`` with ``f`` as above.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from grader.static.analysis import ModuleAnalysis
from grader.static.walk import own_nodes
from grader.static.uploadflow import Flow

_OPEN_FUNCTIONS = frozenset({"builtins.open", "io.open", "aiofiles.open", "anyio.open_file"})
# Calls that return the same directory every time: part of a fixed path.
_FIXED_CALLS = frozenset({"tempfile.gettempdir", "os.getcwd", "pathlib.Path.cwd", "pathlib.Path.home"})
_PATH_CALLS = frozenset({"pathlib.Path", "pathlib.PurePath", "os.path.join", "posixpath.join", "anyio.Path"})
_FIXED_ATTRIBUTES = frozenset({"parent", "parents", "resolve", "absolute"})
MAX_DEPTH = 10  # nested path expressions: Path(__file__).parent / "uploads" / NAME


@dataclass(frozen=True)
class DiskWrite:
    """One write to disk: the node to report, the destination path (if known), the data."""

    node: cst.CSTNode
    path: cst.BaseExpression | None
    content: cst.BaseExpression
    mode: str | None


def _string(expr: cst.BaseExpression | None) -> str | None:
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _open_target(module: ModuleAnalysis, call: cst.BaseExpression) -> tuple[cst.CSTNode, cst.BaseExpression | None, str | None] | None:
    """``open(path, mode)`` / ``aiofiles.open`` / ``<path>.open(mode)``: (call, path, mode)."""
    if not isinstance(call, cst.Call):
        return None
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    if module.is_qualified(call.func, _OPEN_FUNCTIONS):
        path = positional[0] if positional else keywords.get("file")
        mode_expr = positional[1] if len(positional) > 1 else keywords.get("mode")
        return call, path, _string(mode_expr) if mode_expr is not None else "r"
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "open":
        # ``path.open("wb")`` on a pathlib path; a module's ``gzip.open`` gives a non-fixed
        # "path" (the module name), so UP002 stays silent on it
        mode_expr = positional[0] if positional else keywords.get("mode")
        return call, call.func.value, _string(mode_expr) if mode_expr is not None else "r"
    return None


def _handle_bindings(module: ModuleAnalysis, flow: Flow) -> dict[str, tuple[cst.CSTNode, cst.BaseExpression | None, str | None]]:
    """Names bound to an opened file in the function's own body."""
    bound: dict[str, tuple[cst.CSTNode, cst.BaseExpression | None, str | None]] = {}
    for node in own_nodes(flow.info.node.body, cst.With):
        for item in node.items:
            target = _open_target(module, item.item)
            if target and item.asname and isinstance(item.asname.name, cst.Name):
                bound[item.asname.name.value] = target
    for name in flow.info.assignments:
        value = flow.info.value_of(name)
        target = _open_target(module, value) if value is not None else None
        if target:
            bound[name] = target
    return bound


def disk_writes(flow: Flow) -> Iterator[DiskWrite]:
    """Every recognised write to disk in the flow's function (own body only)."""
    module = flow.module
    handles = _handle_bindings(module, flow)
    for call in own_nodes(flow.info.node.body, cst.Call):
        func = call.func
        args = [a.value for a in call.args if not a.star]
        if module.is_qualified(func, frozenset({"shutil.copyfileobj"})) and len(args) >= 2:
            dst = args[1]
            if isinstance(dst, cst.Name) and dst.value in handles:
                node, path, mode = handles[dst.value]
                yield DiskWrite(node, path, args[0], mode)
            continue
        if not isinstance(func, cst.Attribute) or not args:
            continue
        method = func.attr.value
        if method in {"write_bytes", "write_text"}:
            yield DiskWrite(call, func.value, args[0], "wb")
        elif method == "write":
            target = func.value
            if isinstance(target, cst.Name) and target.value in handles:
                node, path, mode = handles[target.value]
                yield DiskWrite(node, path, args[0], mode)
            else:
                opened = _open_target(module, target)
                if opened:
                    yield DiskWrite(opened[0], opened[1], args[0], opened[2])


def _module_constant(module: ModuleAnalysis, name: str) -> cst.BaseExpression | None:
    """The value of a module-level name assigned exactly once."""
    values: list[cst.BaseExpression] = []
    for statement in module.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign):
                if any(isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets):
                    values.append(small.value)
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                if isinstance(small.target, cst.Name) and small.target.value == name:
                    values.append(small.value)
    return values[0] if len(values) == 1 else None


def is_fixed_path(flow: Flow, expr: cst.BaseExpression | None, depth: int = 0) -> bool:
    """``expr`` evaluates to the same path on every request (no per-upload part)."""
    if expr is None or depth > MAX_DEPTH:
        return False
    module = flow.module
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        return bool(_string(expr))
    if isinstance(expr, cst.FormattedString):
        return all(
            is_fixed_path(flow, p.expression, depth + 1)
            for p in expr.parts
            if isinstance(p, cst.FormattedStringExpression)
        )
    if isinstance(expr, cst.Name):
        if expr.value == "__file__":
            return True
        if expr.value in flow.info.assignments:
            return is_fixed_path(flow, flow.info.value_of(expr.value), depth + 1)
        if expr.value in flow.params() or expr.value in flow.seeds:
            return False
        return is_fixed_path(flow, _module_constant(module, expr.value), depth + 1)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Divide, cst.Add)):
        return is_fixed_path(flow, expr.left, depth + 1) and is_fixed_path(flow, expr.right, depth + 1)
    if isinstance(expr, cst.Attribute) and expr.attr.value in _FIXED_ATTRIBUTES:
        return is_fixed_path(flow, expr.value, depth + 1)
    if isinstance(expr, cst.Call):
        if module.is_qualified(expr.func, _FIXED_CALLS):
            return True
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _FIXED_ATTRIBUTES and not expr.args:
            return is_fixed_path(flow, expr.func.value, depth + 1)  # ``Path(...).resolve()``
        if module.is_qualified(expr.func, _PATH_CALLS) and expr.args:
            return all(not a.star and is_fixed_path(flow, a.value, depth + 1) for a in expr.args)
    return False
