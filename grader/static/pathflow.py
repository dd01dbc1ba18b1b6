"""Where the client-chosen upload filename becomes a filesystem path that is opened (SEC001).

A flow starts where the code reads ``<upload>.filename`` and ends at an I/O operation on
a path built from it: ``open(...)``, ``aiofiles.open``, ``Path.open``/``write_bytes``...,
``shutil.copy``/``move``, ``os.rename``/``remove``/``makedirs``. In between, the name may be
put into a path (f-string, ``+``, ``%``, ``os.path.join``, ``Path(...)``, ``/``), stored in
local variables, captured by a nested function, and handed to a background task, a helper
or an executor (``handoffs``), up to two hops. A flow whose path is never opened is not a
flow. Each flow is reported once, where the client's name is first put into a path (where
the fix goes), however many operations use that path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from grader.static.analysis import ModuleAnalysis, _find
from grader.static.handoffs import Handoff, Unresolved, handoffs
from grader.static.uploadflow import KEEPS_NAME, Flow, Kind
from grader.static.walk import own_nodes

# Calls whose first argument (or ``file=``) is a path they open.
_OPENERS = frozenset(
    {
        "builtins.open",
        "io.open",
        "os.open",
        "aiofiles.open",
        "anyio.open_file",
        "gzip.open",
        "bz2.open",
        "lzma.open",
        "tarfile.open",
        "zipfile.ZipFile",
        "PIL.Image.open",
        "cv2.imread",
        "cv2.imwrite",
    }
)
# Calls any of whose positional arguments is a path they act on.
_PATH_OPERATIONS = frozenset(
    {
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.move",
        "shutil.rmtree",
        "os.rename",
        "os.replace",
        "os.remove",
        "os.unlink",
        "os.makedirs",
        "os.mkdir",
        "os.rmdir",
        "os.symlink",
        "os.link",
        "aiofiles.os.remove",
        "aiofiles.os.rename",
        "aiofiles.os.makedirs",
    }
)
# ``<path>.open()``, ``<path>.write_bytes(...)``: the receiver is the path.
_PATH_METHODS = frozenset(
    {"open", "write_bytes", "write_text", "read_bytes", "read_text", "mkdir", "touch", "unlink", "rename",
     "replace", "rmdir", "symlink_to", "hardlink_to"}
)
# ``image.save(path)``, ``frame.to_csv(path)``: the first argument is the path.
_WRITER_METHODS = frozenset({"save", "to_csv", "to_excel", "to_json", "to_parquet", "to_pickle"})
_PATH_KEYWORDS = frozenset({"file", "path", "src", "dst", "fp", "filename"})
MAX_HOPS = 2
# Calls that mean "is this path still inside the folder?" when a check tests them.
_CONTAINMENT_CHECKS = frozenset({"is_relative_to", "commonpath", "commonprefix", "startswith", "relative_to"})
# Calls on the filename that do not check it for path parts.
_NOT_VALIDATORS = frozenset({"len", "bool", "str", "isinstance", "print", "endswith", "lower", "upper", "strip"})


@dataclass(frozen=True)
class PathSink:
    """An operation on a path that carries the client's filename."""

    flow: Flow  # the function the operation is in
    node: cst.CSTNode  # the operation (or the hand-off to a task the analysis cannot see)
    path: cst.BaseExpression  # the argument that carries the name
    chain: tuple[Flow, ...]  # the functions the name went through, the first one included
    opened: bool  # False: handed to a task that cannot be followed


@dataclass(frozen=True)
class Origin:
    """Where the client's name is first put into a path (``built``), or the bare name."""

    flow: Flow
    node: cst.BaseExpression
    built: bool


def path_sinks(flow: Flow, chain: tuple[Flow, ...] = (), hops: int = 0) -> Iterator[PathSink]:
    """Every operation on a filename-carrying path in ``flow`` and the functions it hands
    the path to, in source order of the calls."""
    chain = (*chain, flow)
    module = flow.module
    for call in own_nodes(flow.info.node.body, cst.Call):
        for path in _opened_paths(module, call):
            if Kind.FILENAME in flow.kinds(path):
                yield PathSink(flow, call, path, chain, True)
                break
    if hops >= MAX_HOPS:
        return
    for handoff in handoffs(module, flow.info):
        if isinstance(handoff, Unresolved):
            if not handoff.deferred:
                continue
            for value in handoff.values:
                origin = origin_of(flow, value) if Kind.FILENAME in flow.kinds(value) else None
                if origin is not None and origin.built and _path_shaped(origin):
                    yield PathSink(flow, handoff.call, value, chain, False)
                    break
            continue
        yield from _follow(flow, handoff, chain, hops)


