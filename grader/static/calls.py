"""Which calls block the thread they run on (AS001, AS002, AS003).

A call is recognised by its qualified name (libcst's QualifiedNameProvider) against the
table in ``blocking_table`` plus the rubric's own entries (``StaticSettings``), so
``import time as t; t.sleep(1)`` and ``from time import sleep; sleep(1)`` both count,
while a submission's own ``def sleep(...)`` does not. File handles are recognised by
shape: ``with open(...) as f`` / ``path.open()`` then ``f.write(...)`` is one finding, at
the ``open``, whatever the block does with the handle. Awaited calls never count: whatever
is awaited hands control back to the event loop; neither does code in a nested ``def`` or
lambda (it runs where it is sent, e.g. to ``run_in_threadpool``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from grader.static.analysis import FunctionInfo, ModuleAnalysis
from grader.static.blocking_table import BLOCKING, FILE, BlockingEntry
from grader.static.walk import own_nodes

PATH_IO_METHODS = frozenset({"read_bytes", "write_bytes", "read_text", "write_text"})
FILE_HANDLE_METHODS = frozenset({"read", "write", "readline", "readlines", "writelines"})
_OPEN_FUNCTIONS = frozenset({"builtins.open", "io.open"})
_COPYFILEOBJ = frozenset({"shutil.copyfileobj"})
_PATH_FACTORIES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath"})
_FILE_INSTEAD = "aiofiles / anyio.Path (awaited), or await anyio.to_thread.run_sync(...)"
ALL_KINDS = frozenset({BLOCKING, FILE})


@dataclass(frozen=True)
class BlockingCall:
    """A call that blocks: the node to report, what it is (as written), what to use
    instead, and its kind (``blocking`` or ``file``)."""

    node: cst.CSTNode
    what: str
    instead: str
    kind: str


def awaited_calls(info: FunctionInfo) -> set[int]:
    return {id(a.expression) for a in own_nodes(info.node.body, cst.Await) if isinstance(a.expression, cst.Call)}


def _bindings(info: FunctionInfo) -> dict[str, cst.BaseExpression]:
    """Local names bound once: by assignment, or by a synchronous ``with <expr> as name``."""
    bound: dict[str, cst.BaseExpression] = {}
    for node in own_nodes(info.node.body, cst.With):
        if node.asynchronous is not None:
            continue
        for item in node.items:
            if item.asname and isinstance(item.asname.name, cst.Name):
                bound[item.asname.name.value] = item.item
    for name in info.assignments:
        value = info.value_of(name)
        if value is not None:
            bound[name] = value
    return bound


_PATH_METHODS = frozenset({"with_suffix", "with_name", "resolve", "absolute", "joinpath"})


def _is_path_expr(
    module: ModuleAnalysis, expr: cst.BaseExpression, bound: dict[str, cst.BaseExpression], depth: int = 0
) -> bool:
    """``Path(...)``, ``Path(...) / "x"``, ``p.with_suffix(...)``, a parameter annotated
    ``Path``, or a local bound to one of these: a pathlib path."""
    if depth > 4:
        return False
    if isinstance(expr, cst.Call):
        if module.is_qualified(expr.func, _PATH_FACTORIES):
            return True
        func = expr.func
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value in _PATH_METHODS
            and _is_path_expr(module, func.value, bound, depth + 1)
        )
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
        return _is_path_expr(module, expr.left, bound, depth + 1)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
        return _is_path_expr(module, expr.value, bound, depth + 1)
    if isinstance(expr, cst.Name):
        value = bound.get(expr.value)
        if value is not None:
            return _is_path_expr(module, value, bound, depth + 1)
        return False
    return False


def _opened(module: ModuleAnalysis, expr: cst.BaseExpression, bound: dict[str, cst.BaseExpression]) -> str | None:
    """``open(...)``/``io.open(...)`` -> "open()"; ``<pathlib path>.open(...)`` -> "Path.open()";
    any other ``x.open(...)`` (``gzip.open``, ``zip_file.open``) -> "x.open()". Awaited and
    ``async with`` opens (aiofiles, anyio) never get here."""
    if not isinstance(expr, cst.Call):
        return None
    if module.is_qualified(expr.func, _OPEN_FUNCTIONS):
        return "open()"
    func = expr.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "open"):
        return None
    if _is_path_expr(module, func.value, bound):
        return "Path.open()"
    receiver = module.code(func.value)
    return f"{receiver if len(receiver) <= 30 else receiver[:27] + '...'}.open()"


def _factory_method(
    module: ModuleAnalysis, call: cst.Call, bound: dict[str, cst.BaseExpression]
) -> tuple[str, str] | None:
    """``x.m(...)`` where ``x`` (or the receiver call itself) is built by a table factory
    whose ``m`` blocks: (qualified factory name, text as written)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    receiver = func.value
    method = func.attr.value
    written = f"{receiver.value}.{method}()" if isinstance(receiver, cst.Name) else f"{method}()"
    if isinstance(receiver, cst.Name):
        receiver = bound.get(receiver.value, receiver)
    if not isinstance(receiver, cst.Call):
        return None
    factories = module.settings.factories
    entries = module.settings.blocking_entries
    for name in sorted(module.call_qualified_names(receiver) & factories):
        if func.attr.value in entries[name].methods:
            return name, written
    return None


