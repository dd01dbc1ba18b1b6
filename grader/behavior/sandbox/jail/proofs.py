"""Check each protection after applying it; only what held is listed in the report.

The checks read the kernel's own account (``/proc/self/mountinfo``, the namespace ids in
``/proc/self/ns``, ``/proc/self/status``, ``statvfs``) and try what the student would
try (``access(W_OK)``), instead of trusting that a call which returned 0 did what was
meant.
"""

from __future__ import annotations

import os

from grader.behavior.sandbox.jail import mountinfo
from grader.behavior.sandbox.jail.newroot import Plan


def namespaces(host: dict[str, int], expect_user: bool) -> list[str]:
    """In the jail's pid 1, with the run's /proc: the namespaces that differ from the host's."""
    from grader.behavior.sandbox.jail.namespaces import ids

    mine = ids()
    changed = {name for name in mine if name in host and mine[name] != host[name]}
    held = []
    if "pid" in changed and os.getpid() == 1:
        held.append("pid-namespace")
    if "ipc" in changed and _no_sysv_segments():
        held.append("ipc-namespace")
    if "net" in changed and _only_loopback():
        held.append("no-network")
    if "uts" in changed:
        held.append("uts-namespace")
    if expect_user and "user" in changed:
        held.append("user-namespace")
    return held


def _no_sysv_segments() -> bool:
    try:
        with open("/proc/sysvipc/shm") as handle:
            return len(handle.read().strip().splitlines()) <= 1  # the header only
    except OSError:
        return False


def _only_loopback() -> bool:
    try:
        with open("/proc/net/dev") as handle:
            names = {line.split(":")[0].strip() for line in handle.read().splitlines()[2:]}
    except OSError:
        return False
    return names <= {"lo"}


def root(plan: Plan, host_root: tuple[int, int], identities: dict[str, list[int]],
         hidden: list[str]) -> list[str]:
    """Problems with the new root (empty when it holds): ``/`` really changed and is
    read-only, every mount is one the plan made, read-only where planned, and nothing
    of ``hidden`` (the class folder, the grader's home) can be seen."""
    problems = []
    top = os.stat("/")
    if (top.st_dev, top.st_ino) == tuple(host_root):
        problems.append("/ is still the host's root")
    try:
        mounts = mountinfo.read()
    except OSError:
        return problems + ["no /proc/self/mountinfo to check the mounts"]
    root_mount = mountinfo.top_at(mounts, "/")
    if root_mount is None or root_mount.fstype != "tmpfs" or not root_mount.read_only:
        problems.append("/ is not the run's read-only tmpfs")
    for mount in mounts:
        kind = plan.kind_of(mount.point)
        if kind is None:
            problems.append(f"unexpected mount at {mount.point}")
        elif kind in ("ro", "root") and not mount.read_only:
            problems.append(f"{mount.point} is writable")
    points = {m.point for m in mounts}
    problems += [f"{b} is not mounted" for b in plan.exposure.binds if b not in points]
    for child, (dev, ino) in identities.items():
        try:
            info = os.stat(child)
        except OSError:
            problems.append(f"{child} is missing")
            continue
        if (info.st_dev, info.st_ino) != (dev, ino):
            problems.append(f"{child} is not the run's folder")
    own_folders = {w.rstrip("/") or "/" for w in plan.writable}
    for path in hidden:
        # A hidden folder that is itself one of the run's own mounts (the submission's
        # original was under /tmp) shows the run's folder there, checked above, not the host's.
        if path.rstrip("/") in own_folders:
            continue
        if visible(path, top.st_dev):
            problems.append(f"{path} is visible")
    return problems


def visible(path: str, skeleton_dev: int) -> bool:
    """Does ``path`` show anything of the host? A folder of the new root's own tmpfs is
    only a skeleton on the way to a mount point, not the host's folder."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return info.st_dev != skeleton_dev


def private_tmp(identities: dict[str, list[int]]) -> bool:
    """Each of /tmp, /var/tmp, /dev/shm, /run/lock is the run's own folder."""
    for child, (dev, ino) in identities.items():
        try:
            info = os.stat(child)
        except OSError:
            return False
        if (info.st_dev, info.st_ino) != (dev, ino):
            return False
    return len(identities) == 4


def disk_budget(identities: dict[str, list[int]], budget_bytes: int) -> bool:
    """Every writable folder is on one tmpfs of at most the budget."""
    devices = set()
    for child in identities:
        try:
            devices.add(os.stat(child).st_dev)
        except OSError:
            return False
    try:
        mounts = mountinfo.read()
        stats = os.statvfs("/tmp")
    except OSError:
        return False
    tmp = mountinfo.top_at(mounts, "/tmp")
    return (len(devices) == 1 and tmp is not None and tmp.fstype == "tmpfs"
            and 0 < stats.f_blocks * stats.f_frsize <= budget_bytes)


def read_only_for_me(plan: Plan) -> list[str]:
    """After the privilege drop: what the child could write outside its own folders
    (empty when nothing), and its own folders it cannot write."""
    problems = []
    for path in ["/", "/dev", "/proc/sys", *plan.exposure.binds]:
        if os.path.exists(path) and os.access(path, os.W_OK):
            problems.append(f"{path} is writable")
    problems += [f"{w} is not writable" for w in plan.writable if not os.access(w, os.W_OK)]
    return problems


def no_capabilities() -> bool:
    """No capability in any set, and no way to gain one by running a program."""
    fields = {}
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    except OSError:
        return False
    caps = [fields.get(k, "") for k in ("CapInh", "CapPrm", "CapEff", "CapAmb")]
    return all(c and int(c, 16) == 0 for c in caps) and fields.get("NoNewPrivs") == "1"


def only_the_runs_processes() -> bool:
    """The child (pid 2 under the jail's init) sees no process but its own run's."""
    try:
        listed = {int(n) for n in os.listdir("/proc") if n.isdigit()}
    except OSError:
        return False
    return os.getpid() == 2 and listed <= {1, 2}
