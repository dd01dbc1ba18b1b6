"""What of the host the jail shows, read-only: the system folders programs need and the
folders Python runs from, never a folder that could also hold the class.

The Python installation is exposed folder by folder (the interpreter's folder, the
standard library, the site-packages, the shared library), not by prefix: a virtual
environment or an editable install often lives inside a course repository, next to
the submissions. A ``sys.path`` entry outside these (the grader checked out and put on
``PYTHONPATH``, an editable install) is never exposed whole: only the top-level
packages already imported from it are (the ``grader`` package itself).
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from dataclasses import dataclass, field

SYSTEM_DIRS = ("/usr", "/etc")
# Merged-/usr systems make these symlinks into /usr: recreated as symlinks, not bound.
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
NEVER = ("/", "/proc", "/dev", "/sys", "/run")


@dataclass(frozen=True)
class Exposure:
    binds: tuple[str, ...]  # host paths, bound read-only at the same place (folders or files)
    links: dict[str, str] = field(default_factory=dict)  # "/bin" -> "usr/bin"


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: list[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (p.count("/"), p)):
        if not any(_is_within(path, k) for k in kept):
            kept.append(path)
    return sorted(kept)


def _python_folders() -> list[str]:
    found = [os.path.dirname(os.path.abspath(sys.executable)), os.path.dirname(os.path.realpath(sys.executable))]
    paths = sysconfig.get_paths()
    found += [paths.get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    for var in ("DESTSHARED", "BINLIBDEST", "LIBDEST"):
        found.append(str(sysconfig.get_config_var(var) or ""))
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        found.append(str(sysconfig.get_config_var("LIBDIR") or ""))
    try:
        found += site.getsitepackages()
    except AttributeError:  # old virtualenv's site module
        pass
    if site.ENABLE_USER_SITE:
        found.append(site.getusersitepackages())
    found += [p for p in sys.path if p.endswith(".zip") and os.path.isfile(p)]
    venv_config = os.path.join(sys.prefix, "pyvenv.cfg")
    if sys.prefix != sys.base_prefix and os.path.isfile(venv_config):
        found.append(venv_config)
    return [p for p in found if p]


def _imported_elsewhere(roots: list[str]) -> list[str]:
    """Top-level packages (or modules) already imported from outside ``roots``."""
    found: list[str] = []
    for name, module in list(sys.modules.items()):
        if "." in name or module is None or name == "__main__":
            continue
        locations = list(getattr(module, "__path__", None) or [])
        if not locations and getattr(module, "__file__", None):
            locations = [module.__file__]
        for location in locations:
            if not isinstance(location, str) or not os.path.isabs(location):
                continue
            real = os.path.realpath(location)
            # A module imported from a folder since removed (a warm-up's temp file) is skipped.
            if os.path.exists(real) and not any(_is_within(real, r) for r in roots):
                found.append(real)
    return found


_cache: dict[tuple[int, tuple[str, ...]], Exposure] = {}


def exposure(extra: tuple[str, ...] = ()) -> Exposure:
    """The folders and files to show. Cached: the fork server computes it once, before
    forking, and every run inherits it (``sys.modules`` hardly changes after the preload)."""
    key = (len(sys.modules), extra)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    system = [d for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
    links: dict[str, str] = {}
    for name in TOP_LEVEL:
        path = "/" + name
        if os.path.islink(path):
            links[path] = os.readlink(path)
        elif os.path.isdir(path):
            system.append(path)
    python = [os.path.realpath(p) for p in _python_folders() if os.path.exists(p)]
    python += _imported_elsewhere(python + system)
    python += [os.path.realpath(p) for p in extra if os.path.exists(p)]
    candidates = [p for p in python if not any(_is_within(p, s) for s in system)]
    candidates = [p for p in candidates if not any(_is_within(p, n) for n in NEVER if n != "/") and p != "/"]
    result = Exposure(tuple(_outermost(system + candidates)), links)
    _cache.clear()
    _cache[key] = result
    return result


def reveals(exposed: Exposure, hidden: list[str]) -> list[str]:
    """Hidden paths that an exposed folder would show (the folder holds them)."""
    return [h for h in hidden if any(_is_within(os.path.realpath(h), b) for b in exposed.binds)]
