"""Build the run's root filesystem and switch to it (``pivot_root``), as bubblewrap does.

Runs in the jail's init process (pid 1 of the run's PID namespace), inside the run's
new mount namespace, before any student code. The order matters:

1. every mount becomes private, so nothing made here reaches the host;
2. an empty tmpfs is mounted on the run's staging folder: the future ``/``;
3. every bind *source* is a real path of the host tree and every *target* lies inside
   the staging folder, so no mount can hide the source of a later one (binding /var/tmp
   after /tmp was replaced silently bound the replacement);
4. targets are mounted parents first (the run's /tmp before a Python folder that lives
   under /tmp), then every bound tree is made read-only, submount by submount;
5. /dev gets its own small tmpfs with the usual device nodes bound from the host, /proc
   a fresh instance of the run's PID namespace with its dangerous corners read-only;
6. ``pivot_root`` onto the staging folder, the old root is detached, ``/`` made read-only.

``proofs.root`` then compares ``/proc/self/mountinfo`` with the plan: a mount that is not in
the plan, or writable where the plan says read-only, means the root is not private.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from grader.behavior.sandbox.jail import mountinfo, syscalls
from grader.behavior.sandbox.jail.exposed import Exposure

DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2", "core": "/proc/kcore"}
PROC_COVERED = ("sys", "sysrq-trigger", "irq", "bus")  # read-only inside the run (bubblewrap's list)
_BASE = syscalls.MS_NOSUID | syscalls.MS_NODEV


@dataclass(frozen=True)
class Plan:
    """What the new root holds; every path as the child sees it."""

    staging: str  # host folder that becomes "/"
    exposure: Exposure
    writable: dict[str, str]  # "/tmp" -> host folder of the run
    ipc_limit_bytes: int | None = None  # System V shared memory of the run's IPC namespace

    def kind_of(self, point: str) -> str | None:
        """``ro``, ``rw``, ``dev``, ``proc`` or ``root`` for a mount point, from the deepest
        planned mount holding it; None when nothing planned holds it."""
        best, kind = "", None
        planned = [(b, "ro") for b in self.exposure.binds] + [(w, "rw") for w in self.writable]
        planned += [("/dev", "ro")] + [(f"/dev/{n}", "dev") for n in DEV_NODES]
        planned += [("/proc", "proc")] + [(f"/proc/{c}", "ro") for c in PROC_COVERED]
        for path, what in planned:
            if (point == path or point.startswith(path.rstrip("/") + "/")) and len(path) > len(best):
                best, kind = path, what
        if kind is None and point == "/":
            return "root"
        return kind


@dataclass
class Outcome:
    pivoted: bool = False
    proc: bool = False
    problems: list[str] = field(default_factory=list)


def _inside(staging: str, path: str) -> str:
    return staging.rstrip("/") + path


def _make_target(target: str, is_dir: bool) -> None:
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if is_dir:
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.lexists(target):
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o444))


def _bind(source: str, target: str) -> None:
    _make_target(target, os.path.isdir(source))
    syscalls.mount(source, target, None, syscalls.MS_BIND | syscalls.MS_REC)


def _lock_down(plan: Plan) -> None:
    """Make every planned-read-only mount read-only (a recursive bind keeps each submount's
    own flags, so each is remounted), keep the flags the kernel locked on the original."""
    staging = plan.staging.rstrip("/")
    for mount in mountinfo.under(mountinfo.read(), staging):
        inner = mount.point[len(staging):] or "/"
        kind = plan.kind_of(inner)
        if kind not in ("ro", "dev", "rw") or inner == "/":
            continue
        wanted = mount.flags | syscalls.MS_NOSUID
        if kind == "ro":
            wanted |= syscalls.MS_RDONLY | syscalls.MS_NODEV
        elif kind == "rw":
            wanted |= syscalls.MS_NODEV
        if wanted != mount.flags:
            syscalls.mount(None, mount.point, None, syscalls.MS_REMOUNT | syscalls.MS_BIND | wanted)


def _build_dev(plan: Plan) -> None:
    dev = _inside(plan.staging, "/dev")
    os.makedirs(dev, mode=0o755, exist_ok=True)
    syscalls.mount("tmpfs", dev, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64")
    for name in DEV_NODES:
        if os.path.exists(f"/dev/{name}"):
            _bind(f"/dev/{name}", f"{dev}/{name}")
    for name, target in DEV_LINKS.items():
        os.symlink(target, f"{dev}/{name}")
    if "/dev/shm" in plan.writable:
        _bind(plan.writable["/dev/shm"], f"{dev}/shm")


def _limit_ipc(proc: str, limit_bytes: int) -> None:
    """System V shared memory of this IPC namespace: at most ``limit_bytes`` in all."""
    for name, value in (("shmmax", limit_bytes), ("shmall", max(1, limit_bytes // 4096)), ("shmmni", 64)):
        with open(f"{proc}/sys/kernel/{name}", "w") as handle:
            handle.write(str(value))


def _build_proc(plan: Plan, outcome: Outcome) -> None:
    proc = _inside(plan.staging, "/proc")
    os.makedirs(proc, mode=0o555, exist_ok=True)
    try:
        syscalls.mount("proc", proc, "proc", syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC)
    except OSError as exc:
        # A container that masks parts of the host's /proc forbids a new one inside a user
        # namespace: no /proc then, never the host's.
        outcome.problems.append(f"no /proc ({exc.strerror})")
        return
    outcome.proc = True
    if plan.ipc_limit_bytes is not None:
        try:
            _limit_ipc(proc, plan.ipc_limit_bytes)
        except OSError as exc:
            outcome.problems.append(f"System V limits not set ({exc.strerror})")
    for name in PROC_COVERED:
        path = f"{proc}/{name}"
        if os.path.exists(path):
            syscalls.mount(path, path, None, syscalls.MS_BIND | syscalls.MS_REC)


def build(plan: Plan) -> Outcome:
    """Mount everything under the staging folder and pivot into it (see the module doc).
    Raises OSError when the new root cannot be made; the caller then keeps the host view
    and does not claim ``private-root``."""
    outcome = Outcome()
    staging = plan.staging
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    syscalls.mount("tmpfs", staging, "tmpfs", _BASE, "mode=0755,size=1m,nr_inodes=4096")
    for link, target in plan.exposure.links.items():
        os.symlink(target, _inside(staging, link))
    targets = [(b, b) for b in plan.exposure.binds]
    targets += [(host, child) for child, host in plan.writable.items() if child != "/dev/shm"]
    for source, child in sorted(targets, key=lambda t: (t[1].count("/"), t[1])):
        _bind(source, _inside(staging, child))
    _build_dev(plan)
    _build_proc(plan, outcome)
    _lock_down(plan)
    os.chdir(staging)
    syscalls.pivot_root(".", ".")
    syscalls.umount("/", syscalls.MNT_DETACH)  # the old root, stacked on top by pivot_root(".", ".")
    os.chdir("/")
    outcome.pivoted = True
    try:
        syscalls.mount(None, "/", None, syscalls.MS_REMOUNT | syscalls.MS_BIND | syscalls.MS_RDONLY | _BASE)
    except OSError as exc:  # inside the new root now: the check then finds "/" writable
        outcome.problems.append(f"/ stayed writable ({exc.strerror})")
    return outcome
