"""The harness the jail's attack submissions run under: import ``main`` (the attack runs
at import, as a student's module would) and return what it reports in ``FINDINGS``.

The attack is the party that would profit from a leak, so what it reports seeing is
what leaked; it also says ``done`` so a crashed attack never reads as "saw nothing"."""

from __future__ import annotations

import importlib
from typing import Any


def run_harness(workdir: str, settings: dict[str, Any]) -> dict[str, Any]:
    module = importlib.import_module("main")
    findings = getattr(module, "FINDINGS", None)
    return {"verdicts": [], "errors": [], "run": {"findings": findings, "fds": settings.get("fds")}}
