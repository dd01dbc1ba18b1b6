"""Rubric files (``rubrics/*.toml``): which checks count, and for how many points.

```toml
title = "Background file processing in FastAPI"
version = "2026.1"

[behavior]            # optional
timeout = 30          # wall seconds for the whole behavior run
memory_mb = 1024      # address-space limit of the student's process
app = "main:app"      # optional pin; "main:create_app()" calls a factory
path = "/upload"      # optional pin of the upload route
field = "file"        # optional pin of the form field

[[checks]]
id = "BG001"          # a static rule code, a behavior check id, or your own id with codes=[...]
points = 10
on_finding = "fail"   # static only: "fail" (default for error/warning) or "inform" (advice)
```
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from grader.behavior.catalog import all_checks
from grader.errors import RubricError
from grader.model import Severity
from grader.static.registry import all_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser as a package (a conditional dependency in pyproject.toml)
    import tomli as tomllib

DEFAULT_RUBRIC = "background-file-processing"
REPO_RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"

_TOP_KEYS = {"title", "version", "description", "behavior", "checks"}
_CHECK_KEYS = {"id", "kind", "points", "on_finding", "codes", "title", "path", "description"}
_BEHAVIOR_KEYS = {"timeout", "memory_mb", "app", "path", "field", "enabled", "max_processes"}


@dataclass(frozen=True)
class RubricCheck:
    id: str
    kind: str  # "static" | "behavior" | "pytest"
    points: float
    title: str
    description: str = ""
    codes: tuple[str, ...] = ()
    fail_on_finding: bool = True
    path: Path | None = None  # pytest checks: the test file, resolved against the rubric


@dataclass(frozen=True)
class BehaviorSettings:
    enabled: bool = True
    timeout: float = 30.0
    memory_mb: int = 1024
    max_processes: int = 64
    app: str | None = None
    path: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class Rubric:
    name: str
    title: str
    version: str
    checks: tuple[RubricCheck, ...]
    behavior: BehaviorSettings = field(default_factory=BehaviorSettings)
    source: Path | None = None
    text: str = ""

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "version": self.version}


def available_rubrics() -> dict[str, Path]:
    found: dict[str, Path] = {}
    packaged = resources.files("grader") / "_rubrics"
    for base in (Path(str(packaged)), REPO_RUBRICS):
        if base.is_dir():
            for path in sorted(base.glob("*.toml")):
                found.setdefault(path.stem, path)
    return found


def resolve_rubric_path(name_or_path: str | None) -> Path:
    if not name_or_path:
        name_or_path = DEFAULT_RUBRIC
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise RubricError(f"rubric {name_or_path}: no such file.")
        return candidate
    known = available_rubrics()
    if name_or_path in known:
        return known[name_or_path]
    names = ", ".join(sorted(known)) or "none"
    raise RubricError(f"unknown rubric {name_or_path!r} (bundled: {names}).")


def load_rubric(name_or_path: str | None = None) -> Rubric:
    path = resolve_rubric_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"rubric {path}: cannot be read ({exc}).") from None
    return parse_rubric(text, path)


def _fail(path: Path | None, message: str) -> RubricError:
    where = f"rubric {path.name}" if path else "rubric"
    return RubricError(f"{where}: {message}")


def parse_rubric(text: str, path: Path | None = None) -> Rubric:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"invalid TOML: {exc}") from None
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(path, f"unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_TOP_KEYS))}).")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _fail(path, "'title' must be a non-empty string.")
    version = data.get("version", "1")
    if not isinstance(version, (str, int, float)):
        raise _fail(path, "'version' must be a string.")
    behavior = _parse_behavior(path, data.get("behavior", {}))
    raw_checks = data.get("checks")
    if not isinstance(raw_checks, list) or not raw_checks:
        raise _fail(path, "'checks' must be a non-empty array of tables ([[checks]]).")
    checks: list[RubricCheck] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_checks):
        check = _parse_check(path, index, raw)
        if check.id in seen:
            raise _fail(path, f"checks[{index}].id {check.id!r} appears twice.")
        seen.add(check.id)
        checks.append(check)
    return Rubric(
        name=path.stem if path else "inline",
        title=title.strip(),
        version=str(version),
        checks=tuple(checks),
        behavior=behavior,
        source=path,
        text=text,
    )


def _parse_behavior(path: Path | None, raw: Any) -> BehaviorSettings:
    if not isinstance(raw, dict):
        raise _fail(path, "'behavior' must be a table.")
    unknown = set(raw) - _BEHAVIOR_KEYS
    if unknown:
        raise _fail(path, f"unknown key behavior.{sorted(unknown)[0]} (allowed: {', '.join(sorted(_BEHAVIOR_KEYS))}).")
    settings = BehaviorSettings()
    values: dict[str, Any] = {}
    for key in ("timeout", "memory_mb", "max_processes"):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise _fail(path, f"behavior.{key} must be a positive number.")
            values[key] = type(getattr(settings, key))(value)
    for key in ("app", "path", "field"):
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise _fail(path, f"behavior.{key} must be a non-empty string.")
            values[key] = raw[key].strip()
    if "app" in values and ":" not in values["app"]:
        raise _fail(path, "behavior.app must look like 'module:attribute' or 'module:factory()'.")
    if "enabled" in raw:
        if not isinstance(raw["enabled"], bool):
            raise _fail(path, "behavior.enabled must be true or false.")
        values["enabled"] = raw["enabled"]
    return BehaviorSettings(**{**settings.__dict__, **values})


def _parse_check(path: Path | None, index: int, raw: Any) -> RubricCheck:
    where = f"checks[{index}]"
    if not isinstance(raw, dict):
        raise _fail(path, f"{where} must be a table.")
    unknown = set(raw) - _CHECK_KEYS
    if unknown:
        raise _fail(path, f"unknown key {where}.{sorted(unknown)[0]}.")
    check_id = raw.get("id")
    if not isinstance(check_id, str) or not check_id.strip():
        raise _fail(path, f"{where}.id must be a non-empty string.")
    where = f"{where} ({check_id})"
    points = raw.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)):
        raise _fail(path, f"{where}.points must be a number.")
    if points < 0:
        raise _fail(path, f"{where}.points must not be negative (got {points}).")
    rules = all_rules()
    behavior = all_checks()
    kind = raw.get("kind")
    codes: tuple[str, ...] = ()
    if "codes" in raw:
        if not isinstance(raw["codes"], list) or not all(isinstance(c, str) for c in raw["codes"]) or not raw["codes"]:
            raise _fail(path, f"{where}.codes must be a non-empty list of rule codes.")
        codes = tuple(c.upper() for c in raw["codes"])
        for code in codes:
            if code not in rules:
                raise _fail(path, f"{where}.codes: unknown rule code {code!r} (see `grader rules`).")
        kind = kind or "static"
    elif kind is None:
        if check_id.upper() in rules:
            kind, codes = "static", (check_id.upper(),)
        elif check_id in behavior:
            kind = "behavior"
        else:
            raise _fail(
                path,
                f"{where}.id: unknown check id {check_id!r}: not a rule code (`grader rules`) "
                "nor a behavior check; custom checks need kind = \"pytest\" and path.",
            )
    if kind not in {"static", "behavior", "pytest"}:
        raise _fail(path, f"{where}.kind must be 'static', 'behavior' or 'pytest'.")
    if kind == "static" and not codes:
        if check_id.upper() not in rules:
            raise _fail(path, f"{where}.id: unknown rule code {check_id!r} (see `grader rules`).")
        codes = (check_id.upper(),)
    if kind == "behavior" and check_id not in behavior:
        raise _fail(path, f"{where}.id: unknown behavior check {check_id!r} (known: {', '.join(behavior)}).")
    test_path: Path | None = None
    if kind == "pytest":
        raw_path = raw.get("path")
        if not isinstance(raw_path, str) or not raw_path:
            raise _fail(path, f"{where}.path must name the pytest file (relative to the rubric).")
        base = path.parent if path else Path.cwd()
        test_path = (base / raw_path).resolve()
        if not test_path.is_file():
            raise _fail(path, f"{where}.path: {raw_path} does not exist next to the rubric.")
    on_finding = raw.get("on_finding")
    if on_finding is not None and on_finding not in {"fail", "inform"}:
        raise _fail(path, f"{where}.on_finding must be 'fail' or 'inform'.")
    if on_finding is None and kind == "static":
        on_finding = "inform" if all(rules[c].severity is Severity.ADVICE for c in codes) else "fail"
    title = raw.get("title")
    if title is None:
        if kind == "static" and len(codes) == 1:
            # Titles name what the check rewards: a PASS line reads "Avoids: <anti-pattern>".
            title = "Avoids: " + rules[codes[0]].message.split(":")[0].strip()
        elif kind == "behavior":
            title = behavior[check_id].title
        else:
            title = check_id
    return RubricCheck(
        id=check_id,
        kind=kind,
        points=float(points),
        title=str(title),
        description=str(raw.get("description", "")),
        codes=codes,
        fail_on_finding=on_finding == "fail",
        path=test_path,
    )
