"""One parse, one metadata pass, shared facts: what every static rule asks about a module.

A :class:`ModuleAnalysis` parses a file once with libcst, resolves libcst's scope
analysis once (qualified names are asked of it on demand, positions computed on the
first finding, parents recorded by the fact walk), and collects the facts the rules
share: functions,
upload endpoints (route-decorated functions with an ``UploadFile`` parameter),
``add_task`` calls on a real ``BackgroundTasks`` receiver, and per-function local
assignments for one-step dataflow. Rules only query these facts (see ``rule.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst
from libcst.metadata import MetadataWrapper

from grader.static import safe_parse
from grader.static.fast_visit import install as _install_fast_visit
from grader.static.node_kinds import is_kind
from grader.static.positions import start_positions
from grader.static.scopes import QualifiedNames, resolve_scopes
from grader.static.visitor_cache import install as _install_visitor_cache

_install_visitor_cache()  # speed only: libcst re-lists visitor methods on every resolution
_install_fast_visit()  # speed only: read-only walks no longer rebuild every node

if TYPE_CHECKING:
    from grader.static.project import ProjectIndex
    from grader.static.settings import StaticSettings

UPLOAD_FILE_NAMES = frozenset(
    {
        "fastapi.UploadFile",
        "fastapi.datastructures.UploadFile",
        "starlette.datastructures.UploadFile",
    }
)
BACKGROUND_TASKS_NAMES = frozenset(
    {
        "fastapi.BackgroundTasks",
        "fastapi.background.BackgroundTasks",
        "starlette.background.BackgroundTasks",
    }
)
APP_FACTORY_NAMES = frozenset(
    {
        "fastapi.FastAPI",
        "fastapi.applications.FastAPI",
        "fastapi.APIRouter",
        "fastapi.routing.APIRouter",
        "starlette.applications.Starlette",
        "starlette.routing.Router",
    }
)
DEPENDS_NAMES = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security"})
PARTIAL_NAMES = frozenset({"functools.partial", "functools.partialmethod"})
ROUTE_METHODS = frozenset({"post", "put", "patch", "get", "delete", "api_route", "route"})


@dataclass
class FunctionInfo:
    """A function (or method) definition and the facts rules need about it."""

    node: cst.FunctionDef
    name: str
    is_async: bool
    parent: FunctionInfo | None
    is_route: bool = False
    upload_params: set[str] = field(default_factory=set)
    background_params: set[str] = field(default_factory=set)
    depends_params: set[str] = field(default_factory=set)
    # name -> every value assigned to it in this function's own body (not nested defs)
    assignments: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    # names bound to ``BackgroundTasks()`` instances built in this function's body
    local_background_tasks: set[str] = field(default_factory=set)

    @property
    def is_endpoint(self) -> bool:
        """A route handler that receives an upload."""
        return self.is_route and bool(self.upload_params)

    def value_of(self, name: str) -> cst.BaseExpression | None:
        """One-step dataflow: the single value a local name was assigned, if unambiguous."""
        values = self.assignments.get(name)
        if values and len(values) == 1:
            return values[0]
        return None


@dataclass
class AddTaskCall:
    """``<receiver>.add_task(func, *args, **kwargs)`` on a BackgroundTasks receiver."""

    call: cst.Call
    receiver: cst.BaseExpression
    receiver_name: str | None
    func: cst.BaseExpression | None
    args: list[cst.Arg]
    awaited: bool
    function: FunctionInfo | None


class ModuleAnalysis:
    """Parsed module plus shared metadata and facts. Build with :meth:`parse`."""

    def __init__(
        self,
        path: str,
        module: cst.Module,
        wrapper: MetadataWrapper,
        project: ProjectIndex | None = None,
        module_name: str = "",
    ) -> None:
        self.path = path
        self.module_name = module_name
        self.is_package = path.replace("\\", "/").rsplit("/", 1)[-1] == "__init__.py"
        self.module = module
        self.wrapper = wrapper
        self.project = project
        if project is not None:
            self.settings = project.settings
        else:
            from grader.static.settings import DEFAULT_SETTINGS

            self.settings = DEFAULT_SETTINGS
        # Positions are resolved on first use (``position``): they cost a full code
        # generation pass, and a module without findings never needs one. Only starts
        # are recorded (PositionProvider's ``.start``, without building every range).
        self._starts: dict[cst.CSTNode, tuple[int, int]] | None = None
        # libcst's scope analysis, run without MetadataWrapper's extra walks; qualified
        # names asked of the node's scope on demand, as QualifiedNameProvider does.
        self._scopes = resolve_scopes(module)
        self._qualified = QualifiedNames(self._scopes)
        # Parents come from the fact collector's own walk: libcst's ParentNodeProvider
        # would walk the whole tree once more (about a fifth of a file's lint time).
        self._parents: dict[cst.CSTNode, cst.CSTNode] = {}
        # every node in source (pre-)order, from the same walk: a rule that must look at
        # the whole module (INT001) filters this instead of walking the tree again
        self.all_nodes: list[cst.CSTNode] = []
        self.functions: list[FunctionInfo] = []
        self.add_task_calls: list[AddTaskCall] = []
        self.imported_names: dict[str, str] = {}  # local name -> dotted source
        self.module_functions: dict[str, FunctionInfo] = {}
        # Imported here: the collector module builds on this one's names and helpers.
        from grader.static.collector import FactCollector

        FactCollector(self).collect()

    # ----- construction -------------------------------------------------
    @classmethod
    def parse(
        cls,
        source: bytes | str,
        path: str = "main.py",
        project: ProjectIndex | None = None,
        module_name: str = "",
    ) -> ModuleAnalysis:
        """Parse ``source`` (bytes keep coding declarations and BOMs honest).

        Raises ``libcst.ParserSyntaxError`` on invalid Python, ``SourceTooLarge`` (a
        ``ValueError``) on a module too big to analyse in reasonable time,
        ``NestedTooDeeply`` or ``ParserCrashed`` (``ValueError``s too) on nesting too deep
        for Python's parser or libcst's (parsed where a crash cannot end this process).
        """
        module = safe_parse.parse_module(source)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        return cls(path, wrapper.module, wrapper, project, module_name or module_name_of(path))

    # ----- metadata ------------------------------------------------------
    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        return set(self._qualified.names(node))

    def is_qualified(self, node: cst.CSTNode, candidates: frozenset[str]) -> bool:
        return bool(self.qualified_names(node) & candidates)

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        """1-based line and 1-based column of ``node``'s start."""
        if self._starts is None:
            self._starts = start_positions(self.module)
        line, column = self._starts[node]
        return line, column + 1

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(node)

    def scope(self, node: cst.CSTNode) -> Any:
        return self._scopes.get(node)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # ----- queries -------------------------------------------------------
    @property
    def endpoints(self) -> list[FunctionInfo]:
        return [f for f in self.functions if f.is_endpoint]

    def function_of(self, node: cst.CSTNode) -> FunctionInfo | None:
        """The innermost function whose body contains ``node``."""
        current = self.parent(node)
        while current is not None:
            if isinstance(current, cst.FunctionDef):
                for info in self.functions:
                    if info.node is current:
                        return info
            current = self.parent(current)
        return None

    def calls_in(self, node: cst.CSTNode) -> Iterator[cst.Call]:
        """Every call inside ``node``, nested function bodies included."""
        yield from _find(node, cst.Call)

    def own_calls(self, info: FunctionInfo) -> Iterator[cst.Call]:
        """Calls in ``info``'s own body, not inside nested function definitions."""
        yield from _find(info.node.body, cst.Call, stop=(cst.FunctionDef,))

    def call_qualified_names(self, call: cst.Call) -> set[str]:
        return self.qualified_names(call.func)

    def is_upload_expr(self, expr: cst.BaseExpression, info: FunctionInfo | None) -> bool:
        """``expr`` is an upload parameter (or a local name assigned from one)."""
        if info is None:
            return False
        if isinstance(expr, cst.Name):
            if expr.value in info.upload_params:
                return True
            value = info.value_of(expr.value)
            return isinstance(value, cst.Name) and value.value in info.upload_params
        return False

    def resolve_function(self, expr: cst.BaseExpression) -> tuple[ModuleAnalysis, FunctionInfo] | None:
        """The submission's module-level function that ``expr`` names, if it can be found:
        defined here (``process``), imported (``from .worker import process``), or reached
        through a module (``tasks.process`` after ``from app import tasks``, ``from . import
        tasks``, ``import app.tasks as tasks`` or ``import worker``). Qualified names tell a
        module from a local variable of the same name."""
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return None  # libcst also names a call by its callee: ``process(x)`` is not ``process``
        for name in sorted(self.qualified_names(expr)):
            if "<locals>" in name:
                continue  # a local variable or a nested def: callers look those up
            found = self._resolve_qualified(name)
            if found is not None:
                return found
        return None

    def _resolve_qualified(self, name: str) -> tuple[ModuleAnalysis, FunctionInfo] | None:
        stripped = name.lstrip(".")
        dots = name[: len(name) - len(stripped)]
        module_part, _, function = stripped.rpartition(".")
        if not dots and not module_part:
            info = self.module_functions.get(function)
            return (self, info) if info is not None else None
        if self.project is None:
            return None
        return self.project.resolve(
            self.module_name, f"{dots}{module_part}:{function}", importer_is_package=self.is_package
        )

    def resolve_callable(
        self, expr: cst.BaseExpression | None, info: FunctionInfo | None
    ) -> tuple[ModuleAnalysis, FunctionInfo] | None:
        """The submission's ``def`` that ``expr`` names, seen from inside ``info``: a def
        nested in an enclosing function, or :meth:`resolve_function`'s answer;
        ``functools.partial(f, ...)`` names ``f``. ``None`` when it cannot be found (rules
        stay silent then)."""
        if expr is None:
            return None
        if isinstance(expr, cst.Call) and self.is_qualified(expr.func, PARTIAL_NAMES):
            first = expr.args[0] if expr.args else None
            if first is None or first.keyword is not None or first.star:
                return None
            return self.resolve_callable(first.value, info)
        if isinstance(expr, cst.Name):
            scope_fn = info
            while scope_fn is not None:
                for candidate in self.functions:
                    if candidate.parent is scope_fn and candidate.name == expr.value:
                        return self, candidate
                if expr.value in scope_fn.assignments:
                    return None  # rebound locally: not the def we would find
                scope_fn = scope_fn.parent
        return self.resolve_function(expr)


def module_name_of(path: str) -> str:
    """``app/tasks.py`` -> ``app.tasks``; ``app/__init__.py`` -> ``app``."""
    parts = path.replace("\\", "/").removesuffix(".py").split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p)


def _find(
    node: cst.CSTNode,
    kind: type[cst.CSTNode],
    stop: tuple[type[cst.CSTNode], ...] = (),
) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        if is_kind(current, kind):
            yield current
        if stop and current is not node and is_kind(current, stop):
            continue
        stack.extend(reversed(current.children))
