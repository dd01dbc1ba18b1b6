"""Rubrics (``rubrics/*.toml``): which checks count, how they group into criteria, and for how many points.

```toml
title = "Background file processing in FastAPI"
version = "2026.2"

[behavior]                 # optional
timeout = 30               # wall seconds for the whole behavior run
memory_mb = 1024           # memory limit of the student's process
large_upload_mb = 4        # the size of large-upload-intact's upload
app = "main:app"           # optional pin; "main:create_app()" calls a factory
path = "/upload"           # optional pin of the upload route
field = "file"             # optional pin of the form field

[[criteria]]               # optional: learning objectives grouping the checks
id = "processing-after-response"
title = "The processing runs after the response"
partial = "all"            # "each": every check scores its points; "all": the criterion
                           # scores its points only when all its checks pass (a defect
                           # seen by several checks costs once)
core = true                # the assignment's core: failing it caps the total
cap = 40                   # ... at this percent of the maximum
visibility = "visible"     # visible | hidden | after_due_date | after_published

[[checks]]
id = "BG001"               # a static rule code, a behavior check id, or your own id with codes=[...]
points = 5
criterion = "processing-after-response"   # required when the rubric has criteria
cap = 40                   # optional: failing this check caps the total at 40 % of the maximum
on_finding = "fail"        # static only: "fail" (default for error/warning) or "inform" (advice)
```

The parsing and its one-line errors live in :mod:`grader.scoring.rubric_toml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from grader.errors import RubricError

DEFAULT_RUBRIC = "background-file-processing"
REPO_RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


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
    criterion: str | None = None
    cap: float | None = None  # percent of the maximum the total is capped at when this fails
    visibility: str = "visible"


@dataclass(frozen=True)
class RubricCriterion:
    id: str
    title: str
    checks: tuple[str, ...]
    description: str = ""
    partial: str = "each"  # "each" | "all"
    core: bool = False
    cap: float | None = None
    visibility: str = "visible"


@dataclass(frozen=True)
class BehaviorSettings:
    enabled: bool = True
    timeout: float = 30.0
    memory_mb: int = 1024
    max_processes: int = 64
    large_upload_mb: float = 4.0
    disk_mb: int = 512
    fixture: str = "binary.bin"  # the primary upload (fixtures/ or next to the rubric)
    # [behavior.effect]: {"output": glob, "checker": "/abs/file.py:function"}
    effect: tuple[tuple[str, str], ...] = ()
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
    criteria: tuple[RubricCriterion, ...] = ()
    source: Path | None = None
    text: str = ""
    # [static] settings: extra blocking calls the static rules know (module.function names).
    static: dict[str, Any] = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "version": self.version}

    def criterion_of(self, check_id: str) -> RubricCriterion | None:
        for criterion in self.criteria:
            if check_id in criterion.checks:
                return criterion
        return None


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


def parse_rubric(text: str, path: Path | None = None) -> Rubric:
    from grader.scoring.rubric_toml import parse

    return parse(text, path)