def blocking_calls(
    module: ModuleAnalysis,
    info: FunctionInfo,
    *,
    kinds: frozenset[str] = ALL_KINDS,
    upload_stream: Callable[[cst.Call], bool] | None = None,
) -> Iterator[BlockingCall]:
    """Blocking calls in ``info``'s own body of the given kinds (not awaited, not in nested
    defs or lambdas). ``upload_stream`` recognises reads of the upload's spooled file
    (``file.file.read()``), a file operation."""
    awaited = awaited_calls(info)
    bound = _bindings(info)
    entries = module.settings.blocking_entries
    handles = _handles(module, info, bound) if FILE in kinds else {}
    reported_handles: set[str] = set()
    for call in own_nodes(info.node.body, cst.Call):
        if id(call) in awaited:
            continue
        found = None
        if FILE in kinds:
            found = _file_call(module, call, bound, handles, reported_handles, upload_stream)
        if found is None and not _copies_into_handle(module, call, handles):
            found = _table_call(module, call, entries, kinds, bound)
        if found is not None:
            yield found


def _copies_into_handle(module: ModuleAnalysis, call: cst.Call, handles: dict[str, tuple[cst.Call, str]]) -> bool:
    """``shutil.copyfileobj(src, out)`` on an opened handle: reported (once) at its ``open``."""
    return module.is_qualified(call.func, _COPYFILEOBJ) and any(
        _handle_name(arg.value, handles) is not None for arg in call.args
    )


def _table_call(
    module: ModuleAnalysis,
    call: cst.Call,
    entries: dict[str, BlockingEntry],
    kinds: frozenset[str],
    bound: dict[str, cst.BaseExpression],
) -> BlockingCall | None:
    for name in sorted(module.call_qualified_names(call)):
        entry = entries.get(name)
        if entry is not None and entry.call_blocks and entry.kind in kinds:
            return BlockingCall(call, name, entry.instead, entry.kind)
    method = _factory_method(module, call, bound)
    if method is not None:
        entry = entries[method[0]]
        if entry.kind in kinds:
            return BlockingCall(call, method[1], entry.instead, entry.kind)
    return None


def _handles(
    module: ModuleAnalysis, info: FunctionInfo, bound: dict[str, cst.BaseExpression]
) -> dict[str, tuple[cst.Call, str]]:
    """Names bound to a file opened synchronously: name -> (the open call, "open()"/"Path.open()")."""
    found: dict[str, tuple[cst.Call, str]] = {}
    for name, value in bound.items():
        what = _opened(module, value, bound)
        if what is not None:
            assert isinstance(value, cst.Call)
            found[name] = (value, what)
    return found


def _handle_name(expr: cst.BaseExpression, handles: dict[str, tuple[cst.Call, str]]) -> str | None:
    return expr.value if isinstance(expr, cst.Name) and expr.value in handles else None


