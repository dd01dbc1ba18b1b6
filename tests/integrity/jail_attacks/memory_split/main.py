"""Attack: stay under the per-process memory limit in each of several processes, and
far over it together."""

import os
import time

mib = int(open("each_mib.txt").read())
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(mib << 20)  # zero-filled: every page is touched
        time.sleep(30)
        os._exit(0)
    children.append(pid)
FINDINGS = {"statuses": []}
for pid in children:
    _, status = os.waitpid(pid, 0)
    FINDINGS["statuses"].append(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status))
    if len(FINDINGS["statuses"]) == 1:
        for other in children[1:]:  # one was stopped: the others are not needed any more
            os.kill(other, 9)
FINDINGS["done"] = True
