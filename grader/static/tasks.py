"""Facts about background tasks that several BG rules share.

The core analysis (``analysis.py``) finds ``add_task`` calls on real ``BackgroundTasks``
receivers. This module answers the follow-up questions: what does a task receive (the
upload itself, its metadata, a request-scoped resource), which function does it run
(through ``functools.partial``, a lambda, a nested ``def`` or another module), and does
that function save, read or guard its work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from grader.static.analysis import PARTIAL_NAMES, AddTaskCall, FunctionInfo, ModuleAnalysis, _find

# An UploadFile's descriptive attributes: passing these passes plain values, not the file.
METADATA_ATTRS = frozenset({"filename", "content_type", "size", "headers"})

Resolved = tuple[ModuleAnalysis, FunctionInfo]
Callable = cst.FunctionDef | cst.Lambda


# ----- what a task receives ------------------------------------------------------------
def is_partial(module: ModuleAnalysis, expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Call) and module.is_qualified(expr.func, PARTIAL_NAMES)


def task_arguments(module: ModuleAnalysis, call: AddTaskCall) -> list[cst.BaseExpression]:
    """Every value the task will be called with: add_task's extra args and partial's args."""
    values = [arg.value for arg in call.args]
    if call.func is not None and is_partial(module, call.func):
        assert isinstance(call.func, cst.Call)
        values += [arg.value for arg in call.func.args[1:]]
    return values


def upload_names(module: ModuleAnalysis, info: FunctionInfo) -> set[str]:
    """Upload parameters, locals assigned one from another, and ``for f in files`` targets.

    A parameter the body rebinds (``file = save(file)``) may no longer be the upload: left out.
    """
    names = {name for name in info.upload_params if name not in info.assignments}
    for name, values in info.assignments.items():
        if len(values) == 1 and isinstance(values[0], cst.Name) and values[0].value in names:
            names.add(name)
    for loop in _find(info.node.body, cst.For, stop=(cst.FunctionDef,)):
        if (
            isinstance(loop.target, cst.Name)
            and isinstance(loop.iter, cst.Name)
            and loop.iter.value in names
        ):
            names.add(loop.target.value)
    return names


def is_upload_object(module: ModuleAnalysis, expr: cst.BaseExpression, info: FunctionInfo | None) -> bool:
    """``file``, ``file.file``, or a local assigned one of them (one-step dataflow)."""
    if info is None:
        return False
    uploads = upload_names(module, info)
    if isinstance(expr, cst.Name):
        if expr.value in uploads:
            return True
        value = info.value_of(expr.value)
        return value is not None and value is not expr and _is_stream(value, uploads)
    return _is_stream(expr, uploads)


def _is_stream(expr: cst.BaseExpression, uploads: set[str]) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in uploads
    return (
        isinstance(expr, cst.Attribute)
        and expr.attr.value == "file"
        and isinstance(expr.value, cst.Name)
        and expr.value.value in uploads
    )


def reads_upload(module: ModuleAnalysis, expr: cst.BaseExpression, info: FunctionInfo | None) -> bool:
    """``<upload>.read()``, ``<upload>.file.read()`` or ``await`` of either (one-step dataflow)."""
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)):
        return False
    if expr.func.attr.value != "read":
        return False
    target = expr.func.value
    if isinstance(target, cst.Attribute) and target.attr.value == "file":
        return module.is_upload_expr(target.value, info)
    if module.is_upload_expr(target, info):
        return True
    # ``stream = file.file`` then ``stream.read()``
    if isinstance(target, cst.Name) and info is not None:
        value = info.value_of(target.value)
        return (
            isinstance(value, cst.Attribute)
            and value.attr.value == "file"
            and module.is_upload_expr(value.value, info)
        )
    return False


# Attributes and methods of an UploadFile, and of a pathlib path, that bytes do not have: a
# parameter used with one of them expects the file (or where it was saved), not its bytes.
_FILE_ATTRS = frozenset({"file", "filename", "content_type", "read", "seek", "headers"})
_PATH_ATTRS = frozenset(
    {"read_bytes", "read_text", "write_bytes", "write_text", "with_suffix", "with_name", "with_stem", "suffix",
     "stem", "parent", "exists", "is_file", "unlink", "stat", "open", "resolve", "rename", "replace", "touch"}
)
# Calls whose first argument is a path: bytes there are a file name that does not exist.
_PATH_CALLS = frozenset(
    {"builtins.open", "io.open", "pathlib.Path", "pathlib.PurePath", "os.remove", "os.unlink", "os.stat",
     "os.path.getsize", "os.path.exists", "os.path.basename", "os.path.splitext", "shutil.copy", "shutil.copyfile",
     "shutil.move", "aiofiles.open"}
)
_BYTES_TYPES = frozenset({"bytes", "bytearray", "memoryview", "str"})


def parameter_use(module: ModuleAnalysis, info: FunctionInfo, param: str, hops: int = 1) -> str | None:
    """How ``info`` treats its parameter ``param``: as a file or a path (the sign returned:
    ``"an UploadFile annotation"``, ``"as an UploadFile (.filename)"``, ``"as a path
    (.read_bytes())"``, ``"as a path (open())"``, ``"as a file (shutil.copyfileobj())"``),
    ``"bytes"`` (annotated bytes/str, or only used as data), or ``None`` when unknown.
    Follows the parameter one call further into the submission's own functions."""
    for p in (*info.node.params.posonly_params, *info.node.params.params, *info.node.params.kwonly_params):
        if p.name.value != param or p.annotation is None:
            continue
        if param in info.upload_params:
            return "an UploadFile annotation"
        annotation = p.annotation.annotation
        if isinstance(annotation, cst.Name) and annotation.value in _BYTES_TYPES:
            return "bytes"
    used = False
    for node in _find(info.node.body, (cst.Name,)):  # type: ignore[arg-type]
        if node.value != param:
            continue
        used = True
        parent = module.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            if parent.attr.value in _FILE_ATTRS:
                return f"as an UploadFile (.{parent.attr.value})"
            if parent.attr.value in _PATH_ATTRS:
                return f"as a path (.{parent.attr.value})"
        if isinstance(parent, cst.Arg):
            call = module.parent(parent)
            if not isinstance(call, cst.Call) or not call.args:
                continue
            first = call.args[0] is parent
            names = module.call_qualified_names(call)
            if first and "shutil.copyfileobj" in names:
                return "as a file (shutil.copyfileobj())"
            if first and names & _PATH_CALLS:
                return f"as a path ({sorted(names & _PATH_CALLS)[0].rsplit('.', 1)[-1]}())"
            if hops > 0 and parent.keyword is None:
                found = _use_in_callee(module, info, call, parent, hops)
                if found is not None and found != "bytes":
                    return found
    return "bytes" if used else None


def _use_in_callee(module: ModuleAnalysis, info: FunctionInfo, call: cst.Call, arg: cst.Arg, hops: int) -> str | None:
    resolved = module.resolve_callable(call.func, info)
    if resolved is None:
        return None
    target_module, target = resolved
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if arg not in positional:
        return None
    p = target.node.params
    params = [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]
    index = positional.index(arg)
    if index >= len(params):
        return None
    return parameter_use(target_module, target, params[index], hops - 1)


def closure_uses(
    module: ModuleAnalysis, inner: Callable, info: FunctionInfo, names: set[str]
) -> list[cst.Name]:
    """Uses of ``info``'s local ``names`` inside ``inner`` other than metadata reads.

    Scope metadata tells a closed-over name from the ``file`` in ``x.file`` or from an
    inner parameter that shadows it.
    """
    used: list[cst.Name] = []
    scope = module.scope(info.node.body)
    if scope is None:
        return used
    for name in names:
        if name not in scope:
            continue
        for assignment in scope[name]:
            for access in assignment.references:
                node = access.node
                if not isinstance(node, cst.Name) or not _inside(module, node, inner):
                    continue
                parent = module.parent(node)
                if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in METADATA_ATTRS:
                    continue
                used.append(node)
    return used


def _inside(module: ModuleAnalysis, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    current = module.parent(node)
    while current is not None:
        if current is container:
            return True
        current = module.parent(current)
    return False


def task_closure(module: ModuleAnalysis, call: AddTaskCall) -> Callable | None:
    """The lambda or nested ``def`` the task runs, when it is defined in the scheduling function."""
    func = call.func
    info = call.function
    if isinstance(func, cst.Lambda):
        return func
    if isinstance(func, cst.Name) and info is not None:
        nested = nested_function(module, info, func.value)
        if nested is not None:
            return nested.node
    return None


def nested_function(module: ModuleAnalysis, info: FunctionInfo, name: str) -> FunctionInfo | None:
    for candidate in module.functions:
        if candidate.parent is info and candidate.name == name:
            return candidate
    return None


# ----- which function a task runs ------------------------------------------------------
def task_target(module: ModuleAnalysis, call: AddTaskCall) -> cst.BaseExpression | None:
    """The expression naming the function the task runs (partial and lambda unwrapped)."""
    func = call.func
    if func is None:
        return None
    if is_partial(module, func):
        assert isinstance(func, cst.Call)
        return func.args[0].value if func.args else None
    if isinstance(func, cst.Lambda) and isinstance(func.body, cst.Call):
        return func.body.func
    return func


def resolve_callable(
    module: ModuleAnalysis, expr: cst.BaseExpression | None, info: FunctionInfo | None
) -> Resolved | None:
    """The submission's own ``def`` that ``expr`` names: nested, same module, imported, or
    reached through a module attribute (``tasks.process``)."""
    return module.resolve_callable(expr, info)


def resolve_task(module: ModuleAnalysis, call: AddTaskCall) -> Resolved | None:
    return resolve_callable(module, task_target(module, call), call.function)


def task_name(module: ModuleAnalysis, call: AddTaskCall) -> str:
    target = task_target(module, call)
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    return ""


# ----- what a task function does -------------------------------------------------------
_WRITE_MODE = re.compile(r"[wax]")


def _open_mode(call: cst.Call) -> str | None:
    for index, arg in enumerate(call.args):
        if (arg.keyword is not None and arg.keyword.value == "mode") or (arg.keyword is None and index == 1):
            if isinstance(arg.value, cst.SimpleString):
                value = arg.value.evaluated_value
                return value if isinstance(value, str) else None
            return None
    return "r"


def _call_name(module: ModuleAnalysis, call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def file_io(module: ModuleAnalysis, info: FunctionInfo) -> tuple[bool, bool]:
    """(writes a file, reads a file) somewhere in ``info``'s own body."""
    writes = reads = False
    for call in module.own_calls(info):
        name = _call_name(module, call)
        qualified = module.call_qualified_names(call)
        if name == "open" or "aiofiles.open" in qualified:
            mode = _open_mode(call)
            if mode is None:
                continue
            if _WRITE_MODE.search(mode):
                writes = True
            else:
                reads = True
        elif name in {"write_bytes", "write_text"} or qualified & {"shutil.copyfileobj", "shutil.copy", "shutil.copyfile", "shutil.move"}:
            writes = True
        elif name in {"read_bytes", "read_text", "read_csv", "read_excel", "read_json"}:
            reads = True
    return writes, reads


def has_try(info: FunctionInfo) -> bool:
    """A ``try`` (or ``contextlib.suppress``) in ``info``'s own body."""
    for node in _find(info.node.body, (cst.Try, cst.TryStar), stop=(cst.FunctionDef,)):  # type: ignore[arg-type]
        if node.handlers:
            return True
    return False


def uses_suppress(module: ModuleAnalysis, info: FunctionInfo) -> bool:
    return any("contextlib.suppress" in module.call_qualified_names(c) for c in module.own_calls(info))


_LOGGER_NAME = re.compile(r"(^|_)(log|logger|logging|_logger|LOGGER|LOG)$|logger", re.IGNORECASE)
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


def logs(module: ModuleAnalysis, info: FunctionInfo) -> bool:
    """A ``logging``/logger call in ``info``'s own body."""
    for call in module.own_calls(info):
        if any(q.startswith("logging.") or q.startswith("loguru.") for q in module.call_qualified_names(call)):
            return True
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _LOG_METHODS:
            receiver = func.value
            if isinstance(receiver, cst.Name) and _LOGGER_NAME.search(receiver.value):
                return True
            if isinstance(receiver, cst.Attribute) and _LOGGER_NAME.search(receiver.attr.value):
                return True
    return False


def called_functions(module: ModuleAnalysis, info: FunctionInfo) -> Iterator[Resolved]:
    """The submission's own functions that ``info`` calls directly."""
    for call in module.own_calls(info):
        resolved = resolve_callable(module, call.func, info)
        if resolved is not None and resolved[1] is not info:
            yield resolved
