"""Attack: fill the disk (through /tmp, the work area and /dev/shm) until writes fail."""

import os

FINDINGS = {"written": {}, "error": {}}
block = b"\0" * (1 << 20)
for place in ("/tmp", ".", "/dev/shm"):
    total = 0
    try:
        with open(os.path.join(place, "fill.bin"), "wb", buffering=0) as handle:
            for _ in range(4096):  # 4 GiB at most
                total += handle.write(block)
    except OSError as exc:
        FINDINGS["error"][place] = exc.strerror
    FINDINGS["written"][place] = total
FINDINGS["done"] = True
