"""Run a Python script as a grader with fewer rights than root (for the tests of those
paths, which must themselves start as root).

``python jail_unprivileged.py CONFIG_JSON``: in a new mount namespace, the Python
installation is made reachable for any uid (a tmpfs over a 0700 home, the installation
bound back; ``"expose": false`` skips it), then the script runs with ``env``:

- as ``uid``: a user's grader. With ``"userns": false`` inside a user namespace that may
  not create others, as on a machine where unprivileged user namespaces are disabled;
- with ``"uid": null, "drop_sys_admin": true``: root without CAP_SYS_ADMIN, as in a
  container started without it (no namespaces, no mounts).
"""

from __future__ import annotations

import json
import os
import sys

from grader.behavior.sandbox.jail import syscalls


def _expose_python() -> None:
    """Cover every 0700 folder above the interpreter with an empty tmpfs, binding the
    installation back (the trick a non-root grader's machine does not need)."""
    prefix = os.path.realpath(sys.base_prefix)
    keep = os.open(prefix, os.O_PATH | os.O_DIRECTORY)
    current = "/"
    for part in [p for p in prefix.split("/") if p][:-1]:
        current = os.path.join(current, part)
        if not os.stat(current).st_mode & 0o001:
            syscalls.mount("tmpfs", current, "tmpfs", 0, "mode=0755,size=1m")
            os.makedirs(prefix, mode=0o755, exist_ok=True)
            syscalls.mount(f"/proc/self/fd/{keep}", prefix, None, syscalls.MS_BIND | syscalls.MS_REC)
            break


def _no_more_user_namespaces() -> None:
    """Enter a user namespace (maps written by our still-root parent) that may create none."""
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid:
        os.read(ready_r, 1)
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as handle:
                handle.write("0 0 4294967295")
        os.write(mapped_w, b"x")
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    syscalls.unshare(syscalls.CLONE_NEWUSER | syscalls.CLONE_NEWNS)
    os.write(ready_w, b"x")
    os.read(mapped_r, 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as handle:
        handle.write("0")


CAP_SYS_ADMIN = 21


def _drop_sys_admin() -> None:
    """Out of the bounding set: the script (started by execve as root) never gets it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(syscalls.PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")


def main() -> None:
    config = json.loads(sys.argv[1])
    if config.get("userns", True):
        syscalls.unshare(syscalls.CLONE_NEWNS)
    else:
        _no_more_user_namespaces()
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    if config.get("expose", True):
        _expose_python()
    if config.get("drop_sys_admin"):
        _drop_sys_admin()
    if config.get("uid") is not None:
        uid = int(config["uid"])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.chdir(config["cwd"])
    os.execve(sys.executable, [sys.executable, "-c", config["script"]], config["env"])


if __name__ == "__main__":
    main()
