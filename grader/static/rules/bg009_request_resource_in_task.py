"""BG009: a request-scoped dependency (typically a DB session) handed to a background task."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import DEPENDS_NAMES, AddTaskCall, FunctionInfo, ModuleAnalysis, _find
from grader.static.rule import Example, Rule
from grader.static.tasks import closure_uses, resolve_callable, task_arguments, task_closure

_RESOURCE_PARAM = re.compile(r"^(db|db_session|session|sess|conn|connection|cursor|database|tx|transaction|uow)$")
_RESOURCE_TYPE = re.compile(r"Session|Connection|Cursor|Transaction")


def _dependency_call(module: ModuleAnalysis, param: cst.Param) -> cst.Call | None:
    places = [p for p in (param.default, param.annotation.annotation if param.annotation else None) if p is not None]
    for place in places:
        for call in _find(place, cst.Call):
            if module.is_qualified(call.func, DEPENDS_NAMES):
                return call
    return None


def _is_generator(info: FunctionInfo) -> bool:
    return any(True for _ in _find(info.node.body, cst.Yield, stop=(cst.FunctionDef, cst.Lambda)))


def request_resources(module: ModuleAnalysis, info: FunctionInfo) -> set[str]:
    """``Depends`` parameters that hold something the request opens and closes.

    A dependency of the submission counts when it ``yield``s (FastAPI runs its cleanup at
    the end of the request) and is ignored when it ``return``s (settings, a current user).
    An unknown dependency counts only when its name or type says session/connection.
    """
    found: set[str] = set()
    params = [*info.node.params.posonly_params, *info.node.params.params, *info.node.params.kwonly_params]
    for param in params:
        name = param.name.value
        if name not in info.depends_params:
            continue
        call = _dependency_call(module, param)
        dependency = None
        if call is not None:
            for arg in call.args:
                if arg.keyword is None or arg.keyword.value == "dependency":
                    dependency = arg.value
                    break
        resolved = resolve_callable(module, dependency, info) if dependency is not None else None
        if resolved is not None:
            if _is_generator(resolved[1]):
                found.add(name)
            continue
        annotation = module.code(param.annotation.annotation) if param.annotation else ""
        dependency_text = module.code(dependency) if dependency is not None else ""
        if _RESOURCE_PARAM.match(name) or _RESOURCE_TYPE.search(annotation) or re.search(
            r"get_db|get_session|session", dependency_text, re.IGNORECASE
        ):
            found.add(name)
    return found


def _mentions(module: ModuleAnalysis, expr: cst.BaseExpression, info: FunctionInfo, names: set[str]) -> bool:
    if isinstance(expr, cst.Name):
        if expr.value in names:
            return True
        value = info.value_of(expr.value)
        return isinstance(value, cst.Name) and value.value in names
    return False


def passes_resource(module: ModuleAnalysis, call: AddTaskCall, names: set[str]) -> bool:
    info = call.function
    if info is None or not names:
        return False
    if any(_mentions(module, value, info, names) for value in task_arguments(module, call)):
        return True
    func = call.func
    # ``add_task(Processor(db).run, path)``: the bound method carries the session along
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
        if any(_mentions(module, arg.value, info, names) for arg in func.value.args):
            return True
    closure = task_closure(module, call)
    return closure is not None and bool(closure_uses(module, closure, info, names))


class RequestResourceInTask(Rule):
    """
    ## What it does
    Flags an `add_task` whose task receives a request-scoped dependency: a `Depends(...)`
    parameter that a `yield` dependency of the submission provides (typically a database
    session), or an unknown dependency named or typed like a session/connection. It looks
    at task arguments, `functools.partial`, closures and bound methods
    (`Processor(db).run`).

    ## Why is this bad?
    The dependency belongs to the request: FastAPI runs its cleanup (after the `yield`,
    usually `db.close()`) when the request is over. Since FastAPI 0.106.0 the release notes
    say "Using resources from dependencies with yield in background tasks is no longer
    supported": on 0.106.0 to 0.117.x the cleanup runs before the background tasks, so the
    task gets a closed session; on other releases it happens to work but ties the session
    (and its transaction) to the task's lifetime. The task should open its own session.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, tasks: BackgroundTasks, db: Session = Depends(get_db)):
        tasks.add_task(record_upload, db, path)
    ```

    ## Use instead
    ```python
    def record_upload(path: str) -> None:
        with SessionLocal() as db:
            ...

    @app.post("/upload")
    async def upload(file: UploadFile, tasks: BackgroundTasks):
        tasks.add_task(record_upload, path)
    ```
    """

    code = "BG009"
    name = "request-resource-in-task"
    severity = Severity.WARNING
    message = (
        "a request-scoped dependency (e.g. a DB session from a yield dependency) is handed to a "
        "background task: FastAPI may close it before the task runs; open a new session inside "
        "the task"
    )

    VALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks, Depends
app = FastAPI()

def get_settings():
    return {"dir": "uploads"}

def get_db():
    db = Session()
    try:
        yield db
    finally:
        db.close()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks,
                 settings: dict = Depends(get_settings), db = Depends(get_db)):
    db.add(file.filename)
    tasks.add_task(process_file, "x", settings["dir"], settings)
""",
            note="a returned (not yielded) dependency; the session used in the endpoint only",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks, Depends
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks, user = Depends(current_user)):
    tasks.add_task(process_file, "x", user)
""",
            note="an unknown dependency not named like a session",
        ),
    ]
    INVALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks, Depends
app = FastAPI()

def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks, db = Depends(get_db)):
    tasks.add_task(record_upload, db, "x")
""",
            line=14,
        ),
        Example(
            """
from typing import Annotated
import fastapi
from fastapi import BackgroundTasks as Jobs
from sqlalchemy.orm import Session
from .deps import get_session
router = fastapi.APIRouter()

@router.post("/files")
def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs,
            s: Annotated[Session, fastapi.Depends(get_session)]):
    def work():
        s.add("x")
    jobs.add_task(work)
    jobs.add_task(Processor(s).run, "x")
""",
            line=14,
            note="Annotated dependency typed Session, closure, bound method, router, sync def",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        cache: dict[int, set[str]] = {}
        for call in module.add_task_calls:
            info = call.function
            while info is not None and not info.depends_params:
                info = info.parent  # a nested function closing over the endpoint's session
            if info is None:
                continue
            if id(info) not in cache:
                cache[id(info)] = request_resources(module, info)
            if passes_resource(module, call, cache[id(info)]):
                yield self.finding(module, call.call)
