"""Attack: fill the disk with many files, each under any per-file size limit."""

import os

FINDINGS = {"files": 0}
try:
    for number in range(2048):  # 2 GiB at most
        with open(f"/tmp/part-{number}", "wb") as handle:
            handle.write(b"\1" * (1 << 20))
        FINDINGS["files"] += 1
except OSError as exc:
    FINDINGS["error"] = exc.strerror
FINDINGS["done"] = True
