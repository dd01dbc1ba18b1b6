"""Our own JSON report (versioned; schema in ``report.schema.json``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from grader.model import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("grader.reports") / "report.schema.json").read_text(encoding="utf-8")
    return json.loads(text)
