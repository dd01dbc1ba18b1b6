"""What INT001 looks for: code that reaches into the grader or the runtime's bookkeeping.

Each check answers one question about one node and returns a plain-language description
of what the code reaches into (``None``: nothing). The rule module turns the answers into
findings; ``tests/test_integrity_rule.py`` holds the attacks and the look-alikes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from grader.static.analysis import ModuleAnalysis, _find

GRADER_PACKAGE = "grader"
MEMORY_MODULES = frozenset({"ctypes", "_ctypes"})
OBJECT_GRAPH = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents"})
FRAME_FUNCTIONS = frozenset(
    {
        "sys._getframe",
        "sys._current_frames",
        "inspect.currentframe",
        "inspect.stack",
        "inspect.trace",
        "inspect.getouterframes",
        "inspect.getinnerframes",
    }
)
FRAME_ATTRIBUTES = frozenset(
    {"f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame"}
)
# functions whose listed arguments are file descriptors
DESCRIPTOR_ARGS = {
    "os.write": (0,),
    "os.read": (0,),
    "os.pwrite": (0,),
    "os.writev": (0,),
    "os.dup": (0,),
    "os.dup2": (0, 1),
    "os.fdopen": (0,),
    "os.close": (0,),
    "os.closerange": (0,),
    "os.lseek": (0,),
    "os.ftruncate": (0,),
    "os.fsync": (0,),
    "os.sendfile": (0, 1),
    "os.set_blocking": (0,),
    "fcntl.fcntl": (0,),
    "fcntl.ioctl": (0,),
    "socket.fromfd": (0,),
    "mmap.mmap": (0,),
    "builtins.open": (0,),
    "io.open": (0,),
}
# Packages whose globals the server, the event loop or the grader's observation rely on:
# rebinding one of their attributes (``time.time = ...``, ``BackgroundTasks.add_task = ...``)
# is flagged. Configuration globals of data libraries (``PIL.Image.MAX_IMAGE_PIXELS``,
# ``pandas.options``) are ordinary code and are not.
RUNTIME_PACKAGES = frozenset(
    {
        "time", "datetime", "sys", "builtins", "os", "io", "socket", "selectors", "select", "signal",
        "threading", "_thread", "gc", "importlib", "inspect", "multiprocessing", "subprocess",
        "concurrent", "contextvars", "resource", "pathlib", "shutil", "tempfile", "asyncio",
        "anyio", "sniffio", "starlette", "fastapi", "uvicorn", "httpx", "h11", "multipart",
        "python_multipart", "aiofiles", GRADER_PACKAGE,
    }
)
_CLOCKS = frozenset({"time", "datetime"})
_OWN_PROC = re.compile(r"^/proc/(self|thread-self|\d+)(/|$)")
_IMPORTERS = frozenset({"importlib.import_module", "builtins.__import__"})


@dataclass(frozen=True)
class Reach:
    node: cst.CSTNode
    what: str


def reaches(module: ModuleAnalysis) -> Iterator[Reach]:
    """Every place the module reaches into the grader or the runtime, in source order."""
    imports = imported_modules(module)
    for node in module.all_nodes:
        check = _CHECKS.get(type(node))
        found = check(module, node, imports) if check is not None else None
        if found is not None:
            yield Reach(node, found)


def _check_import(module: ModuleAnalysis, node: cst.Import, imports: dict[str, str]) -> str | None:
    return _import(module, [module.code(alias.name) for alias in node.names])


def _check_import_from(module: ModuleAnalysis, node: cst.ImportFrom, imports: dict[str, str]) -> str | None:
    if node.relative or node.module is None:
        return None  # the submission's own modules
    return _import(module, [module.code(node.module)])


def _check_reference(module: ModuleAnalysis, node: cst.Attribute | cst.Name, imports: dict[str, str]) -> str | None:
    return _reference(module, node)


def _check_string(
    module: ModuleAnalysis, node: cst.SimpleString | cst.FormattedString, imports: dict[str, str]
) -> str | None:
    if isinstance(node, cst.SimpleString) and "/proc" not in node.value:
        return None  # cheap: most strings are not paths under /proc
    return _proc_path(module, node)


# ----- imports ---------------------------------------------------------------------------
def _import(module: ModuleAnalysis, names: list[str]) -> str | None:
    for name in names:
        top = name.split(".")[0]
        if top == GRADER_PACKAGE and not _is_local(module, top):
            return f"it imports {name}, part of the grader itself"
        if top in MEMORY_MODULES and not _is_local(module, top):
            return f"it loads {top}, which reads and writes the process's memory directly"
    return None


def _is_local(module: ModuleAnalysis, top: str) -> bool:
    """The submission has its own module of that name, which its imports then mean (a
    built-in module such as ``time`` or ``sys`` cannot be shadowed by a file)."""
    if top in sys.builtin_module_names:
        return False
    return module.project is not None and module.project.has_module(top)


# ----- calls -----------------------------------------------------------------------------
# The last part of the names ``_call`` looks for: other calls are not asked their qualified name.
_CALL_NAMES = frozenset(
    {name.rsplit(".", 1)[-1] for name in (*DESCRIPTOR_ARGS, *_IMPORTERS)} | {"setattr", "delattr", "socket"}
)


def _call(module: ModuleAnalysis, call: cst.Call, imports: dict[str, str]) -> str | None:
    func = call.func
    last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if last not in _CALL_NAMES:
        return None
    names = module.call_qualified_names(call)
    if names & _IMPORTERS and call.args:
        target = call.args[0].value
        if isinstance(target, cst.SimpleString) and isinstance(target.evaluated_value, str):
            return _import(module, [target.evaluated_value])
    if "builtins.setattr" in names or "builtins.delattr" in names:
        owner = call.args[0].value if call.args else None
        if owner is not None:
            foreign = _foreign_module_path(module, owner, imports)
            if foreign is not None:
                name = call.args[1].value if len(call.args) > 1 else None
                attribute = name.evaluated_value if isinstance(name, cst.SimpleString) else "<attribute>"
                return _rebind_text(f"{foreign}.{attribute}", foreign)
    for name in sorted(names):
        positions = DESCRIPTOR_ARGS.get(name)
        if positions is None:
            continue
        for index in positions:
            value = _positional(call, index)
            descriptor = _foreign_descriptor(module, call, value) if value is not None else None
            if descriptor is not None:
                shown = name.removeprefix("builtins.")
                return f"it calls {shown}() on descriptor {descriptor}, which this code did not open"
    if "socket.socket" in names:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "fileno":
                descriptor = _foreign_descriptor(module, call, arg.value)
                if descriptor is not None:
                    return (
                        f"it calls socket.socket(fileno=...) on descriptor {descriptor}, which this code did not open"
                    )
    return None


def _positional(call: cst.Call, index: int) -> cst.BaseExpression | None:
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def _foreign_descriptor(
    module: ModuleAnalysis, call: cst.Call, value: cst.BaseExpression, depth: int = 0
) -> str | None:
    """An integer literal >= 3 (the runtime's and the grader's descriptors), a loop over
    ``range(3, ...)``, or a number taken from a listing of ``/proc/<pid>/fd``."""
    if depth > 3:
        return None
    if isinstance(value, cst.Integer):
        number = int(value.evaluated_value)
        return str(number) if number >= 3 else None
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "int" and value.args:
        return _foreign_descriptor(module, call, value.args[0].value, depth + 1)
    if isinstance(value, cst.Name):
        info = module.function_of(call)
        assigned = info.value_of(value.value) if info is not None else None
        if assigned is not None:
            return _foreign_descriptor(module, call, assigned, depth + 1)
        for loop in _find(module.module, cst.For):
            if isinstance(loop.target, cst.Name) and loop.target.value == value.value:
                return _loop_descriptors(module, loop.iter)
    return None


def _loop_descriptors(module: ModuleAnalysis, iterable: cst.BaseExpression) -> str | None:
    if isinstance(iterable, cst.Call) and module.is_qualified(iterable.func, frozenset({"builtins.range"})):
        first = iterable.args[0].value if len(iterable.args) >= 2 else None
        if isinstance(first, cst.Integer) and int(first.evaluated_value) >= 3:
            return f"{int(first.evaluated_value)} and up"
        return None
    strings = _find(iterable, (cst.SimpleString, cst.FormattedString))  # type: ignore[arg-type]
    if any(_OWN_PROC.match(_text(s)) for s in strings):
        return "listed from /proc"
    return None


# ----- references ------------------------------------------------------------------------
_REFERENCE_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in OBJECT_GRAPH | FRAME_FUNCTIONS)


def _reference(module: ModuleAnalysis, node: cst.Attribute | cst.Name) -> str | None:
    last = node.attr.value if isinstance(node, cst.Attribute) else node.value
    if isinstance(node, cst.Attribute) and last in FRAME_ATTRIBUTES:
        return f"it reads .{last}, the internals of running code (call frames)"
    if last not in _REFERENCE_NAMES:
        return None  # cheap filter: qualified names are asked only for these last names
    parent = module.parent(node)
    if isinstance(parent, cst.Attribute) and parent.value is node:
        return None  # the inner part of a longer name: reported once, on the whole name
    names = module.qualified_names(node)
    if names & OBJECT_GRAPH:
        found = sorted(names & OBJECT_GRAPH)[0]
        return f"it calls {found}, which lists the interpreter's live objects (the grader's too)"
    if names & FRAME_FUNCTIONS:
        return f"it calls {sorted(names & FRAME_FUNCTIONS)[0]}, which inspects the call frames of running code"
    return None


def _text(node: cst.CSTNode) -> str:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else ""
    if isinstance(node, cst.FormattedString):
        return "".join(p.value if isinstance(p, cst.FormattedStringText) else "{}" for p in node.parts)
    return ""


def _proc_path(module: ModuleAnalysis, node: cst.SimpleString | cst.FormattedString) -> str | None:
    """``"/proc/self/fd"``, ``f"/proc/{pid}/environ"``, ``Path("/proc") / "self"``,
    ``os.path.join("/proc", str(pid))``. System-wide files (``/proc/cpuinfo``,
    ``/proc/meminfo``) are ordinary reads."""
    text = _text(node)
    if _OWN_PROC.match(text) or text.startswith("/proc/{}"):
        return f"it opens {text.replace('{}', '<pid>')}, the running process's own bookkeeping (open files, memory)"
    if text.rstrip("/") != "/proc":
        return None
    # climb the path expression the literal is part of: Path("/proc") / "self" / "fd"
    current: cst.CSTNode = node
    pieces: list[str] = []
    computed = False
    for _ in range(4):
        parent = module.parent(current)
        if isinstance(parent, cst.Arg):
            parent = module.parent(parent)
        if not isinstance(parent, (cst.Call, cst.BinaryOperation)):
            break
        for value in _argument_values(parent):
            if value is current:
                continue
            if isinstance(value, (cst.SimpleString, cst.FormattedString)):
                pieces.append(_text(value).strip("/"))
            elif isinstance(value, (cst.Name, cst.Call, cst.Attribute)) and not _is_path_call(module, value):
                computed = True
        current = parent
    if computed or any(p.split("/")[0] in {"self", "thread-self", "{}"} or p.split("/")[0].isdigit() for p in pieces):
        return "it builds a path under /proc/<pid>, the running process's own bookkeeping (open files, memory)"
    return None


def _is_path_call(module: ModuleAnalysis, value: cst.BaseExpression) -> bool:
    """``Path("/proc")`` itself, seen from the ``/`` around it."""
    return isinstance(value, cst.Call) and bool(
        module.call_qualified_names(value) & {"pathlib.Path", "pathlib.PurePath", "os.path.join"}
    )


def _argument_values(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.Call):
        return [a.value for a in node.args]
    if isinstance(node, cst.BinaryOperation):
        return [node.left, node.right]
    return []


# ----- rebinding another module's globals ------------------------------------------------
def imported_modules(module: ModuleAnalysis) -> dict[str, str]:
    """Local name -> what it was imported from, for absolute imports of modules that are not
    the submission's own (``import time``, ``from starlette import background``,
    ``from fastapi import BackgroundTasks``)."""
    found: dict[str, str] = {}
    for node in module.all_nodes:
        if type(node) is not cst.Import and type(node) is not cst.ImportFrom:
            continue
        if isinstance(node, cst.Import):
            for alias in node.names:
                dotted = module.code(alias.name)
                local = alias.evaluated_alias or dotted.split(".")[0]
                source = dotted if alias.asname else dotted.split(".")[0]
                if not _is_local(module, dotted.split(".")[0]):
                    found[local] = source
        elif not node.relative and node.module is not None and not isinstance(node.names, cst.ImportStar):
            base = module.code(node.module)
            if _is_local(module, base.split(".")[0]):
                continue
            for alias in node.names:
                name = module.code(alias.name)
                found[alias.evaluated_alias or name] = f"{base}.{name}"
    return found


def _foreign_module_path(module: ModuleAnalysis, expr: cst.BaseExpression, imports: dict[str, str]) -> str | None:
    """``time`` / ``starlette.background`` / ``BackgroundTasks``: a dotted name rooted in an
    import of one of the runtime's packages (not a local variable of the same name)."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    if any("<locals>" in name for name in module.qualified_names(expr)):
        return None  # a parameter or local variable that shadows the import
    source = imports.get(expr.value)
    if source is None or source.split(".")[0] not in RUNTIME_PACKAGES:
        return None
    return ".".join([source, *reversed(parts)])


