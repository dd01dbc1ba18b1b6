"""Find and kill a sandbox's processes through ``/proc`` (Linux), without psutil.

A process is identified by ``(pid, start_time)`` so a recycled pid is never mistaken
for one we saw earlier.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

PROC = "/proc"


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    start: int
    uid: int | None = None
    zombie: bool = False


def proc_available() -> bool:
    return os.path.isdir(os.path.join(PROC, "self"))


def read_proc(pid: int, with_uid: bool = False) -> ProcInfo | None:
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as handle:
            raw = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    rest = raw[raw.rfind(")") + 2 :].split()
    try:
        state = rest[0]
        ppid, pgid, sid = int(rest[1]), int(rest[2]), int(rest[3])
        start = int(rest[19])
    except (IndexError, ValueError):
        return None
    uid = _uid(pid) if with_uid else None
    return ProcInfo(pid, ppid, pgid, sid, start, uid, zombie=state in ("Z", "X"))


def _uid(pid: int) -> int | None:
    try:
        return os.stat(f"{PROC}/{pid}").st_uid
    except OSError:
        return None


def all_processes(with_uid: bool = False) -> list[ProcInfo]:
    found = []
    try:
        names = os.listdir(PROC)
    except OSError:
        return []
    for name in names:
        if name.isdigit():
            info = read_proc(int(name), with_uid)
            if info is not None:
                found.append(info)
    return found


def descendants(root: int, table: list[ProcInfo] | None = None) -> list[ProcInfo]:
    """Every live descendant of ``root`` (not ``root`` itself)."""
    table = all_processes() if table is None else table
    children: dict[int, list[ProcInfo]] = {}
    for info in table:
        children.setdefault(info.ppid, []).append(info)
    found: list[ProcInfo] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child.pid)
    return found


def count_tasks(infos: list[ProcInfo]) -> int:
    """Processes and threads of these processes (what RLIMIT_NPROC counts on Linux)."""
    total = 0
    for info in infos:
        try:
            with open(f"{PROC}/{info.pid}/status", encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("Threads:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total


def still_same(info: ProcInfo) -> bool:
    current = read_proc(info.pid)
    return current is not None and current.start == info.start


def kill_process(info: ProcInfo) -> None:
    if still_same(info):
        try:
            os.kill(info.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
