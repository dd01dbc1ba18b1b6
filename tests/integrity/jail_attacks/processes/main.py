"""Attack: list every process and read their command lines (the class folder's path,
the grader's options)."""

import os

FINDINGS = {"pids": [], "cmdlines": []}
for name in os.listdir("/proc"):
    if name.isdigit():
        FINDINGS["pids"].append(int(name))
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                FINDINGS["cmdlines"].append(handle.read().replace(b"\0", b" ").decode("utf-8", "replace"))
        except OSError:
            pass
FINDINGS["my_pid"] = os.getpid()
FINDINGS["done"] = True
