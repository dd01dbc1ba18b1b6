"""INT001: code that reaches into the grader or the runtime's bookkeeping (for review)."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.integrity import reaches
from grader.static.rule import Example, Rule


class ReachesIntoRuntime(Rule):
    """
    ## What it does
    Flags code that reaches into the grader or into the bookkeeping of the running
    program, which an upload service has no reason to touch:

    - importing the grader (`import grader`, `from grader.behavior import ...`), unless the
      submission has its own module of that name;
    - `gc.get_objects()` / `get_referrers()` / `get_referents()` (every live object);
    - frame inspection: `sys._getframe`, `inspect.currentframe`, `inspect.stack`,
      `.f_back`, `.f_globals`, `.f_locals`, `.tb_frame`;
    - paths under `/proc/self`, `/proc/thread-self` or `/proc/<pid>` (open descriptors,
      memory, environment); system-wide files such as `/proc/cpuinfo` are fine;
    - `os.write`, `os.dup2`, `os.fdopen`, `os.close`, `open(fd)`... on a descriptor the code
      did not open: an integer literal of 3 or more, a loop over `range(3, ...)`, or numbers
      listed from `/proc/self/fd`;
    - rebinding an attribute of the runtime's modules: the clock (`time.time = ...`,
      `setattr(time, "monotonic", ...)`, `datetime.datetime = ...`), the server stack
      (`starlette.background.BackgroundTask = ...`, `BackgroundTasks.add_task = ...`,
      `fastapi.x = ...`), `sys`, `builtins`, `os`, `asyncio`, `pathlib`, `shutil`...;
      entries of `sys.modules`. Configuration of data libraries
      (`PIL.Image.MAX_IMAGE_PIXELS = None`) and a module of the submission are not flagged;
    - `ctypes` (direct memory access).

    ## Why is this bad?
    None of this is needed to accept, save and process an upload; all of it is how code can
    tamper with what a grader observes (the clock it reads, the results it sends, the
    objects it keeps). The grade is not lowered for it: the report is marked for review, so
    an instructor looks at the code before the grade counts. If the code has an honest
    reason, the instructor will see it.

    ## Example
    ```python
    import gc, time

    time.perf_counter = lambda: 0.0
    for obj in gc.get_objects():
        ...
    ```

    ## Use instead
    Write the upload service with the public APIs only: `BackgroundTasks.add_task` for the
    processing, your own files and descriptors, the real clock.
    ```python
    @app.post("/upload")
    def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = save(file)
        background_tasks.add_task(process_file, path)
    ```
    """

    code = "INT001"
    name = "reaches-into-runtime"
    severity = Severity.WARNING
    message = (
        "this code reaches into the grader or the running program's bookkeeping (grader imports, "
        "gc, call frames, /proc/self, descriptors it did not open, another module's globals, "
        "ctypes): an instructor reviews it"
    )

    VALID = [
        Example(
            """
import gc, os, sys, time, inspect, traceback, logging
from datetime import datetime, time as clock_time
from pathlib import Path
from PIL import Image
from fastapi import FastAPI, UploadFile, BackgroundTasks
from app import tasks
app = FastAPI()
Image.MAX_IMAGE_PIXELS = None
logger = logging.getLogger(__name__)

class Job:
    def __init__(self):
        self.time = time.time()
        self.started = datetime.now()

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    gc.collect()
    cpus = Path("/proc/cpuinfo").read_text().count("processor")
    fd = os.open("uploads/a.bin", os.O_WRONLY | os.O_CREAT)
    os.write(fd, file.file.read())
    os.close(fd)
    os.write(1, b"saved\\n")
    app.state.started = time.monotonic()
    tasks.time = clock_time(12, 30)
    logger.info("took %s", time.perf_counter())
    if not inspect.iscoroutinefunction(tasks.process):
        background_tasks.add_task(tasks.process, "uploads/a.bin")
    try:
        pass
    except Exception:
        traceback.print_exc()
    sys.stdout.flush()
    return {"cpus": cpus}
""",
            files={"app/__init__.py": "", "app/tasks.py": "def process(path):\n    pass\n"},
            note="look-alikes: gc.collect, /proc/cpuinfo, own descriptors, stdout, self.time, datetime.time, a module's own attribute",
        ),
        Example(
            """
from . import grader
from .grader import score

def check(path):
    return grader.grade(path) + score(path)
""",
            files={"__init__.py": "", "grader.py": "def grade(p):\n    return 1\n"},
            note="the submission's own module named grader",
        ),
    ]
    INVALID = [
        Example(
            """
import gc
import grader.behavior.outcome
for obj in gc.get_objects():
    pass
""",
            line=3,
            note="grader import and gc.get_objects",
        ),
        Example(
            """
import time as t
from time import perf_counter
import datetime
t.time = lambda: 0.0
setattr(t, "monotonic", lambda: 0.0)
datetime.datetime = None
""",
            line=5,
            note="rebinding the clock: alias, setattr, datetime",
        ),
        Example(
            """
import os
for fd in range(3, 64):
    os.write(fd, b"{}")
os.dup2(7, 1)
with open(5, "wb") as f:
    f.write(b"x")
""",
            line=4,
            note="writes to descriptors the code did not open",
        ),
        Example(
            """
import os, sys, inspect
entries = os.listdir(f"/proc/{os.getpid()}/fd")
caller = sys._getframe(1).f_globals
frame = inspect.currentframe().f_back
""",
            line=3,
            note="/proc/<pid>, frames",
        ),
        Example(
            """
import starlette.background
from fastapi import BackgroundTasks
import ctypes

def fake(self, func, *args, **kwargs):
    pass

BackgroundTasks.add_task = fake
starlette.background.BackgroundTask = None
""",
            line=9,
            note="monkeypatching the framework's classes and module globals, ctypes",
        ),
        Example(
            """
import sys, importlib
from pathlib import Path
secret = Path("/proc/self/environ").read_bytes()
runner = importlib.import_module("grader.behavior.runner")
sys.modules["starlette.background"] = None
""",
            line=4,
            note="/proc/self, import_module of the grader, sys.modules",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        lines: set[int] = set()
        for reach in reaches(module):
            line = module.position(reach.node)[0]
            if line in lines:
                continue  # one finding per line is enough for a reviewer
            lines.add(line)
            yield self.finding(
                module,
                reach.node,
                f"this code reaches into the grader or the running program: {reach.what}; an instructor reviews it",
            )
