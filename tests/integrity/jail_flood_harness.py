"""A harness that floods the result channel with progress messages (what a student who
found the pipe could send), then returns a result."""

from __future__ import annotations

from typing import Any

from grader.behavior.sandbox import progress


def run_harness(workdir: str, settings: dict[str, Any]) -> dict[str, Any]:
    filler = "x" * 4000
    for number in range(int(settings["messages"])):
        progress.report_phase(f"{number}{filler}")
    return {"verdicts": [], "errors": [], "run": {}}
