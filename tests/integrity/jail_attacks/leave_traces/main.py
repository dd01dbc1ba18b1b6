"""Attack: leave files (and a System V segment) where the next run would find them, and
report what earlier runs left. ``label.txt`` names this run."""

import ctypes
import os

KEY = 0x6A61696C
PLACES = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", "..", "../.."]
label = open("label.txt").read().strip()
FINDINGS = {"seen": {}, "written": [], "errors": {}}
for place in PLACES:
    try:
        FINDINGS["seen"][place] = sorted(n for n in os.listdir(place) if n.startswith("trace-") and n != f"trace-{label}")
    except OSError as exc:
        FINDINGS["errors"][place] = exc.strerror
    try:
        with open(os.path.join(place, f"trace-{label}"), "w") as handle:
            handle.write(label)
        FINDINGS["written"].append(place)
    except OSError as exc:
        FINDINGS["errors"][place] = exc.strerror

libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.restype = ctypes.c_int
existing = libc.shmget(KEY, 0, 0)
FINDINGS["sysv_found"] = existing >= 0
created = libc.shmget(KEY, 4096, 0o1000 | 0o666)  # IPC_CREAT
FINDINGS["sysv_created"] = created >= 0
FINDINGS["done"] = True