def _follow(flow: Flow, handoff: Handoff, chain: tuple[Flow, ...], hops: int) -> Iterator[PathSink]:
    seeds: dict[str, Kind] = {}
    for param, value in handoff.arguments:
        kinds = flow.kinds(value)
        if Kind.FILENAME in kinds or Kind.UPLOAD in kinds:  # the name, or the upload that has it
            seeds[param] = Kind.FILENAME if Kind.FILENAME in kinds else Kind.UPLOAD
    if not seeds or any(f.info is handoff.target for f in chain):
        return
    sources = {param: value for param, value in handoff.arguments if param in seeds}
    task = Flow(handoff.target_module, handoff.target, seeds, flow, sources)
    yield from path_sinks(task, chain, hops + 1)


def _opened_paths(module: ModuleAnalysis, call: cst.Call) -> list[cst.BaseExpression]:
    """The arguments of ``call`` that it opens as paths (empty: not an I/O operation)."""
    names = module.call_qualified_names(call)
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = [a.value for a in call.args if a.keyword is not None and a.keyword.value in _PATH_KEYWORDS]
    if names & _OPENERS:
        return positional[:1] + keywords
    if names & _PATH_OPERATIONS:
        return positional + keywords
    func = call.func
    if isinstance(func, cst.Attribute):
        if func.attr.value in _PATH_METHODS:
            return [func.value]
        if func.attr.value in _WRITER_METHODS:
            return positional[:1] + keywords
    return []


def origin_of(flow: Flow, expr: cst.BaseExpression, depth: int = 0) -> Origin | None:
    """The innermost expression that put the client's filename into ``expr``'s value,
    followed back through local names, closures and task arguments."""
    if depth > 12:
        return None
    if isinstance(expr, cst.Await):
        return origin_of(flow, expr.expression, depth + 1)
    if isinstance(expr, cst.Name):
        return _name_origin(flow, expr.value, depth)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "filename" and Kind.UPLOAD in flow.kinds(expr.value):
        return Origin(flow, expr, built=False)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in KEEPS_NAME:
        return origin_of(flow, expr.func.value, depth + 1)  # ``name.lower()`` is still the bare name
    for part in _parts(expr):
        if Kind.FILENAME in flow.kinds(part):
            inner = origin_of(flow, part, depth + 1)
            if inner is None or not inner.built:
                return Origin(flow, expr, built=True)
            return inner
    return None


def _name_origin(flow: Flow, name: str, depth: int) -> Origin | None:
    if name in flow.sources and flow.caller is not None:
        return origin_of(flow.caller, flow.sources[name], depth + 1)
    if name in flow.info.assignments or name in flow.params():
        value = flow.info.value_of(name)
        return origin_of(flow, value, depth + 1) if value is not None else None
    if flow.info.parent is not None:
        return _name_origin(Flow(flow.module, flow.info.parent), name, depth + 1)
    return None


