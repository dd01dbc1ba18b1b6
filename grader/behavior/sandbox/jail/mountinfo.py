"""Read ``/proc/self/mountinfo``: what is mounted where, with which flags.

The jail checks every mount it made against this table instead of trusting the return
value of ``mount`` (a bind whose source was hidden by an earlier mount succeeds, on the
wrong folder)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.behavior.sandbox.jail import syscalls

_ESCAPE = re.compile(r"\\([0-7]{3})")
# Per-mount options that a remount must keep (in a user namespace the kernel refuses to
# clear a flag the original mount was locked with).
_FLAG_OPTIONS = {
    "ro": syscalls.MS_RDONLY, "nosuid": syscalls.MS_NOSUID, "nodev": syscalls.MS_NODEV,
    "noexec": syscalls.MS_NOEXEC, "noatime": syscalls.MS_NOATIME,
    "nodiratime": syscalls.MS_NODIRATIME, "relatime": syscalls.MS_RELATIME,
}


@dataclass(frozen=True)
class Mount:
    mount_id: int
    parent_id: int
    device: str  # "major:minor"
    root: str  # the folder of the source filesystem this mount shows
    point: str
    options: frozenset[str]
    fstype: str
    source: str
    super_options: frozenset[str] = frozenset()

    @property
    def read_only(self) -> bool:
        return "ro" in self.options

    @property
    def flags(self) -> int:
        value = 0
        for option in self.options:
            value |= _FLAG_OPTIONS.get(option, 0)
        return value


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def parse(text: str) -> list[Mount]:
    mounts = []
    for line in text.splitlines():
        fields = line.split(" ")
        try:
            dash = fields.index("-")
            mounts.append(Mount(
                int(fields[0]), int(fields[1]), fields[2], _unescape(fields[3]), _unescape(fields[4]),
                frozenset(fields[5].split(",")), fields[dash + 1], _unescape(fields[dash + 2]),
                frozenset(fields[dash + 3].split(",")) if len(fields) > dash + 3 else frozenset(),
            ))
        except (ValueError, IndexError):
            continue
    return mounts


def read(path: str = "/proc/self/mountinfo") -> list[Mount]:
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        return parse(handle.read())


def under(mounts: list[Mount], folder: str) -> list[Mount]:
    """Mounts at ``folder`` or below it, outermost first (the order they were stacked)."""
    prefix = folder.rstrip("/") + "/"
    return [m for m in mounts if m.point == folder or m.point.startswith(prefix)]


def top_at(mounts: list[Mount], point: str) -> Mount | None:
    """The mount visible at ``point`` (the last one stacked there)."""
    found = [m for m in mounts if m.point == point]
    return found[-1] if found else None
