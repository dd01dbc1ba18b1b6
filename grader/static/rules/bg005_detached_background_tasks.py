"""BG005: a ``BackgroundTasks()`` built in the function gets tasks but never reaches a response."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import BACKGROUND_TASKS_NAMES, FunctionInfo, ModuleAnalysis
from grader.static.rule import Example, Rule


def escapes(module: ModuleAnalysis, info: FunctionInfo, name: str) -> bool:
    """``name`` is used other than ``name.<method>(...)``: returned, passed on, attached.

    Any such use (``background=tasks``, ``response.background = tasks``, ``return tasks``,
    ``helper(tasks)``, ``await tasks()``) may hand the tasks to something that runs them,
    so the rule stays silent.
    """
    scope = module.scope(info.node.body)
    if scope is None or name not in scope:
        return True
    for assignment in scope[name]:
        for access in assignment.references:
            node = access.node
            parent = module.parent(node)
            if isinstance(parent, cst.Attribute) and parent.value is node:
                continue  # tasks.add_task(...), tasks.tasks
            return True
    return False


class DetachedBackgroundTasks(Rule):
    """
    ## What it does
    Flags a `BackgroundTasks()` object built inside a function, given tasks with
    `add_task`, and never attached to a response (`JSONResponse(..., background=tasks)` or
    `response.background = tasks`) nor handed to anything else. A `BackgroundTasks`
    parameter, including `bg: BackgroundTasks = BackgroundTasks()`, is injected by FastAPI
    and runs on its own: not flagged.

    ## Why is this bad?
    FastAPI only runs the `BackgroundTasks` it injected as a parameter, or the one attached
    to the response the endpoint returns. An object you construct yourself is just a list:
    its tasks are silently dropped, nothing is processed, and no error appears anywhere.
    Creating `BackgroundTasks()` inside the function is a common mistake for exactly this
    reason: it looks like the injected one but nothing ever runs it.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile):
        tasks = BackgroundTasks()
        tasks.add_task(process_file, path)
        return {"message": "Processing started"}
    ```

    ## Use instead
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        background_tasks.add_task(process_file, path)
        return {"message": "Processing started"}
    ```
    or attach your own object: `return JSONResponse({...}, background=tasks)`.
    """

    code = "BG005"
    name = "detached-background-tasks"
    severity = Severity.ERROR
    message = (
        "this BackgroundTasks() gets tasks but is never attached to the returned response: its "
        "tasks never run; declare a BackgroundTasks parameter instead, or return a response "
        "with background=tasks"
    )

    VALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from fastapi.responses import JSONResponse
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    tasks = BackgroundTasks()
    tasks.add_task(process_file, "saved.bin")
    return JSONResponse({"ok": True}, background=tasks)
""",
            note="attached with background=",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, Response
from starlette.background import BackgroundTasks
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile, response: Response):
    jobs = BackgroundTasks()
    jobs.add_task(process_file, "saved.bin")
    response.background = jobs
    return {"ok": True}
""",
            note="response.background = ..., starlette import, sync def",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, bg: BackgroundTasks = BackgroundTasks()):
    bg.add_task(process_file, "saved.bin")
    return {"ok": True}
""",
            note="a parameter default is injected by FastAPI",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile
from .tasks import TaskManager
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    manager = TaskManager()
    manager.add_task(func=process_file, args=("saved.bin",))
    return {"ok": True}
""",
            note="a project's own task manager",
        ),
        Example(
            """
from fastapi import BackgroundTasks

def build_tasks(path):
    tasks = BackgroundTasks()
    tasks.add_task(process_file, path)
    return tasks
""",
            note="returned to a caller that can attach it",
        ),
    ]
    INVALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    background_tasks = BackgroundTasks()
    background_tasks.add_task(process_file, file.filename)
    return {"message": "Processing started"}
""",
            line=7,
        ),
        Example(
            """
import fastapi
from typing import Annotated
router = fastapi.APIRouter()

@router.post("/files")
def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()]):
    def schedule():
        jobs = fastapi.BackgroundTasks()
        jobs.add_task(handle, "x")
    schedule()
    return {}
""",
            line=9,
            note="module import, Annotated, router, sync def, nested function",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for info in module.functions:
            for name in sorted(info.local_background_tasks):
                if not any(c.function is info and c.receiver_name == name for c in module.add_task_calls):
                    continue
                if escapes(module, info, name):
                    continue
                for value in info.assignments.get(name, []):
                    if isinstance(value, cst.Call) and module.is_qualified(value.func, BACKGROUND_TASKS_NAMES):
                        yield self.finding(module, value)
