"""Find the student's FastAPI app and its upload route, without configuration.

Runs inside the sandboxed child, with the submission's copy as working directory. The
app is a module-level ``FastAPI()`` instance in one of the submission's modules (flat
files, ``app/main.py``, packages with relative imports, any attribute name); when
several exist, the one exposing an upload route wins. The upload route is a POST route
with an ``UploadFile`` (or ``bytes = File()``) parameter, found through FastAPI's own
dependency model so routers included with prefixes and aliased fields are honoured.
Every way this can fail ends in one plain sentence for the report.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, UploadFile
from fastapi import params as fastapi_params
from starlette.datastructures import UploadFile as StarletteUploadFile

from grader.behavior.student.task_recorder import describe_exception

_SKIP_DIRS = {"__pycache__", "venv", ".venv", "env", "site-packages", "node_modules", "tests", "test", "build", "dist"}
_PREFERRED = ("main.py", "app.py", "app/main.py", "src/main.py", "api.py", "server.py")
_MENTIONS_FASTAPI = re.compile(r"\bFastAPI\b")
# A relative-import package made from a work dir that is itself a package.
SYNTHETIC_PACKAGE = "submission"


class DiscoveryError(Exception):
    """The app cannot be found or imported; the message is one sentence for the student."""


@dataclass(frozen=True)
class UploadRoute:
    path: str
    field: str
    many: bool = False  # list[UploadFile]: one file still goes under the same field

    def describe(self) -> str:
        return f"POST {self.path}"


@dataclass
class FoundApp:
    app: Any
    name: str  # "main:app"
    route: UploadRoute
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- module import
def _module_name(rel: Path, synthetic: bool) -> str | None:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    name = ".".join(parts)
    return f"{SYNTHETIC_PACKAGE}.{name}" if synthetic else name


def _source_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        name = rel.name
        if name.startswith("test_") or name.endswith("_test.py") or name in {"conftest.py", "setup.py"}:
            continue
        found.append(path)
    return found


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


def _install_synthetic_package(root: Path) -> None:
    """The work dir holds an ``__init__.py`` and relative imports: make it a package."""
    spec = importlib.util.spec_from_file_location(
        SYNTHETIC_PACKAGE, root / "__init__.py", submodule_search_locations=[str(root)]
    )
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[SYNTHETIC_PACKAGE] = module
    spec.loader.exec_module(module)


def _neutralize_uvicorn_run(notes: list[str]) -> None:
    """``uvicorn.run(app)`` at module level (no main guard) would serve forever at import."""
    import uvicorn

    def run(*args: Any, **kwargs: Any) -> None:
        notes.append("Your module calls uvicorn.run() when imported; the grader skipped it "
                     "(put it under `if __name__ == \"__main__\":`).")

    uvicorn.run = run  # type: ignore[assignment]


def prepare_imports(root: Path, sources: list[Path], notes: list[str]) -> bool:
    """Put the submission on sys.path; returns True when it is imported as a package."""
    sys.path.insert(0, str(root))
    src = root / "src"
    if src.is_dir() and not (src / "__init__.py").exists():
        sys.path.insert(1, str(src))
    if any("uvicorn" in _read(path) for path in sources):
        _neutralize_uvicorn_run(notes)
    synthetic = (root / "__init__.py").is_file()
    if synthetic:
        _install_synthetic_package(root)
    return synthetic


def import_error_sentence(exc: BaseException, rel_file: str, root: Path) -> str:
    """One sentence saying why the module ``rel_file`` could not be imported."""
    info = describe_exception(exc, str(root))
    where = info["where"] or rel_file
    file_part, _, line = where.partition(":")
    at_line = f" (line {line})" if line else ""
    if isinstance(exc, SyntaxError):
        filename = Path(exc.filename).resolve() if exc.filename else None
        shown = rel_file
        if filename is not None and filename.is_relative_to(root.resolve()):
            shown = filename.relative_to(root.resolve()).as_posix()
        kind = type(exc).__name__
        return f"{shown} has a {kind} at line {exc.lineno}: {exc.msg}."
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        local = sorted(p.relative_to(root).as_posix() for p in root.rglob(f"{top}.py"))
        local += sorted(p.relative_to(root).as_posix() + "/" for p in root.rglob(top) if p.is_dir())
        if local:
            return (
                f"{file_part} imports `{exc.name}`{at_line}, which cannot be found from the "
                f"submission's top folder (there is {local[0]}): import it with its package "
                "path or a relative import."
            )
        return f"{file_part} imports `{exc.name}`, which is not installed{at_line}."
    if isinstance(exc, SystemExit):
        return f"{file_part} calls sys.exit() while being imported{at_line}."
    if isinstance(exc, KeyboardInterrupt):
        return f"{file_part} was interrupted while being imported{at_line}."
    return f"{file_part} raised {info['type']} while being imported{at_line}: {info['message']}"


def _import(module_name: str, rel_file: str, root: Path) -> types.ModuleType:
    try:
        return importlib.import_module(module_name)
    except BaseException as exc:  # student code: SystemExit at import is an error too
        raise DiscoveryError(import_error_sentence(exc, rel_file, root)) from None


def _import_candidate(path: Path, module_name: str, root: Path) -> tuple[types.ModuleType, str]:
    """Import a module that creates an app; returns it and the name to show.

    A project kept in a subfolder and run from there (``backend/main.py`` doing
    ``from routers import x``, with ``backend/routers.py``) imports its siblings as top-level
    modules: when that is why the import failed, retry with its folder on sys.path.
    """
    rel = path.relative_to(root).as_posix()
    try:
        return importlib.import_module(module_name), module_name
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        folder = path.parent
        sibling = bool(top) and ((folder / f"{top}.py").is_file() or (folder / top).is_dir())
        if folder == root or not sibling or not path.stem.isidentifier():
            raise DiscoveryError(import_error_sentence(exc, rel, root)) from None
        sys.path.insert(1, str(folder))
        return _import(path.stem, rel, root), path.stem
    except BaseException as exc:  # student code: SystemExit at import is an error too
        raise DiscoveryError(import_error_sentence(exc, rel, root)) from None


# ---------------------------------------------------------------- upload routes
def _is_upload_type(annotation: Any) -> tuple[bool, bool]:
    """(is an upload, is a list of uploads) for a parameter annotation."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_upload_type(typing.get_args(annotation)[0])
    if origin in (list, tuple, set, typing.Sequence, typing.List):  # noqa: UP006
        inner = typing.get_args(annotation)
        return (bool(inner) and _is_upload_type(inner[0])[0], True)
    if origin is not None and typing.get_args(annotation):  # Union / Optional / X | None
        results = [_is_upload_type(arg) for arg in typing.get_args(annotation) if arg is not type(None)]
        return (any(r[0] for r in results), any(r[0] and r[1] for r in results))
    if isinstance(annotation, type) and issubclass(annotation, (StarletteUploadFile, UploadFile)):
        return True, False
    return False, False


