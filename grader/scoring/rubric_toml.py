"""Parse and validate a rubric's TOML: every mistake is one line that names the key."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as a package
    import tomli as tomllib

from grader.behavior.catalog import all_checks
from grader.errors import RubricError
from grader.model import VISIBILITIES, Severity
from grader.scoring.rubric import BehaviorSettings, Rubric, RubricCheck, RubricCriterion
from grader.static.registry import all_rules

_TOP_KEYS = {"title", "version", "description", "behavior", "checks", "criteria", "static"}
_CHECK_KEYS = {"id", "kind", "points", "on_finding", "codes", "title", "path", "description", "criterion", "cap",
               "visibility"}
_CRITERION_KEYS = {"id", "title", "description", "partial", "core", "cap", "visibility"}
_BEHAVIOR_KEYS = {"timeout", "memory_mb", "app", "path", "field", "enabled", "max_processes", "large_upload_mb",
                  "disk_mb", "fixture", "effect"}
_EFFECT_KEYS = {"output", "checker"}
_STATIC_KEYS = {"blocking_calls"}


def _fail(path: Path | None, message: str) -> RubricError:
    where = f"rubric {path.name}" if path else "rubric"
    return RubricError(f"{where}: {message}")


def parse(text: str, path: Path | None = None) -> Rubric:
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
    static = _parse_static(path, data.get("static", {}))
    raw_checks = data.get("checks")
    if not isinstance(raw_checks, list) or not raw_checks:
        raise _fail(path, "'checks' must be a non-empty array of tables ([[checks]]).")
    raw_criteria = data.get("criteria", [])
    if not isinstance(raw_criteria, list):
        raise _fail(path, "'criteria' must be an array of tables ([[criteria]]).")
    criteria_specs = [_parse_criterion(path, index, raw) for index, raw in enumerate(raw_criteria)]
    known_criteria = [spec["id"] for spec in criteria_specs]
    if len(set(known_criteria)) != len(known_criteria):
        duplicate = next(c for c in known_criteria if known_criteria.count(c) > 1)
        raise _fail(path, f"criteria id {duplicate!r} appears twice.")
    checks: list[RubricCheck] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_checks):
        check = _parse_check(path, index, raw, known_criteria)
        if check.id in seen:
            raise _fail(path, f"checks[{index}].id {check.id!r} appears twice.")
        seen.add(check.id)
        checks.append(check)
    checks = [_sized_title(c, behavior.large_upload_mb) for c in checks]
    if any(c.id == "processing-effect" for c in checks) and not behavior.effect:
        raise _fail(path, "the check processing-effect needs [behavior.effect] (output and checker).")
    criteria = _criteria(path, criteria_specs, checks)
    if not criteria_specs:  # each check its own criterion
        checks = [replace(c, criterion=c.id) for c in checks]
    visibility = {c.id: c.visibility for c in criteria}
    checks = [c if c.visibility != "inherit" else replace(c, visibility=visibility.get(c.criterion or "", "visible"))
              for c in checks]
    return Rubric(
        name=path.stem if path else "inline",
        title=title.strip(),
        version=str(version),
        checks=tuple(checks),
        behavior=behavior,
        criteria=criteria,
        source=path,
        text=text,
        static=static,
    )


def _criteria(path: Path | None, specs: list[dict[str, Any]], checks: list[RubricCheck]) -> tuple[RubricCriterion, ...]:
    """The rubric's criteria with their checks; without criteria, one per check (each
    check its own objective, scored on its own: the rubrics written before criteria)."""
    if not specs:
        return tuple(RubricCriterion(c.id, c.title, (c.id,), visibility=c.visibility if c.visibility != "inherit"
                                     else "visible") for c in checks)
    members: dict[str, list[str]] = {spec["id"]: [] for spec in specs}
    for check in checks:
        if check.criterion is None:
            raise _fail(path, f"check {check.id!r} needs a criterion (the rubric has [[criteria]]).")
        members[check.criterion].append(check.id)
    empty = [spec["id"] for spec in specs if not members[spec["id"]]]
    if empty:
        raise _fail(path, f"criterion {empty[0]!r} has no check.")
    return tuple(RubricCriterion(checks=tuple(members[spec["id"]]), **spec) for spec in specs)


def _percent(path: Path | None, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise _fail(path, f"{where}.cap must be a percent of the maximum score, from 0 to 100.")
    return float(value)


def _visibility(path: Path | None, where: str, raw: dict[str, Any], default: str) -> str:
    value = raw.get("visibility", default)
    if value != "inherit" and value not in VISIBILITIES:
        raise _fail(path, f"{where}.visibility must be one of {', '.join(VISIBILITIES)}.")
    return value


def _parse_criterion(path: Path | None, index: int, raw: Any) -> dict[str, Any]:
    where = f"criteria[{index}]"
    if not isinstance(raw, dict):
        raise _fail(path, f"{where} must be a table.")
    unknown = set(raw) - _CRITERION_KEYS
    if unknown:
        raise _fail(path, f"unknown key {where}.{sorted(unknown)[0]} (allowed: {', '.join(sorted(_CRITERION_KEYS))}).")
    criterion_id = raw.get("id")
    if not isinstance(criterion_id, str) or not criterion_id.strip():
        raise _fail(path, f"{where}.id must be a non-empty string.")
    where = f"{where} ({criterion_id})"
    title = raw.get("title", criterion_id)
    if not isinstance(title, str) or not title.strip():
        raise _fail(path, f"{where}.title must be a non-empty string.")
    partial = raw.get("partial", "each")
    if partial not in ("each", "all"):
        raise _fail(path, f"{where}.partial must be 'each' (every check scores its points) or 'all' "
                          "(the criterion scores only when all its checks pass).")
    core = raw.get("core", False)
    if not isinstance(core, bool):
        raise _fail(path, f"{where}.core must be true or false.")
    cap = _percent(path, where, raw["cap"]) if "cap" in raw else None
    if core and cap is None:
        raise _fail(path, f"{where}: a core criterion needs a cap (the percent of the maximum a submission "
                          "that fails it can reach).")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise _fail(path, f"{where}.description must be a string.")
    return {"id": criterion_id.strip(), "title": title.strip(), "description": description, "partial": partial,
            "core": core, "cap": cap, "visibility": _visibility(path, where, raw, "visible")}


def _parse_behavior(path: Path | None, raw: Any) -> BehaviorSettings:
    if not isinstance(raw, dict):
        raise _fail(path, "'behavior' must be a table.")
    unknown = set(raw) - _BEHAVIOR_KEYS
    if unknown:
        raise _fail(path, f"unknown key behavior.{sorted(unknown)[0]} (allowed: {', '.join(sorted(_BEHAVIOR_KEYS))}).")
    settings = BehaviorSettings()
    values: dict[str, Any] = {}
    for key in ("timeout", "memory_mb", "max_processes", "large_upload_mb", "disk_mb"):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise _fail(path, f"behavior.{key} must be a positive number.")
            values[key] = type(getattr(settings, key))(value)
    if values.get("large_upload_mb", 1) > 256:
        raise _fail(path, "behavior.large_upload_mb must be at most 256.")
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
    if "fixture" in raw:
        values["fixture"] = _fixture(path, raw["fixture"])
    if "effect" in raw:
        values["effect"] = _effect(path, raw["effect"])
    return BehaviorSettings(**{**settings.__dict__, **values})


def _fixture(path: Path | None, name: Any) -> str:
    from grader.behavior.observer.payloads import fixture_bytes

    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise _fail(path, "behavior.fixture must be a file name (of fixtures/ or of the rubric's folder).")
    try:
        fixture_bytes(name, str(path.parent) if path else None)
    except (FileNotFoundError, OSError):
        raise _fail(path, f"behavior.fixture: no file {name!r} in fixtures/ nor next to the rubric.") from None
    return name


def _effect(path: Path | None, raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise _fail(path, "behavior.effect must be a table ([behavior.effect]).")
    unknown = set(raw) - _EFFECT_KEYS
    if unknown:
        raise _fail(path, f"unknown key behavior.effect.{sorted(unknown)[0]} (allowed: output, checker).")
    output, checker = raw.get("output", "*"), raw.get("checker")
    if not isinstance(output, str) or not output:
        raise _fail(path, "behavior.effect.output must be a file name pattern (a glob such as \"*.summary.json\").")
    if not isinstance(checker, str) or ":" not in checker:
        raise _fail(path, "behavior.effect.checker must be \"file.py:function\" (relative to the rubric).")
    file, _, function = checker.rpartition(":")
    base = path.parent if path else Path.cwd()
    target = (base / file).resolve()
    if not target.is_file() or not function.isidentifier():
        raise _fail(path, f"behavior.effect.checker: {checker!r} is not a function in a file next to the rubric.")
    return (("output", output), ("checker", f"{target}:{function}"))


def _parse_static(path: Path | None, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(path, "'static' must be a table.")
    unknown = set(raw) - _STATIC_KEYS
    if unknown:
        raise _fail(path, f"unknown key static.{sorted(unknown)[0]} (allowed: {', '.join(sorted(_STATIC_KEYS))}).")
    calls = raw.get("blocking_calls", [])
    if not isinstance(calls, list) or not all(isinstance(c, str) and "." in c for c in calls):
        raise _fail(path, "static.blocking_calls must be a list of dotted names (\"module.function\").")
    return {"blocking_calls": tuple(calls)} if calls else {}


def _sized_title(check: RubricCheck, megabytes: float) -> RubricCheck:
    """large-upload-intact's default title says the size the rubric sets."""
    if check.id != "large-upload-intact" or check.title != all_checks()[check.id].title:
        return check
    return replace(check, title=f"A {megabytes:g} MiB upload is saved intact")


def _parse_check(path: Path | None, index: int, raw: Any, criteria: list[str]) -> RubricCheck:
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
    criterion = raw.get("criterion")
    if criterion is not None and criterion not in criteria:
        raise _fail(path, f"{where}.criterion: unknown criterion {criterion!r}"
                          + (f" (known: {', '.join(criteria)})." if criteria else " (the rubric has no [[criteria]])."))
    title = raw.get("title")
    if title is None:
        if kind == "static" and len(codes) == 1:
            # Titles name what the check rewards: "Avoids: <anti-pattern>".
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
        criterion=criterion,
        cap=_percent(path, where, raw["cap"]) if "cap" in raw else None,
        visibility=_visibility(path, where, raw, "inherit"),
    )
