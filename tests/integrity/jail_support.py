"""Running the jail's attack submissions (``jail_attacks/``) and checking what every run
must leave behind: nothing (no process, no folder, no mount, no cgroup)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from grader.behavior.sandbox.jail import cgroups, mountinfo
from grader.behavior.sandbox.supervisor import Sandbox, SandboxLimits, SandboxResult
from tests.hostile.support import sandbox_processes

HERE = Path(__file__).resolve().parent
ATTACKS = HERE / "jail_attacks"
HARNESS = f"{HERE / 'jail_harness.py'}:run_harness"
LIMITS = SandboxLimits(timeout=20, memory_mb=384, max_processes=32, disk_mb=64)
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def attack(name: str, where: Path, files: dict[str, str] | None = None) -> Path:
    """A copy of the attack ``name`` in ``where``, with extra files (its parameters)."""
    target = where / name
    shutil.copytree(ATTACKS / name, target)
    for file_name, text in (files or {}).items():
        (target / file_name).write_text(text)
    return target


def findings(res: SandboxResult) -> dict[str, Any]:
    assert res.result is not None, (res.exit, res.event, res.stderr.get("text", "")[-2000:])
    found = res.result["run"]["findings"]
    assert found and found.get("done"), found  # the attack ran to its end
    return found


def run_attack(source: Path, limits: SandboxLimits = LIMITS, **kwargs: Any) -> SandboxResult:
    with Sandbox(source, harness=HARNESS, **kwargs) as box:
        return box.run({}, limits)


def run_cgroups() -> list[str]:
    """This grader's run cgroups that still exist."""
    place = cgroups.hierarchy()
    if place is None:
        return []
    mine = f"grader-{cgroups.owner_tag()}"
    found = []
    for base in {place.memory, place.pids} - {None}:
        for name in os.listdir(base):  # type: ignore[arg-type]
            if name.startswith(mine):
                found += [name] + [f"{name}/{c}" for c in os.listdir(os.path.join(base, name))  # type: ignore[arg-type]
                                   if os.path.isdir(os.path.join(base, name, c))]  # type: ignore[arg-type]
    return found if place.version == 1 else [f for f in found if "/" in f]


def assert_nothing_left(grader_temp: Path) -> None:
    """No process, no folder, no mount and no cgroup of a run is left."""
    assert sandbox_processes(grader_temp) == []
    assert list(grader_temp.iterdir()) == [], list(grader_temp.iterdir())
    assert [m.point for m in mountinfo.read() if m.point.startswith(str(grader_temp))] == []
    assert run_cgroups() == []
