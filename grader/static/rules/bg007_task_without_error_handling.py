"""BG007: a background task function with no error handling and no logging."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import FunctionInfo, ModuleAnalysis
from grader.static.rule import Example, Rule
from grader.static.tasks import called_functions, has_try, logs, resolve_task, uses_suppress


def guarded(module: ModuleAnalysis, info: FunctionInfo) -> bool:
    """``try/except``, ``contextlib.suppress`` or logging in the task or a function it calls.

    A decorated task is given the benefit of the doubt: the decorator may catch and log.
    """
    if info.node.decorators:
        return True
    if has_try(info) or uses_suppress(module, info) or logs(module, info):
        return True
    return any(
        has_try(target) or logs(target_module, target)
        for target_module, target in called_functions(module, info)
    )


class TaskWithoutErrorHandling(Rule):
    """
    ## What it does
    Flags a function of the submission that is run as a background task (found through
    `add_task`, also through `functools.partial`, a lambda, or an import from another
    module) when it has neither a `try`/`except` around its work nor any logging call.

    ## Why is this bad?
    A background task runs after the response was sent. When it raises, the client is
    never told; the only trace is a traceback in the server's console, and nothing records
    which upload failed. Catching the error inside the task lets you log it with context,
    mark the upload as failed, or clean up the half-written file.

    ## Example
    ```python
    def process_file(path: Path) -> None:
        text = path.read_text()
        (path.with_suffix(".processed.txt")).write_text(text.upper())
    ```

    ## Use instead
    ```python
    logger = logging.getLogger(__name__)

    def process_file(path: Path) -> None:
        try:
            text = path.read_text()
            (path.with_suffix(".processed.txt")).write_text(text.upper())
        except Exception:
            logger.exception("processing %s failed", path)
    ```
    """

    code = "BG007"
    name = "task-without-error-handling"
    severity = Severity.ADVICE
    message = (
        "this background task has no try/except and no logging: if it fails after the response, "
        "nobody is told; catch the error inside the task and log it"
    )

    VALID = [
        Example(
            """
import logging
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()
logger = logging.getLogger(__name__)

def process_file(path):
    try:
        open(path).read()
    except OSError:
        logger.exception("failed")

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process_file, "x")
""",
        ),
        Example(
            """
import logging
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process_file(path):
    logging.info("processing %s", path)
    open(path).read()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process_file, "x")
    tasks.add_task(print, "done")
    tasks.add_task(unknown_helper, "x")
""",
            note="logging counts; builtins and unresolved callees stay silent",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from .worker import process
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process, "x")
""",
            files={
                "worker.py": '''
import logging
log = logging.getLogger("worker")

def process(path):
    try:
        open(path).read()
    except Exception as exc:
        log.error("failed: %s", exc)
''',
            },
            note="a guarded task in another module",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile
from .tasks import task_manager
app = FastAPI()

def process(path):
    open(path).read()

@app.post("/upload")
async def upload(file: UploadFile):
    task_manager.add_task(func=process, args=("x",))
""",
            note="not a BackgroundTasks task",
        ),
    ]
    INVALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process_file(path: str):
    with open(path) as f:
        print(len(f.read()))

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process_file, "saved.bin")
""",
            line=5,
        ),
        Example(
            """
from fastapi import APIRouter, UploadFile, File
from fastapi import BackgroundTasks as Jobs
from typing import Annotated
from .worker import process
router = APIRouter()

@router.post("/files")
def receive(doc: Annotated[UploadFile, File()], jobs: Jobs):
    jobs.add_task(process, "x")
""",
            files={"worker.py": "def process(path):\n    open(path).read()\n"},
            note="task imported from another module, alias, Annotated, router, sync def",
        ),
        Example(
            """
import functools
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    async def work(path):
        open(path).read()
    tasks.add_task(functools.partial(work, "x"))
    tasks.add_task(lambda: work("y"))
""",
            line=8,
            note="nested async task reached through partial and lambda",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        seen: set[int] = set()
        for call in module.add_task_calls:
            resolved = resolve_task(module, call)
            if resolved is None:
                continue
            target_module, target = resolved
            if id(target.node) in seen:
                continue
            seen.add(id(target.node))
            if not guarded(target_module, target):
                yield self.finding(target_module, target.node.name)
