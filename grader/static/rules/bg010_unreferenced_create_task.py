"""BG010: ``asyncio.create_task(...)`` in an endpoint with no reference kept."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import FunctionInfo, ModuleAnalysis
from grader.static.rule import Example, Rule

CREATE_TASK_NAMES = frozenset({"asyncio.create_task", "asyncio.ensure_future", "asyncio.tasks.create_task"})
LOOP_FACTORIES = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop"})


def is_create_task(module: ModuleAnalysis, call: cst.Call, info: FunctionInfo) -> bool:
    if module.call_qualified_names(call) & CREATE_TASK_NAMES:
        return True
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "create_task"):
        return False
    loop = func.value  # asyncio.get_running_loop().create_task(...) / loop.create_task(...)
    if isinstance(loop, cst.Name):
        value = info.value_of(loop.value)
        loop = value if value is not None else loop
    return isinstance(loop, cst.Call) and bool(module.call_qualified_names(loop) & LOOP_FACTORIES)


def _dropped(module: ModuleAnalysis, call: cst.Call, info: FunctionInfo) -> bool:
    """The task object is thrown away: a bare statement, or a local never read again."""
    parent = module.parent(call)
    if isinstance(parent, cst.Expr):
        return True
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            scope = module.scope(info.node.body)
            if scope is None or target.value not in scope:
                return False
            return not any(a.references for a in scope[target.value])
    return False


class UnreferencedCreateTask(Rule):
    """
    ## What it does
    Flags `asyncio.create_task(...)` (also `ensure_future` and `loop.create_task`) inside
    a route function when the task object is not kept: the call is a bare statement, or
    its result goes to a local variable that is never used.

    ## Why is this bad?
    The event loop keeps only a weak reference to tasks: a task nobody references can be
    garbage-collected before it finishes (the Python docs warn about exactly this). Its
    exceptions are never retrieved, so a failure vanishes with at most a "Task exception
    was never retrieved" line. `BackgroundTasks` is the tool FastAPI gives you: it runs the
    work after the response and logs failures.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile):
        path = await save(file)
        asyncio.create_task(process_file(path))
        return {"message": "Processing started"}
    ```

    ## Use instead
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = await save(file)
        background_tasks.add_task(process_file, path)
        return {"message": "Processing started"}
    ```
    """

    code = "BG010"
    name = "unreferenced-create-task"
    severity = Severity.WARNING
    message = (
        "asyncio.create_task(...) with no reference kept: the task can be garbage-collected "
        "before it ends and its errors vanish; use BackgroundTasks.add_task"
    )

    VALID = [
        Example(
            """
import asyncio
from fastapi import FastAPI, UploadFile
app = FastAPI()
running = set()

@app.post("/upload")
async def upload(file: UploadFile):
    task = asyncio.create_task(process_file("x"))
    running.add(task)
    task.add_done_callback(running.discard)
    app.state.last = asyncio.create_task(process_file("y"))
    running.add(asyncio.create_task(process_file("z")))
    await asyncio.create_task(process_file("w"))
""",
            note="references kept or awaited",
        ),
        Example(
            """
import asyncio

async def main():
    asyncio.create_task(worker())
""",
            note="not a route",
        ),
    ]
    INVALID = [
        Example(
            """
import asyncio
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    asyncio.create_task(process_file("x"))
    return {"message": "Processing started"}
""",
            line=8,
        ),
        Example(
            """
from asyncio import create_task as spawn
import asyncio
from fastapi import APIRouter
router = APIRouter()

@router.post("/files")
async def receive():
    task = spawn(process_file("x"))
    loop = asyncio.get_running_loop()
    loop.create_task(process_file("y"))
    return {}
""",
            line=9,
            note="import alias, unused local, loop.create_task, router",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for info in module.functions:
            if not info.is_route:
                continue
            for call in module.own_calls(info):
                if is_create_task(module, call, info) and _dropped(module, call, info):
                    yield self.finding(module, call)
