"""Where the upload goes: its object, its client-chosen filename and its bytes.

Local, short dataflow for SEC001, UP001, UP002 and AS001: an expression is traced back
through at most a few single assignments (``name = file.filename; path = f"up/{name}"``),
through closures (a nested def using the endpoint's ``file``), and into a background task
whose parameter receives an upload-derived argument (``add_task(save, file.filename)``).
Anything the tracer does not understand is treated as clean: false positives are worse
than misses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

import libcst as cst

from grader.static.analysis import FunctionInfo, ModuleAnalysis
from grader.static.walk import own_nodes

MAX_DEPTH = 6
# String methods that keep a filename a filename (``.replace`` etc. may sanitise: stop).
KEEPS_NAME = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title"})
# Calls and pathlib methods that build a path from their argument and keep every part of
# it (``os.path.basename``, ``Path(...).name`` keep only the last part: not listed).
PATH_BUILDERS = frozenset(
    {
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "pathlib.PurePosixPath",
        "pathlib.WindowsPath",
        "pathlib.PureWindowsPath",
        "anyio.Path",
        "os.path.join",
        "posixpath.join",
        "ntpath.join",
        "os.path.abspath",
        "os.path.normpath",
        "os.path.realpath",
        "os.path.expanduser",
        "os.path.dirname",
        "os.fspath",
        "builtins.str",
    }
)
_KEEPS_PATH = frozenset({"resolve", "absolute", "with_suffix", "joinpath", "expanduser", "as_posix", "with_stem"})
_PATH_ATTRIBUTES = frozenset({"parent"})
UPLOAD_READ_METHODS = frozenset({"read", "readline", "readlines"})


class Kind(Enum):
    UPLOAD = "upload"  # the UploadFile or its ``.file`` stream
    FILENAME = "filename"  # the client-chosen ``.filename`` (or a string built from it)
    CONTENT = "content"  # bytes read from the upload


@dataclass
class Flow:
    """A function analysed with optional seeds: task parameters known to carry upload data."""

    module: ModuleAnalysis
    info: FunctionInfo
    seeds: dict[str, Kind] = field(default_factory=dict)
    # for a task analysed through ``add_task``: the endpoint (or function) that scheduled it
    caller: Flow | None = None
    # seeded parameter -> the argument the caller passed (where its value comes from)
    sources: dict[str, cst.BaseExpression] = field(default_factory=dict)

    def params(self) -> list[str]:
        p = self.info.node.params
        return [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]

    def _is_local(self, name: str) -> bool:
        if name in self.info.assignments or name in self.params():
            return True
        body = self.info.node.body
        statements = getattr(body, "body", ())
        if not statements:
            return False
        scope = self.module.scope(statements[0])
        # for-loop targets, ``with ... as``, imports: bound here, so not a closure variable
        return scope is not None and name in scope.assignments

    def kinds(self, expr: cst.BaseExpression, depth: int = 0) -> set[Kind]:
        """What upload data ``expr`` carries (empty set: none that we can prove)."""
        if depth > MAX_DEPTH:
            return set()
        if isinstance(expr, cst.Await):
            return self.kinds(expr.expression, depth)
        if isinstance(expr, cst.Name):
            return self._name_kinds(expr.value, depth)
        if isinstance(expr, cst.Attribute):
            base = self.kinds(expr.value, depth)
            if Kind.UPLOAD in base and expr.attr.value == "filename":
                return {Kind.FILENAME}
            if Kind.UPLOAD in base and expr.attr.value == "file":
                return {Kind.UPLOAD}
            if Kind.FILENAME in base and expr.attr.value in _PATH_ATTRIBUTES:
                return {Kind.FILENAME}
            return set()
        if isinstance(expr, cst.Call):
            return self._call_kinds(expr, depth)
        if isinstance(expr, cst.FormattedString):
            return self._any_filename(
                [p.expression for p in expr.parts if isinstance(p, cst.FormattedStringExpression)], depth
            )
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo, cst.Divide)):
            return self._any_filename([expr.left, expr.right], depth)
        if isinstance(expr, cst.ConcatenatedString):
            return self._any_filename([expr.left, expr.right], depth)
        return set()

    def _any_filename(self, parts: list[cst.BaseExpression], depth: int) -> set[Kind]:
        if any(Kind.FILENAME in self.kinds(p, depth + 1) for p in parts):
            return {Kind.FILENAME}
        return set()

    def _name_kinds(self, name: str, depth: int) -> set[Kind]:
        if name in self.seeds:
            return {self.seeds[name]}
        if name in self.info.upload_params:
            return {Kind.UPLOAD}
        if self._is_local(name):
            value = self.info.value_of(name)
            if value is not None:
                return self.kinds(value, depth + 1)
            # ``for f in files`` where ``files: list[UploadFile]``
            for loop in own_nodes(self.info.node.body, cst.For):
                if isinstance(loop.target, cst.Name) and loop.target.value == name:
                    if Kind.UPLOAD in self.kinds(loop.iter, depth + 1):
                        return {Kind.UPLOAD}
            return set()
        if self.info.parent is not None:
            # a closure: the nested def reads the enclosing function's variable
            return Flow(self.module, self.info.parent).kinds(cst.Name(name), depth + 1)
        return set()

    def _call_kinds(self, call: cst.Call, depth: int) -> set[Kind]:
        func = call.func
        if isinstance(func, cst.Attribute):
            target = self.kinds(func.value, depth + 1)
            method = func.attr.value
            if Kind.UPLOAD in target and method in UPLOAD_READ_METHODS:
                return {Kind.CONTENT}
            if Kind.FILENAME in target and (method in KEEPS_NAME or method in _KEEPS_PATH):
                return {Kind.FILENAME}
            if method == "joinpath":
                return self._any_filename([a.value for a in call.args], depth)
            if method == "format" and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString)):
                return self._any_filename([a.value for a in call.args], depth)
            if method == "join" and isinstance(func.value, cst.SimpleString) and call.args:
                # ``"/".join(["uploads", name])``
                items = call.args[0].value
                parts = [e.value for e in items.elements] if isinstance(items, (cst.List, cst.Tuple)) else [items]
                return self._any_filename(parts, depth)
            if not self.module.is_qualified(func, PATH_BUILDERS):
                return set()
        elif not (isinstance(func, cst.Name) and self.module.is_qualified(func, PATH_BUILDERS)):
            return set()
        # ``os.path.join("uploads", name)``, ``Path(name)``, ``str(path)``: every part kept
        return self._any_filename([a.value for a in call.args if not a.star], depth)

    def is_bare_filename(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """``file.filename`` itself (through local names or ``.lower()``-like methods)."""
        if depth > MAX_DEPTH:
            return False
        if isinstance(expr, cst.Attribute) and expr.attr.value == "filename":
            return Kind.UPLOAD in self.kinds(expr.value)
        if isinstance(expr, cst.Name) and expr.value in self.seeds:
            return self.seeds[expr.value] is Kind.FILENAME
        if isinstance(expr, cst.Name) and self.info.value_of(expr.value) is not None:
            return self.is_bare_filename(self.info.value_of(expr.value), depth + 1)  # type: ignore[arg-type]
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in KEEPS_NAME:
            return self.is_bare_filename(expr.func.value, depth + 1)
        return False

    def is_whole_upload_read(self, call: cst.Call) -> bool:
        """``<upload>.read()`` / ``<upload>.file.read()`` with no size: the whole upload."""
        func = call.func
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value == "read"
            and not call.args
            and Kind.UPLOAD in self.kinds(func.value)
        )

    def is_upload_stream_read(self, call: cst.Call) -> bool:
        """``<upload>.file.read(...)`` (any size): a synchronous read of the spooled file."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in UPLOAD_READ_METHODS):
            return False
        target = func.value
        if isinstance(target, cst.Attribute) and target.attr.value == "file":
            return Kind.UPLOAD in self.kinds(target.value)
        if isinstance(target, cst.Name) and self._is_local(target.value):
            value = self.info.value_of(target.value)
            return (
                isinstance(value, cst.Attribute)
                and value.attr.value == "file"
                and Kind.UPLOAD in self.kinds(value.value)
            )
        return False


