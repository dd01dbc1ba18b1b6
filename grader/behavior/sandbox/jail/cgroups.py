"""A cgroup per run: one memory limit for all its processes, tmpfs and shared memory
included, and a task count the kernel enforces. Only where the machine lets the grader
make cgroups (root, with a writable cgroup tree); elsewhere the run keeps the
per-process ``RLIMIT_AS`` and the fork server's process count, and the report does not
list ``cgroup-memory`` / ``cgroup-pids``.

cgroup v2 (``memory.max``, ``pids.max``): a folder ``grader-<pid>.<start>`` directly under
the unified hierarchy's root, with the memory and pids controllers enabled for its
children, one child per run. v2 forbids processes in a folder whose controllers are
enabled for children, so the grader's own cgroup cannot be the parent. v1
(``memory.limit_in_bytes``, ``pids.max``): ``grader-<pid>.<start>-<run>`` under the
grader's own cgroup of each hierarchy (limits nest, so the host's accounting of the
grader still covers its runs). The names carry the owner, so a later grader can remove
those of a grader that died (``sweep``).
"""

from __future__ import annotations

import functools
import os
import re
import signal
import time
from dataclasses import dataclass, field

from grader.behavior.sandbox import procs
from grader.behavior.sandbox.jail import mountinfo

_OWNER = re.compile(r"^grader-(\d+)\.(\d+)(?:-|$)")


def owner_tag(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    info = procs.read_proc(pid)
    return f"{pid}.{info.start if info else 0}"


def owner_alive(pid: int, start: int) -> bool:
    info = procs.read_proc(pid)
    return info is not None and info.start == start and not info.zombie


@dataclass(frozen=True)
class Hierarchy:
    version: int
    memory: str | None  # folder the run cgroups are made in
    pids: str | None


def _own_paths() -> dict[str, str]:
    paths: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as handle:
            for line in handle:
                _num, controllers, path = line.rstrip("\n").split(":", 2)
                for controller in controllers.split(",") if controllers else [""]:
                    paths[controller] = path
    except (OSError, ValueError):
        pass
    return paths


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _write(path: str, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


@functools.lru_cache(maxsize=1)
def hierarchy() -> Hierarchy | None:
    """Where this process can make run cgroups, or None (not root, read-only tree...)."""
    if os.geteuid() != 0:
        return None
    try:
        mounts = mountinfo.read()
    except OSError:
        return None
    own = _own_paths()
    for mount in mounts:
        if mount.fstype == "cgroup2" and not mount.read_only:
            try:
                enabled = _read(os.path.join(mount.point, "cgroup.subtree_control")).split()
            except OSError:
                continue
            if "memory" in enabled and "pids" in enabled and os.access(mount.point, os.W_OK):
                return Hierarchy(2, mount.point, mount.point)
    found: dict[str, str] = {}
    for mount in mounts:
        if mount.fstype != "cgroup" or mount.read_only:
            continue
        for controller in ("memory", "pids"):
            if controller in mount.super_options and controller not in found:
                folder = mount.point + own.get(controller, "/").rstrip("/")
                if os.path.isdir(folder) and os.access(folder, os.W_OK):
                    found[controller] = folder
    if "memory" in found and "pids" in found:
        return Hierarchy(1, found["memory"], found["pids"])
    return None


_v2_parent: str | None = None


def _forget_parent_in_child() -> None:
    """A forked grader (a batch worker) makes its own folder, named after itself."""
    global _v2_parent
    _v2_parent = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parent_in_child)


def _v2_parent_folder(root: str) -> str:
    """This grader's folder under the v2 root, controllers enabled for its children."""
    global _v2_parent
    if _v2_parent is None or not os.path.isdir(_v2_parent):
        folder = os.path.join(root, f"grader-{owner_tag()}")
        os.makedirs(folder, exist_ok=True)
        _write(os.path.join(folder, "cgroup.subtree_control"), "+memory +pids")
        _v2_parent = folder
    return _v2_parent


@dataclass
class RunCgroup:
    """``create`` (parent), ``join`` (the run's first process), ``remove`` (parent)."""

    name: str
    memory_bytes: int
    max_tasks: int
    folders: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # "cgroup-memory", "cgroup-pids": limits read back

    def create(self) -> list[str]:
        place = hierarchy()
        if place is None:
            return []
        try:
            if place.version == 2:
                folder = os.path.join(_v2_parent_folder(place.memory or ""), self.name)
                os.mkdir(folder)
                self.folders = [folder]
                self._limit(folder, "memory.max", self.memory_bytes, "cgroup-memory")
                if os.path.exists(os.path.join(folder, "memory.swap.max")):
                    _write(os.path.join(folder, "memory.swap.max"), "0")
                self._limit(folder, "pids.max", self.max_tasks, "cgroup-pids")
            else:
                name = f"grader-{owner_tag()}-{self.name}"
                memory, pids = os.path.join(place.memory or "", name), os.path.join(place.pids or "", name)
                os.mkdir(memory)
                self.folders.append(memory)
                os.mkdir(pids)
                self.folders.append(pids)
                self._limit(memory, "memory.limit_in_bytes", self.memory_bytes, "cgroup-memory")
                swap = os.path.join(memory, "memory.memsw.limit_in_bytes")
                if os.path.exists(swap):
                    _write(swap, str(self.memory_bytes))
                self._limit(pids, "pids.max", self.max_tasks, "cgroup-pids")
        except OSError:
            self.held = []
        return list(self.held)

    def _limit(self, folder: str, name: str, value: int, protection: str) -> None:
        path = os.path.join(folder, name)
        _write(path, str(value))
        read_back = _read(path).strip()
        # The memory controller rounds down to whole pages.
        if read_back.isdigit() and value - 4096 < int(read_back) <= value:
            self.held.append(protection)

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(f, "cgroup.procs") for f in self.folders]

    def memory_exceeded(self) -> bool:
        """Did the kernel kill a process of the run for going past the memory limit?"""
        return self._counted("oom_kill", ("memory.events", "memory.oom_control"))

    def process_limit_hit(self) -> bool:
        """Did the kernel refuse a fork or a thread of the run at ``pids.max``? (An app that
        catches the failed fork leaves no other trace of it.)"""
        return self._counted("max", ("pids.events",))

    def _counted(self, key: str, files: tuple[str, ...]) -> bool:
        """Does ``key`` count more than zero in one of the run's event files?"""
        for folder in self.folders:
            for name in files:
                try:
                    text = _read(os.path.join(folder, name))
                except OSError:
                    continue
                for line in text.splitlines():
                    found, _, value = line.partition(" ")
                    if found == key and value.strip().isdigit() and int(value) > 0:
                        return True
        return False

    def remove(self) -> None:
        for folder in reversed(self.folders):
            _remove_group(folder)
        self.folders = []