def _parts(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The sub-expressions a path-building expression is made of, in source order."""
    if isinstance(expr, cst.FormattedString):
        return [p.expression for p in expr.parts if isinstance(p, cst.FormattedStringExpression)]
    if isinstance(expr, (cst.BinaryOperation, cst.ConcatenatedString)):
        return [expr.left, expr.right]
    if isinstance(expr, cst.Attribute):
        return [expr.value]
    if isinstance(expr, cst.Call):
        func = expr.func
        receiver = [func.value] if isinstance(func, cst.Attribute) else []
        args = [a.value for a in expr.args if not a.star]
        if isinstance(func, cst.Attribute) and func.attr.value == "join" and args:
            items = args[0]
            if isinstance(items, (cst.List, cst.Tuple)):
                return [e.value for e in items.elements]
        return receiver + args
    return []


def _path_shaped(origin: Origin) -> bool:
    """A path, not a label: built by a path call (not ``str``) or ``/``, or with a ``/`` in
    its text."""
    node = origin.node
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
        return True
    if isinstance(node, cst.Call) and not (isinstance(node.func, cst.Name) and node.func.value == "str"):
        return True
    texts = [n.value for n in _find(node, (cst.SimpleString, cst.FormattedStringText))]  # type: ignore[arg-type]
    return any("/" in t or "\\" in t for t in texts)


def glued_prefix(origin: Origin) -> bool:
    """The client's name is glued after other text in the same path component
    (``f"uploads/{uuid4().hex}_{name}"``, ``"saved_" + name``): then a ``/`` in the name
    cannot climb out on POSIX without folders that do not exist (see SEC001)."""
    node = origin.node
    flow = origin.flow
    if isinstance(node, cst.FormattedString):
        previous: cst.CSTNode | None = None
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression) and Kind.FILENAME in flow.kinds(part.expression):
                if isinstance(previous, cst.FormattedStringText):
                    return bool(previous.value) and not previous.value.endswith(("/", "\\"))
                return previous is not None
            previous = part
        return False
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        if Kind.FILENAME in flow.kinds(node.left):
            return False
        text = _literal_text(flow, node.left)
        return text is not None and bool(text) and not text.endswith(("/", "\\"))
    return False


def _literal_text(flow: Flow, expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.FormattedString) and expr.parts and isinstance(expr.parts[-1], cst.FormattedStringText):
        return expr.parts[-1].value
    if isinstance(expr, cst.Name):
        value = flow.info.value_of(expr.value)
        return _literal_text(flow, value) if value is not None else None
    return None


# ----- what makes a flow safe -----------------------------------------------------------
def sanitised(chain: tuple[Flow, ...]) -> bool:
    """A function the name went through (or one enclosing it) checks the name and rejects
    it, or replaces ``file.filename`` with a name of its own."""
    seen: set[int] = set()
    for flow in chain:
        current: Flow | None = flow
        while current is not None:
            if id(current.info) not in seen:
                seen.add(id(current.info))
                if validates_filename(current) or replaces_filename(current):
                    return True
            parent = current.info.parent
            current = Flow(current.module, parent) if parent is not None else None
    return False


def replaces_filename(flow: Flow) -> bool:
    """``file.filename = f"{uuid4().hex}.csv"``: the client's name is overwritten by one
    that does not contain it (``f"{file.filename}_{ctime}"`` still does: not a replacement)."""
    for assign in own_nodes(flow.info.node.body, cst.Assign):
        for target in assign.targets:
            node = target.target
            if isinstance(node, cst.Attribute) and node.attr.value == "filename":
                if Kind.UPLOAD in flow.kinds(node.value) and Kind.FILENAME not in flow.kinds(assign.value):
                    return True
    return False


def validates_filename(flow: Flow) -> bool:
    """A check on the name or the path built from it that rejects (an ``if`` that raises or
    returns, or a ``try`` around ``relative_to`` whose handler does): ``".." in name``,
    ``re.fullmatch(pattern, name)``, ``dest.is_relative_to(root)``, ``os.path.commonpath``.
    Whether the check is right is not judged here: silence beats a false positive, and the
    behavior check ``filename-contained`` tests it for real. A check on something else
    (``file.content_type.startswith("image/")``) or a mere emptiness or extension test is
    not a validation of the name."""
    for branch in own_nodes(flow.info.node.body, cst.If):
        if any(True for _ in own_nodes(branch.body, (cst.Raise, cst.Return))) and _tests_name(flow, branch.test):
            return True
    for attempt in own_nodes(flow.info.node.body, cst.Try):
        rejects = any(any(True for _ in own_nodes(h.body, (cst.Raise, cst.Return))) for h in attempt.handlers)
        if rejects and _tests_name(flow, attempt.body, containment_only=True):
            return True
    return False


def _tests_name(flow: Flow, test: cst.CSTNode, containment_only: bool = False) -> bool:
    for node in own_nodes(test, (cst.Comparison, cst.Call)):
        if isinstance(node, cst.Comparison):
            if containment_only:
                continue
            membership = any(isinstance(t.operator, (cst.In, cst.NotIn)) for t in node.comparisons)
            sides = [node.left, *(t.comparator for t in node.comparisons)]
            if membership and any(Kind.FILENAME in flow.kinds(side) for side in sides):
                return True
            continue
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        receiver_tainted = isinstance(func, cst.Attribute) and Kind.FILENAME in flow.kinds(func.value)
        args_tainted = any(_mentions_filename(flow, a.value) for a in node.args)
        if name in _CONTAINMENT_CHECKS:
            bare = isinstance(func, cst.Attribute) and flow.is_bare_filename(func.value)
            if (receiver_tainted and not bare) or args_tainted:
                return True
        elif not containment_only and name not in _NOT_VALIDATORS and args_tainted:
            return True
    return False


def _mentions_filename(flow: Flow, expr: cst.BaseExpression) -> bool:
    if Kind.FILENAME in flow.kinds(expr):
        return True
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return any(Kind.FILENAME in flow.kinds(e.value) for e in expr.elements)
    return False


def locate(sink: PathSink) -> tuple[Origin | None, cst.CSTNode, cst.CSTNode]:
    """(origin, the node that identifies the flow, the node to report).

    A path built from the name is one flow however many operations use it, reported where
    it is built; the bare name used as a path is reported at its first operation.
    """
    origin = origin_of(sink.flow, sink.path)
    if origin is None:
        return None, sink.node, sink.node
    return origin, origin.node, origin.node if origin.built else sink.node