def _file_call(
    module: ModuleAnalysis,
    call: cst.Call,
    bound: dict[str, cst.BaseExpression],
    handles: dict[str, tuple[cst.Call, str]],
    reported_handles: set[str],
    upload_stream: Callable[[cst.Call], bool] | None,
) -> BlockingCall | None:
    func = call.func
    if module.is_qualified(func, _COPYFILEOBJ):
        for arg in call.args:
            name = _handle_name(arg.value, handles)
            if name is not None:
                return _handle_use(name, "shutil.copyfileobj()", handles, reported_handles)
        return None
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    if method in PATH_IO_METHODS:
        # pathlib's names; anyio's async Path has the same names but is awaited (filtered out)
        return BlockingCall(call, f"Path.{method}()", _FILE_INSTEAD, FILE)
    if method not in FILE_HANDLE_METHODS:
        return None
    if upload_stream is not None and upload_stream(call):
        if _written_to_handle(module, call, handles):
            return None  # ``out.write(file.file.read())``: the handle's finding covers it
        return BlockingCall(call, f"file.file.{method}()", "await file.read(...) (UploadFile's async methods)", FILE)
    if method == "read" and call.args:
        return None  # a sized read of a handle is one chunk, not the whole file
    name = _handle_name(func.value, handles)
    if name is not None:
        return _handle_use(name, f"{name}.{method}()", handles, reported_handles)
    opened = _opened(module, func.value, bound)
    if opened is not None:
        return BlockingCall(call, f"{opened[:-2]}(...).{method}()", _FILE_INSTEAD, FILE)
    return None


def _written_to_handle(module: ModuleAnalysis, call: cst.Call, handles: dict[str, tuple[cst.Call, str]]) -> bool:
    """``call`` is the argument of a write on an opened handle (``out.write(<call>)``)."""
    arg = module.parent(call)
    outer = module.parent(arg) if isinstance(arg, cst.Arg) else None
    return (
        isinstance(outer, cst.Call)
        and isinstance(outer.func, cst.Attribute)
        and outer.func.attr.value in FILE_HANDLE_METHODS
        and _handle_name(outer.func.value, handles) is not None
    )


def _handle_use(
    name: str, what: str, handles: dict[str, tuple[cst.Call, str]], reported_handles: set[str]
) -> BlockingCall | None:
    """The first use of a handle is reported at its ``open``; later uses are the same finding."""
    if name in reported_handles:
        return None
    reported_handles.add(name)
    node, opener = handles[name]
    return BlockingCall(node, f"{opener} then {what}", _FILE_INSTEAD, FILE)


@dataclass(frozen=True)
class Blocked:
    """A blocking call made by a function: directly, or through one of the submission's
    plain ``def`` helpers (``helper`` is then its name and ``node`` the call of it)."""

    node: cst.CSTNode
    what: str
    instead: str
    helper: str | None = None


def blocking_in(
    module: ModuleAnalysis,
    info: FunctionInfo,
    *,
    kinds: frozenset[str] = ALL_KINDS,
    upload_stream: Callable[[cst.Call], bool] | None = None,
) -> Iterator[Blocked]:
    """What ``blocking_calls`` and ``blocking_helper_calls`` find in ``info``, in that order."""
    for found in blocking_calls(module, info, kinds=kinds, upload_stream=upload_stream):
        yield Blocked(found.node, found.what, found.instead)
    for call, helper, inner in blocking_helper_calls(module, info, kinds=kinds):
        yield Blocked(call, inner.what, inner.instead, helper.name)


def blocking_helper_calls(
    module: ModuleAnalysis, info: FunctionInfo, *, kinds: frozenset[str] = ALL_KINDS
) -> Iterator[tuple[cst.Call, FunctionInfo, BlockingCall]]:
    """Direct calls from ``info`` to a plain ``def`` of the submission that itself blocks.

    One step only: ``async def upload(): save()`` where ``def save(): time.sleep(1)``; also
    through a module (``tasks.save()`` after ``from app import tasks``).
    """
    awaited = awaited_calls(info)
    for call in own_nodes(info.node.body, cst.Call):
        if id(call) in awaited:
            continue
        resolved = module.resolve_callable(call.func, info)
        if resolved is None:
            continue
        helper_module, helper = resolved
        if helper.is_async or helper is info:
            continue
        for inner in blocking_calls(helper_module, helper, kinds=kinds, upload_stream=param_upload_stream(helper)):
            yield call, helper, inner
            break


def param_upload_stream(info: FunctionInfo) -> Callable[[cst.Call], bool]:
    """``<param>.file.read()`` in a helper or task: a read of an upload's spooled file."""
    def reads(call: cst.Call) -> bool:
        func = call.func
        target = func.value if isinstance(func, cst.Attribute) else None
        return (
            isinstance(target, cst.Attribute)
            and target.attr.value == "file"
            and isinstance(target.value, cst.Name)
            and target.value.value in _param_names(info)
        )
    return reads


def _param_names(info: FunctionInfo) -> set[str]:
    p = info.node.params
    return {x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)}

