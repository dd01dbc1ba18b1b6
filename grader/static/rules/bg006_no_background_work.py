"""BG006: an upload endpoint that schedules no background work at all."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import FunctionInfo, ModuleAnalysis
from grader.static.rule import Example, Rule
from grader.static.tasks import called_functions

# Any of these hands work to something that runs it later: not the assignment's
# BackgroundTasks, but not "processing inline" either, so the rule stays silent.
_SCHEDULING_METHODS = frozenset(
    {
        "add_task",
        "delay",
        "apply_async",
        "send_task",
        "enqueue",
        "enqueue_call",
        "submit",
        "create_task",
        "ensure_future",
        "run_in_executor",
        "start_soon",
        "spawn",
        "kiq",
    }
)
_SCHEDULING_CALLS = frozenset(
    {
        "threading.Thread",
        "threading.Timer",
        "multiprocessing.Process",
        "starlette.background.BackgroundTask",
        "fastapi.background.BackgroundTask",
    }
)


def _within(info: FunctionInfo | None, outer: FunctionInfo) -> bool:
    while info is not None:
        if info is outer:
            return True
        info = info.parent
    return False


def _schedules_by_call(module: ModuleAnalysis, info: FunctionInfo) -> bool:
    for call in module.calls_in(info.node.body):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _SCHEDULING_METHODS:
            return True
        if module.call_qualified_names(call) & _SCHEDULING_CALLS:
            return True
        if any(arg.keyword is not None and arg.keyword.value == "background" for arg in call.args):
            return True
    return False


def _uses_background_param(module: ModuleAnalysis, info: FunctionInfo) -> bool:
    """The injected BackgroundTasks is used at all (perhaps handed to a helper)."""
    scope = module.scope(info.node.body)
    if scope is None:
        return False
    return any(
        assignment.references
        for name in info.background_params
        if name in scope
        for assignment in scope[name]
    )


def schedules_work(module: ModuleAnalysis, info: FunctionInfo) -> bool:
    """``info`` (or a function of the submission it calls) schedules something for later."""
    if any(_within(call.function, info) for call in module.add_task_calls):
        return True
    if _uses_background_param(module, info) or _schedules_by_call(module, info):
        return True
    for target_module, target in called_functions(module, info):
        if target.background_params or _schedules_by_call(target_module, target):
            return True
        if any(_within(call.function, target) for call in target_module.add_task_calls):
            return True
    return False


def _all_modules(module: ModuleAnalysis) -> Iterable[ModuleAnalysis]:
    if module.project is None:
        return [module]
    modules = module.project.modules
    # Iterated, not listed: a parallel lint parses another worker's module only if reached.
    return modules.values() if modules else [module]


class NoBackgroundWork(Rule):
    """
    ## What it does
    Flags an upload endpoint (a route with an `UploadFile` parameter) that schedules no
    background work at all: no `add_task`, no use of its `BackgroundTasks` parameter, no
    `background=` response, no other task queue or thread, also not in a helper of the
    submission it calls. When another upload endpoint of the submission does schedule the
    work, an extra endpoint that processes inline (a preview, a size check) is not flagged.

    ## Why is this bad?
    The assignment is to answer the client before the processing finishes. Processing
    inside the endpoint makes the client wait for all of it: a common mistake is to call
    `process_file(...)` directly in the endpoint, which holds the response until the work
    is done. In an `async def` endpoint it also blocks every other request while it runs.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile):
        path = save(file)
        process_file(path)
        return {"message": "File saved and processed"}
    ```

    ## Use instead
    ```python
    @app.post("/upload")
    def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = save(file)                # plain def endpoint: runs in a worker thread
        background_tasks.add_task(process_file, path)
        return {"message": "File saved, processing started"}
    ```
    """

    code = "BG006"
    name = "no-background-work"
    severity = Severity.ERROR
    message = (
        "this upload endpoint schedules no background work: the processing runs before the "
        "response and the client waits for it; take `background_tasks: BackgroundTasks` and "
        "call background_tasks.add_task(process, saved_path)"
    )

    VALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    contents = await file.read()
    with open(f"saved_{file.filename}", "wb") as f:
        f.write(contents)
    background_tasks.add_task(process_file, f"saved_{file.filename}")
    return {"message": "File saved and processing started"}
""",
            note="save in the endpoint, then schedule the processing",
        ),
        Example(
            """
from fastapi import APIRouter, UploadFile, BackgroundTasks
from .service import handle_upload
router = APIRouter()

@router.post("/upload")
def upload(file: UploadFile, tasks: BackgroundTasks):
    return handle_upload(file, tasks)

@router.post("/preview")
def preview(file: UploadFile):
    return {"size": len(file.file.read(1024))}
""",
            note="BackgroundTasks handed to a helper; an inline preview beside a scheduling endpoint",
        ),
        Example(
            """
import asyncio
from fastapi import FastAPI, UploadFile
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask
app = FastAPI()

@app.post("/a")
async def a(file: UploadFile):
    return JSONResponse({}, background=BackgroundTask(process_file, "x"))
""",
            note="a single starlette BackgroundTask on the response",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile
from .worker import process
app = FastAPI()

def save_and_queue(file):
    process.delay(file.filename)

@app.post("/upload")
def upload(file: UploadFile):
    save_and_queue(file)
""",
            note="a helper that queues a Celery task",
        ),
    ]
    INVALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    contents = await file.read()
    with open(f"saved_{file.filename}", "wb") as f:
        f.write(contents)
    process_file(f"saved_{file.filename}")
    return {"message": "File saved and processed"}
""",
            line=6,
            note="processing called directly in the endpoint",
        ),
        Example(
            """
from typing import Annotated
import fastapi
from fastapi import BackgroundTasks as Jobs
router = fastapi.APIRouter()

@router.put("/files")
def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    def work():
        handle(doc.file.read())
    work()
    return {}
""",
            line=8,
            note="alias, Annotated, router, sync def, nested helper, BackgroundTasks declared but unused",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        endpoints = module.endpoints
        if not endpoints:
            return
        inline = [info for info in endpoints if not schedules_work(module, info)]
        if not inline:
            return
        for other in _all_modules(module):
            if any(schedules_work(other, info) for info in other.endpoints):
                return
        for info in inline:
            yield self.finding(module, info.node.name)