def _targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AugAssign, cst.AnnAssign)):
        return [node.target]
    if isinstance(node, cst.Del):
        target = node.target
        return [e.value for e in target.elements] if isinstance(target, cst.Tuple) else [target]
    return []


def _rebinding(module: ModuleAnalysis, node: cst.CSTNode, imports: dict[str, str]) -> str | None:
    for target in _targets(node):
        for single in ([e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]):
            if isinstance(single, cst.Subscript) and module.is_qualified(single.value, frozenset({"sys.modules"})):
                return "it replaces an entry of sys.modules, the interpreter's table of loaded modules"
            if not isinstance(single, cst.Attribute):
                continue
            owner = _foreign_module_path(module, single.value, imports)
            if owner is not None:
                return _rebind_text(f"{owner}.{single.attr.value}", owner)
    return None


def _rebind_text(target: str, owner: str) -> str:
    if owner.split(".")[0] in _CLOCKS:
        return f"it rebinds {target}, the clock other code reads (the grader's timing too)"
    return f"it replaces {target}, which belongs to {owner.split('.')[0]} (code the server runs on)"


_CHECKS = {
    cst.Import: _check_import,
    cst.ImportFrom: _check_import_from,
    cst.Call: _call,
    cst.Attribute: _check_reference,
    cst.Name: _check_reference,
    cst.SimpleString: _check_string,
    cst.FormattedString: _check_string,
    cst.Assign: _rebinding,
    cst.AugAssign: _rebinding,
    cst.AnnAssign: _rebinding,
    cst.Del: _rebinding,
}
