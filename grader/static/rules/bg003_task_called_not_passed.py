"""BG003: ``add_task(process(path))``: the task is called in the endpoint, not passed."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import FunctionInfo, ModuleAnalysis, _find
from grader.static.rule import Example, Rule
from grader.static.tasks import is_partial, nested_function, resolve_callable

# Return values that are certainly not callable.
_PLAIN_VALUES = (
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.Dict,
    cst.List,
    cst.Tuple,
    cst.Set,
    cst.DictComp,
    cst.ListComp,
    cst.SetComp,
    cst.Comparison,
)


def returns_no_callable(module: ModuleAnalysis, info: FunctionInfo) -> bool:
    """True only when ``info`` certainly returns something that cannot be a task.

    ``async def`` gives a coroutine and a generator gives a generator; otherwise every
    ``return`` must be bare or a plain value (string, number, container, ``None``). Any
    other return value (a name, a call, a lambda) might be a function: stay silent.
    """
    if info.is_async:
        return True
    body = info.node.body
    if any(True for _ in _find(body, (cst.Yield,), stop=(cst.FunctionDef, cst.Lambda))):  # type: ignore[arg-type]
        return True
    for ret in _find(body, cst.Return, stop=(cst.FunctionDef, cst.Lambda)):
        value = ret.value
        if value is None:
            continue
        if isinstance(value, _PLAIN_VALUES):
            continue
        if isinstance(value, cst.Name) and value.value in {"None", "True", "False"}:
            continue
        return False
    return True


def called_task(
    module: ModuleAnalysis, func: cst.BaseExpression, info: FunctionInfo | None
) -> tuple[cst.Call, FunctionInfo] | None:
    """The call whose result is handed to add_task, when that result cannot be a task, and
    the function it calls."""
    call = func
    if isinstance(func, cst.Name) and info is not None and nested_function(module, info, func.value) is None:
        value = info.value_of(func.value)  # ``job = process(path); tasks.add_task(job)``
        if isinstance(value, cst.Call):
            call = value
    if not isinstance(call, cst.Call) or is_partial(module, call):
        return None
    resolved = resolve_callable(module, call.func, info)
    if resolved is None:
        return None  # unknown callee: it may well return a function
    target_module, target = resolved
    return (call, target) if returns_no_callable(target_module, target) else None


class TaskCalledNotPassed(Rule):
    """
    ## What it does
    Flags `add_task(process(path))`: the task function is called in the endpoint and its
    return value is handed to `add_task`. Only calls to the submission's own functions that
    certainly return no function (no `return`, a plain value, `async def`) are flagged; a
    lambda, `functools.partial(...)`, a bound method (`Processor(db).run`) or a factory
    that returns a function are fine.

    ## Why is this bad?
    `add_task` wants the function and its arguments separately, so it can call the function
    after the response. `process(path)` runs the whole processing in the endpoint, before
    the response (the client waits, exactly what background tasks are meant to avoid), then
    hands `None` to `add_task`: after the response Starlette calls `None(...)` and logs a
    `TypeError`. An `async def` task called this way does not even run early: calling it
    only creates a coroutine object, `add_task` receives that object, nothing ever awaits
    it, and the processing never happens (Starlette's attempt to call it fails with
    `TypeError: 'coroutine' object is not callable`).

    ## Example
    ```python
    background_tasks.add_task(process_file(path))
    ```

    ## Use instead
    ```python
    background_tasks.add_task(process_file, path)
    ```
    """

    code = "BG003"
    name = "task-called-not-passed"
    severity = Severity.ERROR
    message = (
        "the task is called inside add_task(...): it runs now, before the response, and "
        "add_task receives its return value; pass the function and its arguments separately: "
        "add_task(process, path)"
    )

    VALID = [
        Example(
            """
import functools
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process(path):
    print(path)

class Processor:
    def __init__(self, db): ...
    def run(self, path): ...

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process, "a")
    tasks.add_task(lambda: process("a"))
    tasks.add_task(functools.partial(process, "a"))
    tasks.add_task(Processor(None).run, "a")
    tasks.add_task(func=process)
""",
            note="plain name, lambda, partial, bound method, func= keyword",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def make_job(path):
    def job():
        print(path)
    return job

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(make_job("a"))
    tasks.add_task(unknown_factory("a"))
""",
            note="a factory returning a function; an unresolvable callee stays silent",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile
from .tasks import task_manager
app = FastAPI()

def process(path): ...

@app.post("/upload")
async def upload(file: UploadFile):
    task_manager.add_task(func=process("a"), args=("a",))
    process.delay("a")
""",
            note="a project's own task manager is not BackgroundTasks",
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
    background_tasks.add_task(process_file(file.filename))
    return {"message": "Processing started"}
""",
            line=11,
        ),
        Example(
            """
from fastapi import APIRouter, UploadFile, File
from fastapi import BackgroundTasks as Jobs
from typing import Annotated
router = APIRouter()

async def handle(path):
    return None

@router.post("/files")
def receive(doc: Annotated[UploadFile, File()], jobs: Jobs):
    jobs.add_task(handle("x"))
""",
            line=12,
            note="alias, Annotated, router, sync endpoint, async task called (a coroutine)",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from .worker import process
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    job = process("a")
    tasks.add_task(job)
""",
            files={"worker.py": "def process(path):\n    return f'done {path}'\n"},
            line=9,
            note="callee in another module, one-step dataflow",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    def work(path):
        print(path)
    tasks.add_task(work("a"))
""",
            line=9,
            note="nested task function called",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from app import tasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    dest = "uploads/a.bin"
    background_tasks.add_task(tasks.checksum(dest))
""",
            files={"app/__init__.py": "", "app/tasks.py": "async def checksum(path):\n    return None\n"},
            line=9,
            note="an async task called through a module: a coroutine object that never runs",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for call in module.add_task_calls:
            found = called_task(module, call.func, call.function) if call.func is not None else None
            if found is None:
                continue
            inner, target = found
            if not target.is_async:
                yield self.finding(module, call.call)
                continue
            args = [
                f"{a.star}{a.keyword.value + '=' if a.keyword else ''}{module.code(a.value)}" for a in inner.args
            ]
            fix = ", ".join([module.code(inner.func), *args])
            yield self.finding(
                module,
                call.call,
                f"{target.name}() is an async def: calling it inside add_task(...) only creates a coroutine "
                "object that nothing awaits, so the processing never happens; pass the function and its "
                f"arguments separately: add_task({fix})",
            )