def _flat_body_params(dependant: Any) -> list[Any]:
    found = list(getattr(dependant, "body_params", []) or [])
    for sub in getattr(dependant, "dependencies", []) or []:
        found.extend(_flat_body_params(sub))
    return found


def _route_contexts(app: Any) -> list[Any]:
    try:  # FastAPI >= 0.160 keeps included routers unflattened
        from fastapi.routing import iter_route_contexts

        return list(iter_route_contexts(app.routes))
    except ImportError:
        return list(app.routes)


def _concrete_path(path: str) -> str:
    """Fill path parameters (``/upload/{user_id}``) with a plain value."""
    return re.sub(r"\{[^}]+\}", "1", path)


def upload_routes(app: Any) -> list[UploadRoute]:
    routes: list[UploadRoute] = []
    for route in _route_contexts(app):
        methods = getattr(route, "methods", None) or set()
        dependant = getattr(route, "dependant", None)
        path = getattr(route, "path", None)
        if "POST" not in methods or dependant is None or not path:
            continue
        for param in _flat_body_params(dependant):
            info = getattr(param, "field_info", None)
            annotation = getattr(info, "annotation", None)
            is_upload, many = _is_upload_type(annotation)
            if not is_upload and isinstance(info, fastapi_params.File):
                # `data: bytes = File()` is an upload too
                is_upload, many = True, typing.get_origin(annotation) in (list, tuple, set)
            if is_upload:
                routes.append(UploadRoute(_concrete_path(path), param.alias or param.name, many))
                break
    return routes


def choose_route(app_name: str, routes: list[UploadRoute], pin_path: str | None, pin_field: str | None) -> UploadRoute:
    if pin_path:
        for route in routes:
            if route.path == pin_path:
                return UploadRoute(route.path, pin_field or route.field, route.many)
        return UploadRoute(pin_path, pin_field or "file")
    if not routes:
        raise DiscoveryError(
            f"{app_name} has no upload route: no POST route takes an UploadFile parameter "
            "(e.g. `async def upload(file: UploadFile, background_tasks: BackgroundTasks)`)."
        )
    single = [r for r in routes if not r.many] or routes
    if len(single) > 1:
        named = [r for r in single if "upload" in r.path.lower()]
        single = named if len(named) == 1 else single
    if len(single) > 1:
        listed = ", ".join(f"{r.describe()} (field `{r.field}`)" for r in single)
        raise DiscoveryError(
            f"{app_name} has several upload routes ({listed}); the grader cannot tell which "
            "one to test: keep one, or ask your instructor to pin behavior.path in the rubric."
        )
    route = single[0]
    return UploadRoute(route.path, pin_field or route.field, route.many)