def join(procs_files: list[str], names: list[str]) -> list[str]:
    """Move the calling process into the run's cgroups; the names of those that hold
    (the process is listed in them afterwards, as ``/proc/self/cgroup`` shows)."""
    try:
        for path in procs_files:
            _write(path, str(os.getpid()))
        listed = _read("/proc/self/cgroup")
    except OSError:
        return []
    folders = [os.path.basename(os.path.dirname(p)) for p in procs_files]
    return names if folders and all(f"/{f}\n" in listed for f in folders) else []


def _remove_group(folder: str) -> None:
    """rmdir the cgroup; processes still in it (a grader that died mid-run) are killed first."""
    for _attempt in range(50):
        try:
            os.rmdir(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            try:
                pids = [int(p) for p in _read(os.path.join(folder, "cgroup.procs")).split()]
            except (OSError, ValueError):
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)


def sweep() -> int:
    """Remove the run cgroups of graders that are gone; never a live grader's."""
    place = hierarchy()
    if place is None:
        return 0
    removed = 0
    for base in {place.memory, place.pids} - {None}:
        try:
            names = os.listdir(base)  # type: ignore[arg-type]
        except OSError:
            continue
        for name in names:
            match = _OWNER.match(name)
            if not match or owner_alive(int(match.group(1)), int(match.group(2))):
                continue
            folder = os.path.join(base, name)  # type: ignore[arg-type]
            if place.version == 2:
                for child in _subfolders(folder):
                    _remove_group(child)
            _remove_group(folder)
            removed += 1
    return removed


def _subfolders(folder: str) -> list[str]:
    try:
        return [e.path for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
