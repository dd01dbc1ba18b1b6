"""Which calls block the thread they run on: the catalogue behind AS001 and AS002.

A call is recognised by its qualified name (libcst's QualifiedNameProvider), so
``import time as t; t.sleep(1)`` and ``from time import sleep; sleep(1)`` both count,
while a submission's own ``def sleep(...)`` does not. Awaited calls never count: whatever
is awaited hands control back to the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import libcst as cst

from grader.static.analysis import FunctionInfo, ModuleAnalysis
from grader.static.node_kinds import is_kind

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send")

# qualified name -> what to use instead, in an ``async def``
_BLOCKING: dict[str, str] = {
    "time.sleep": "await asyncio.sleep(...)",
    "urllib.request.urlopen": "httpx.AsyncClient",
    "os.system": "asyncio.create_subprocess_shell",
}
for _method in HTTP_METHODS:
    for _prefix in ("requests", "requests.api", "requests.Session", "requests.sessions.Session"):
        _BLOCKING[f"{_prefix}.{_method}"] = "httpx.AsyncClient"
    for _prefix in ("httpx", "httpx.Client"):
        _BLOCKING[f"{_prefix}.{_method}"] = "httpx.AsyncClient"
for _function in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"):
    _BLOCKING[f"subprocess.{_function}"] = "asyncio.create_subprocess_exec"

# Whole-file disk I/O: blocking too, reported inside async background tasks (AS002).
_FILE_IO: dict[str, str] = {
    f"shutil.{name}": "await anyio.to_thread.run_sync(...)"
    for name in ("copyfileobj", "copyfile", "copy", "copy2", "move", "copytree")
}
PATH_IO_METHODS = frozenset({"read_bytes", "write_bytes", "read_text", "write_text"})
FILE_HANDLE_METHODS = frozenset({"read", "write", "readlines", "writelines"})
# Client/session classes whose methods block; ``client = httpx.Client()`` then ``client.get``.
_SYNC_CLIENTS = {
    "httpx.Client": "httpx",
    "requests.Session": "requests",
    "requests.session": "requests",
    "requests.sessions.Session": "requests",
}


@dataclass(frozen=True)
class BlockingCall:
    """A call that blocks, what it is (as written) and what to use instead."""

    node: cst.Call
    what: str
    instead: str


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


def awaited_calls(info: FunctionInfo) -> set[int]:
    return {id(a.expression) for a in own_nodes(info.node.body, cst.Await) if isinstance(a.expression, cst.Call)}


def with_bindings(info: FunctionInfo) -> dict[str, cst.Call]:
    """Names bound by a synchronous ``with <call>(...) as name`` in the function's own body."""
    bound: dict[str, cst.Call] = {}
    for node in own_nodes(info.node.body, cst.With):
        if node.asynchronous is not None:
            continue
        for item in node.items:
            if isinstance(item.item, cst.Call) and item.asname and isinstance(item.asname.name, cst.Name):
                bound[item.asname.name.value] = item.item
    return bound


def _name_bound_to(module: ModuleAnalysis, info: FunctionInfo, name: str, qualified: set[str] | frozenset[str]) -> bool:
    """``name`` holds the result of a call to one of ``qualified`` (assignment or ``with``)."""
    value = info.value_of(name)
    if value is None:
        value = with_bindings(info).get(name)
    return isinstance(value, cst.Call) and module.is_qualified(value.func, frozenset(qualified))


def _is_open_call(module: ModuleAnalysis, expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Call) and module.is_qualified(expr.func, frozenset({"builtins.open", "io.open"}))


def blocking_network_or_sleep(module: ModuleAnalysis, call: cst.Call, info: FunctionInfo) -> BlockingCall | None:
    """``time.sleep``, ``requests.*``, sync ``httpx``, ``urlopen``, ``subprocess.*``."""
    names = module.call_qualified_names(call)
    for name in sorted(names):
        if name in _BLOCKING:
            return BlockingCall(call, name, _BLOCKING[name])
    func = call.func
    # ``client = httpx.Client()`` / ``with httpx.Client() as client`` then ``client.get(...)``
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value in HTTP_METHODS
        and isinstance(func.value, cst.Name)
        and _name_bound_to(module, info, func.value.value, set(_SYNC_CLIENTS))
    ):
        return BlockingCall(call, f"{func.value.value}.{func.attr.value}", "httpx.AsyncClient")
    return None


