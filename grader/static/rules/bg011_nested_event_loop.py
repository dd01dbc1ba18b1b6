"""BG011: ``asyncio.run(...)`` / ``new_event_loop()`` inside a task or an endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import FunctionInfo, ModuleAnalysis
from grader.static.rule import Example, Rule
from grader.static.tasks import resolve_task

LOOP_CALLS = frozenset({"asyncio.run", "asyncio.new_event_loop", "asyncio.runners.run"})


def loop_calls(module: ModuleAnalysis, info: FunctionInfo) -> Iterator[cst.Call]:
    for call in module.own_calls(info):
        if module.call_qualified_names(call) & LOOP_CALLS:
            yield call
        elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "run_until_complete":
            yield call


class NestedEventLoop(Rule):
    """
    ## What it does
    Flags `asyncio.run(...)`, `asyncio.new_event_loop()` and `loop.run_until_complete(...)`
    in a route function or in a function of the submission run as a background task.

    ## Why is this bad?
    In an `async def` endpoint or task the server's event loop is already running in that
    thread: `asyncio.run()` raises `RuntimeError: asyncio.run() cannot be called from a
    running event loop`, and `run_until_complete` fails the same way. A plain `def` endpoint
    or task runs in a worker thread, where no loop runs: there it works, but it builds a
    whole new event loop on every call, and anything bound to the server's loop (async
    database engines, HTTP clients) fails inside it. To run async work in the background,
    make the task an `async def` and pass it to `add_task`: Starlette awaits it on the
    server's loop.

    ## Example
    ```python
    def process_file(path: str) -> None:
        asyncio.run(analyse(path))
    ```

    ## Use instead
    ```python
    async def process_file(path: str) -> None:
        await analyse(path)

    background_tasks.add_task(process_file, path)
    ```
    """

    code = "BG011"
    name = "nested-event-loop"
    severity = Severity.ADVICE
    message = (
        "a new event loop is started inside an endpoint or background task: in async def it raises "
        "RuntimeError, in a plain def it runs a separate loop per call; make the function async def "
        "and await the work"
    )

    VALID = [
        Example(
            """
import asyncio
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

async def process_file(path):
    await asyncio.sleep(0.1)

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process_file, "x")

if __name__ == "__main__":
    asyncio.run(main())
""",
            note="asyncio.run at the script's entry point",
        ),
        Example(
            """
import asyncio
from fastapi import FastAPI, UploadFile
from .tasks import task_manager
app = FastAPI()

def job(path):
    asyncio.run(work(path))

@app.post("/upload")
async def upload(file: UploadFile):
    task_manager.add_task(func=job, args=("x",))
""",
            note="not a BackgroundTasks task",
        ),
    ]
    INVALID = [
        Example(
            """
import asyncio
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process_file(path):
    asyncio.run(analyse(path))

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process_file, "x")
""",
            line=7,
        ),
        Example(
            """
from asyncio import new_event_loop
from fastapi import APIRouter, UploadFile
router = APIRouter()

@router.post("/files")
def receive(doc: UploadFile):
    loop = new_event_loop()
    loop.run_until_complete(analyse(doc))
""",
            line=8,
            note="import alias, router, sync endpoint",
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
            files={"worker.py": "import asyncio\n\ndef process(path):\n    asyncio.run(analyse(path))\n"},
            note="task in another module",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for info in module.functions:
            if info.is_route:
                for call in loop_calls(module, info):
                    yield self.finding(module, call, self._explain(info, "endpoint"))
        seen: set[int] = set()
        for task in module.add_task_calls:
            resolved = resolve_task(module, task)
            if resolved is None or id(resolved[1].node) in seen:
                continue
            seen.add(id(resolved[1].node))
            target_module, target = resolved
            for call in loop_calls(target_module, target):
                yield self.finding(target_module, call, self._explain(target, "background task"))

    @staticmethod
    def _explain(info: FunctionInfo, role: str) -> str:
        if info.is_async:
            return (
                f"a new event loop is started inside async def {role} {info.name}(): the server's loop is "
                "already running in this thread, so this raises RuntimeError; await the coroutine instead"
            )
        return (
            f"a new event loop is started inside {role} {info.name}(), a plain def that runs in a worker "
            "thread: it works, but builds a separate loop on every call, and anything bound to the "
            f"server's loop (async database engines, HTTP clients) fails in it; make {info.name} an "
            "async def and await the work"
        )