def in_add_task_args(module: ModuleAnalysis, node: cst.CSTNode) -> bool:
    """``node`` sits inside the arguments of an ``add_task`` call (BG001's territory)."""
    for task in module.add_task_calls:
        for arg in task.args:
            if any(n is node for n in own_nodes(arg.value, type(node))):
                return True
    return False


@dataclass
class TaskBinding:
    """One ``add_task`` call resolved to the submission's task function, with which task
    parameter receives which argument."""

    caller: Flow
    task_module: ModuleAnalysis
    task: FunctionInfo
    arguments: list[tuple[str, cst.Arg]]


def task_bindings(module: ModuleAnalysis) -> Iterator[TaskBinding]:
    """Every ``add_task(fn, ...)`` in the module whose ``fn`` is found in the submission."""
    for call in module.add_task_calls:
        if call.func is None or call.function is None:
            continue
        resolved = module.resolve_callable(call.func, call.function)
        if resolved is None:
            continue
        task_module, task_info = resolved
        params = Flow(task_module, task_info).params()
        positional = [a for a in call.args if a.keyword is None and not a.star]
        keywords = [a for a in call.args if a.keyword is not None]
        # ``functools.partial(save, x)``: partial's own arguments come first
        if isinstance(call.func, cst.Call):
            positional = [a for a in call.func.args[1:] if a.keyword is None and not a.star] + positional
            keywords = [a for a in call.func.args if a.keyword is not None] + keywords
        pairs = [(params[i], arg) for i, arg in enumerate(positional) if i < len(params)]
        pairs += [(a.keyword.value, a) for a in keywords if a.keyword is not None and a.keyword.value in params]
        yield TaskBinding(Flow(module, call.function), task_module, task_info, pairs)


def task_flows(module: ModuleAnalysis) -> Iterator[Flow]:
    """For each resolved ``add_task(fn, args...)``, ``fn`` analysed with the parameters that
    receive upload data seeded."""
    for binding in task_bindings(module):
        caller = binding.caller
        seeds: dict[str, Kind] = {}
        for param, arg in binding.arguments:
            for kind in caller.kinds(arg.value):
                # A path already built from the filename was reported where it was built;
                # the task is followed only when it receives the bare filename.
                if kind is Kind.FILENAME and not caller.is_bare_filename(arg.value):
                    continue
                seeds[param] = kind
        if seeds:
            yield Flow(binding.task_module, binding.task, seeds, caller)


def all_flows(module: ModuleAnalysis) -> Iterator[Flow]:
    """Every function of the module as is, then every resolved task with its seeds."""
    for info in module.functions:
        yield Flow(module, info)
    yield from task_flows(module)
