"""Attack: stay under the per-process memory limit in each of several processes, and
far over it together."""

import os
import time

mib = int(open("each_mib.txt").read())
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(mib << 20)  # zero-filled: every page is touched
            time.sleep(30)
        finally:
            os._exit(0)  # never back into the harness: this is a copy of the student's process
    children.append(pid)
FINDINGS = {"statuses": []}
for _ in children:
    pid, status = os.wait()  # whichever ends first
    FINDINGS["statuses"].append(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status))
    if len(FINDINGS["statuses"]) == 1:
        for other in children:  # one was stopped: the others are not needed any more
            if other != pid:
                os.kill(other, 9)
FINDINGS["done"] = True
