"""Run the real behavior stage (jail, served app, parent observer) on files or a sample.

Returns plain data: ``{"verdicts": [...], "errors": [...], "run": {...}}``, so tests read
what a report would say.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from grader.behavior.catalog import CHECKS
from grader.behavior.observed_run import run_observed
from grader.behavior.sandbox.supervisor import SandboxLimits

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_submissions"
# Every check a rubric without an instructor's effect checker runs.
DEFAULT_CHECKS = [c for c in CHECKS if c != "processing-effect"]


def observe_folder(source: Path, *, timeout: float = 30, checks: list[str] | None = None,
                   exchange_timeout: float | None = None, large_upload_mb: float = 4.0,
                   settings: dict[str, Any] | None = None) -> dict[str, Any]:
    config = {"timeout": timeout, "memory_mb": 1024, **(settings or {})}
    if exchange_timeout is not None:
        config["exchange_timeout"] = exchange_timeout
    wanted = list(checks or DEFAULT_CHECKS)
    outcome = run_observed(source, config, SandboxLimits(timeout, 1024, 64), wanted, large_upload_mb)
    return {"verdicts": [v.to_dict() for v in outcome.verdicts.values()], "errors": list(outcome.errors),
            "run": outcome.run}


def observe_files(files: dict[str, str | bytes], **options: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="grader-src-") as tmp:
        for rel, text in files.items():
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
        return observe_folder(Path(tmp), **options)


def observe_sample(name: str, **options: Any) -> dict[str, Any]:
    return observe_folder(SAMPLES / name, **options)


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {v["id"]: v["status"] for v in result["verdicts"]}


def verdict(result: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(v for v in result["verdicts"] if v["id"] == check_id)
