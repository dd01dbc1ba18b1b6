"""Create the run's namespaces: mount, PID, IPC, UTS and network; as root directly,
otherwise inside a new user namespace (where the kernel allows unprivileged ones).

Called by the run's first process, which stays outside: ``unshare(CLONE_NEWPID)`` puts
only the processes it forks afterwards in the new PID namespace, the first of them as
its pid 1. When that process dies, the kernel kills every process left in the namespace,
and none of them can signal anything outside it: ``kill(-1, SIGKILL)`` from the student
reaches the run's own processes only.
"""

from __future__ import annotations

import os

from grader.behavior.sandbox.jail import syscalls

NAMES = ("mnt", "pid", "ipc", "uts", "net", "user")
FLAGS = syscalls.CLONE_NEWNS | syscalls.CLONE_NEWPID | syscalls.CLONE_NEWIPC | syscalls.CLONE_NEWUTS | syscalls.CLONE_NEWNET
OPT_IN_ENV = "GRADER_ALLOW_UNISOLATED"


def ids() -> dict[str, int]:
    """The inode of each namespace this process is in (two processes share a namespace
    exactly when these are equal)."""
    found = {}
    for name in NAMES:
        try:
            found[name] = os.stat(f"/proc/self/ns/{name}").st_ino
        except OSError:
            continue
    return found


def enter(as_root: bool) -> str | None:
    """Unshare the run's namespaces; None when done, otherwise why not (a sentence)."""
    try:
        if as_root:
            syscalls.unshare(FLAGS)
            return None
        uid, gid = os.geteuid(), os.getegid()
        syscalls.unshare(FLAGS | syscalls.CLONE_NEWUSER)
    except OSError as exc:
        if as_root:
            return (f"the grader, although root, may not create namespaces ({exc.strerror}); "
                    "in a container, start it with --cap-add SYS_ADMIN")
        return f"unprivileged user namespaces are not available on this machine ({exc.strerror})"
    # The same uid and gid inside: files the child makes belong to the grader's user.
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    with open("/proc/self/uid_map", "w") as handle:
        handle.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as handle:
        handle.write(f"{gid} {gid} 1")
    return None


def refusal(reason: str) -> str:
    """The one line a grader without isolation stops with."""
    return (f"Behavior checks run student code, and this machine cannot isolate it: {reason}. "
            "Run the grader as root (for example with sudo), or allow unprivileged user namespaces "
            "(on Ubuntu 24.04: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0), "
            f"or set {OPT_IN_ENV}=1 to run them without isolation (a submission could then stop "
            "or read the grader).")


def opted_out_of_isolation() -> bool:
    return os.environ.get(OPT_IN_ENV, "") not in ("", "0")
