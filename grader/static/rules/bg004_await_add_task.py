"""BG004: ``await tasks.add_task(...)``: add_task returns None."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.rule import Example, Rule


class AwaitAddTask(Rule):
    """
    ## What it does
    Flags `await background_tasks.add_task(...)` on a FastAPI/Starlette `BackgroundTasks`.

    ## Why is this bad?
    `BackgroundTasks.add_task` is a plain method: it appends the task to a list and
    returns `None`. `await None` raises `TypeError: object NoneType can't be used in 'await'
    expression`, so every request to the endpoint fails with a 500 (the task was queued but
    the response never succeeds). It is a common mistake: `add_task` looks like it should be
    awaited in an `async def` endpoint, but it only schedules the task.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        await background_tasks.add_task(process_file, path)
    ```

    ## Use instead
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        background_tasks.add_task(process_file, path)
    ```
    """

    code = "BG004"
    name = "await-add-task"
    severity = Severity.ERROR
    message = (
        "add_task(...) is awaited, but BackgroundTasks.add_task returns None: `await None` raises "
        "TypeError and every request fails with 500; call it without await"
    )

    VALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process_file, "saved.bin")
    return {"ok": True}
""",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile
from arq_like import TaskQueue
from .tasks import task_manager
app = FastAPI()
queue = TaskQueue()

@app.post("/upload")
async def upload(file: UploadFile):
    await queue.add_task(process_file, "saved.bin")
    await task_manager.add_task(func=process_file, args=("saved.bin",))
    await process_file.delay("saved.bin")
""",
            note="third-party queues whose add_task really is awaitable, a project's own manager, Celery",
        ),
    ]
    INVALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    await background_tasks.add_task(process_file, file.filename)
    return {"message": "Processing started"}
""",
            line=7,
        ),
        Example(
            """
from typing import Annotated
import fastapi
from starlette.background import BackgroundTasks as Jobs

router = fastapi.APIRouter()

@router.post("/files")
async def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    async def later():
        await jobs.add_task(handle, "x")
    await later()
""",
            line=11,
            note="starlette alias, Annotated, router, nested function",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks, Depends
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, bg: BackgroundTasks = Depends()):
    result = await bg.add_task(process_file, "x")
""",
            line=7,
            note="BackgroundTasks = Depends() is still the injected BackgroundTasks",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for call in module.add_task_calls:
            if call.awaited:
                yield self.finding(module, call.call)