def blocking_file_io(module: ModuleAnalysis, call: cst.Call, info: FunctionInfo) -> BlockingCall | None:
    """Whole-file disk I/O: ``open(...).read()``, ``f.write`` on an ``open``ed file,
    ``Path.read_bytes``/``write_text``..., ``shutil.copyfileobj``/``copy``/``move``."""
    names = module.call_qualified_names(call)
    for name in sorted(names):
        if name in _FILE_IO:
            return BlockingCall(call, name, _FILE_IO[name])
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    instead = "aiofiles or anyio.Path with await"
    if method in PATH_IO_METHODS:
        # pathlib's names; anyio's async Path has the same names but is awaited (filtered out)
        return BlockingCall(call, f"Path.{method}()", instead)
    if method in FILE_HANDLE_METHODS:
        if method == "read" and call.args:
            return None  # a sized read is a chunk, not the whole file
        target = func.value
        if _is_open_call(module, target):
            return BlockingCall(call, f"open(...).{method}()", instead)
        if isinstance(target, cst.Name) and _name_bound_to(module, info, target.value, {"builtins.open", "io.open"}):
            return BlockingCall(call, f"{target.value}.{method}() on an open() file", instead)
    return None


def blocking_calls(
    module: ModuleAnalysis, info: FunctionInfo, *, file_io: bool = False
) -> Iterator[BlockingCall]:
    """Blocking calls in ``info``'s own body (not awaited, not in nested defs or lambdas)."""
    awaited = awaited_calls(info)
    for call in own_nodes(info.node.body, cst.Call):
        if id(call) in awaited:
            continue
        found = blocking_network_or_sleep(module, call, info)
        if found is None and file_io:
            found = blocking_file_io(module, call, info)
        if found is not None:
            yield found


def resolve_callee(
    module: ModuleAnalysis, expr: cst.BaseExpression, info: FunctionInfo | None
) -> tuple[ModuleAnalysis, FunctionInfo] | None:
    """The submission's function that ``expr`` names: a def nested in an enclosing function,
    a module-level def, or one imported from another module; ``functools.partial(f, ...)``
    names ``f``. ``None`` when it cannot be found (callers stay silent then)."""
    if isinstance(expr, cst.Call) and module.is_qualified(expr.func, frozenset({"functools.partial"})):
        if expr.args and expr.args[0].keyword is None and not expr.args[0].star:
            return resolve_callee(module, expr.args[0].value, info)
        return None
    if isinstance(expr, cst.Name):
        scope_fn = info
        while scope_fn is not None:
            for candidate in module.functions:
                if candidate.parent is scope_fn and candidate.name == expr.value:
                    return module, candidate
            if expr.value in scope_fn.assignments:
                return None  # rebound locally: not the def we would find
            scope_fn = scope_fn.parent
    return module.resolve_function(expr)


def blocking_helper_calls(
    module: ModuleAnalysis, info: FunctionInfo, *, file_io: bool = False
) -> Iterator[tuple[cst.Call, FunctionInfo, BlockingCall]]:
    """Direct calls from ``info`` to a plain ``def`` of the submission that itself blocks.

    One step only: ``async def upload(): save()`` where ``def save(): time.sleep(1)``.
    """
    awaited = awaited_calls(info)
    for call in own_nodes(info.node.body, cst.Call):
        if id(call) in awaited:
            continue
        resolved = resolve_callee(module, call.func, info)
        if resolved is None:
            continue
        helper_module, helper = resolved
        if helper.is_async or helper is info:
            continue
        for inner in blocking_calls(helper_module, helper, file_io=file_io):
            yield call, helper, inner
            break