# ---------------------------------------------------------------- the app itself
def _apps_in_module(module: types.ModuleType) -> list[tuple[str, Any]]:
    return [(name, value) for name, value in vars(module).items() if isinstance(value, FastAPI)]


def _pinned_app(root: Path, pin: str, synthetic: bool) -> tuple[Any, str]:
    module_name, _, attr = pin.partition(":")
    call = attr.endswith("()")
    attr = attr.removesuffix("()")
    rel = module_name.replace(".", "/") + ".py"
    full_name = f"{SYNTHETIC_PACKAGE}.{module_name}" if synthetic else module_name
    module = _import(full_name, rel, root)
    if not hasattr(module, attr):
        raise DiscoveryError(f"{rel} has no `{attr}` (the rubric pins the app as `{pin}`).")
    value = getattr(module, attr)
    if call:
        try:
            value = value()
        except BaseException as exc:
            info = describe_exception(exc, str(root))
            raise DiscoveryError(
                f"calling `{pin}` raised {info['type']} ({info['where'] or rel}): {info['message']}"
            ) from None
    if not isinstance(value, FastAPI):
        raise DiscoveryError(f"`{pin}` is a {type(value).__name__}, not a FastAPI app.")
    return value, pin


def discover_app(
    workdir: str | Path,
    pin_app: str | None = None,
    pin_path: str | None = None,
    pin_field: str | None = None,
) -> FoundApp:
    root = Path(workdir).resolve()
    notes: list[str] = []
    sources = _source_files(root)
    synthetic = prepare_imports(root, sources, notes)
    if pin_app:
        app, name = _pinned_app(root, pin_app, synthetic)
        return FoundApp(app, name, choose_route(name, upload_routes(app), pin_path, pin_field), notes)
    if not sources:
        raise DiscoveryError("The submission has no Python module the grader can import.")
    preferred = {name: index for index, name in enumerate(_PREFERRED)}
    candidates = [p for p in sources if _MENTIONS_FASTAPI.search(_read(p))]
    candidates.sort(key=lambda p: (preferred.get(p.relative_to(root).as_posix(), len(preferred)), len(p.parts), str(p)))
    if not candidates:
        raise DiscoveryError("No module of the submission creates a FastAPI app (`app = FastAPI()`).")
    failures: list[str] = []
    apps: dict[int, tuple[str, Any]] = {}
    seen_sources: set[tuple[str, str]] = set()
    for path in candidates:
        rel = path.relative_to(root).as_posix()
        module_name = _module_name(path.relative_to(root), synthetic)
        if module_name is None:
            notes.append(f"{rel} was not imported: its path is not a valid Python module name.")
            continue
        try:
            module, module_name = _import_candidate(path, module_name, root)
        except DiscoveryError as exc:
            failures.append(str(exc))
            continue
        for attr, value in _apps_in_module(module):
            key = (getattr(module, "__file__", rel), attr)
            if id(value) in apps or key in seen_sources:
                continue
            seen_sources.add(key)
            display = module_name.removeprefix(f"{SYNTHETIC_PACKAGE}.")
            apps[id(value)] = (f"{display}:{attr}", value)
    if not apps:
        if failures:
            raise DiscoveryError(failures[0])
        raise DiscoveryError(
            "No module-level FastAPI() instance was found. If your app comes from a factory "
            "function, the rubric can pin it (behavior.app = \"main:create_app()\")."
        )
    notes.extend(f"Not imported: {failure}" for failure in failures)
    with_routes = [(name, app, upload_routes(app)) for name, app in apps.values()]
    usable = [entry for entry in with_routes if entry[2]]
    if len(usable) > 1:
        names = ", ".join(name for name, _, _ in usable)
        raise DiscoveryError(
            f"Several FastAPI apps have an upload route ({names}); the grader cannot tell which "
            "one to test: keep one, or ask your instructor to pin behavior.app in the rubric."
        )
    name, app, routes = usable[0] if usable else with_routes[0]
    return FoundApp(app, name, choose_route(name, routes, pin_path, pin_field), notes)
