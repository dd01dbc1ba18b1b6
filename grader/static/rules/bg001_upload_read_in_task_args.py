"""BG001: the upload is read inside the ``add_task(...)`` arguments."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import FunctionInfo, ModuleAnalysis
from grader.static.rule import Example, Rule


def reads_upload(module: ModuleAnalysis, expr: cst.BaseExpression, info: FunctionInfo | None) -> bool:
    """``<upload>.read()``, ``<upload>.file.read()`` or ``await`` of either (one-step dataflow)."""
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)):
        return False
    if expr.func.attr.value != "read":
        return False
    target = expr.func.value
    if isinstance(target, cst.Attribute) and target.attr.value == "file":
        return module.is_upload_expr(target.value, info)
    if module.is_upload_expr(target, info):
        return True
    # ``stream = file.file`` then ``stream.read()``
    if isinstance(target, cst.Name) and info is not None:
        value = info.value_of(target.value)
        return (
            isinstance(value, cst.Attribute)
            and value.attr.value == "file"
            and module.is_upload_expr(value.value, info)
        )
    return False


class UploadReadInTaskArgs(Rule):
    """
    ## What it does
    Flags a call to `add_task` whose arguments read the upload: `file.file.read()` or
    `await file.read()` written directly inside `add_task(...)`.

    ## Why is this bad?
    The arguments of `add_task` are evaluated in the endpoint, before the response, so the
    "background" task does no reading in the background: the whole upload is read while the
    client waits. The seed's quiz (question 4) shows the usual result: the task function
    expects an `UploadFile` (`file.filename`, `file.file.read()`) but receives raw `bytes`,
    so it raises `AttributeError` after the response was already sent, and nothing is saved.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        background_tasks.add_task(process_file, file.file.read())
        return {"message": "Processing started"}
    ```

    ## Use instead
    Save the upload first, then hand the task the saved path (quiz question 5):
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = UPLOAD_DIR / f"{uuid4().hex}-{Path(file.filename).name}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        background_tasks.add_task(process_file, path)
        return {"message": "Processing started"}
    ```
    """

    code = "BG001"
    name = "upload-read-in-task-args"
    severity = Severity.ERROR
    message = (
        "the upload is read inside add_task(...)'s arguments: it is read before the response "
        "and the task receives bytes, not the file; save it first and pass the saved path"
    )
    seed_note = "Quiz question 4: \"Passing file.file.read() instead of file causes the file to be read too early.\""

    VALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    contents = await file.read()
    with open("saved.bin", "wb") as f:
        f.write(contents)
    background_tasks.add_task(process_file, "saved.bin")
    return {"ok": True}
""",
            note="reading before add_task and passing the path is the recommended pattern",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process_file, file.filename)
    return {}
""",
            note="metadata is not the upload",
        ),
        Example(
            """
class Queue:
    def add_task(self, fn, *args): ...

q = Queue()

def handler(file):
    q.add_task(process, file.file.read())
""",
            note="add_task on something that is not BackgroundTasks",
        ),
    ]
    INVALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process_file(file: UploadFile):
    content = file.file.read()
    with open(f"processed_{file.filename}", "wb") as f:
        f.write(content)

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process_file, file.file.read())
    return {"message": "Processing started"}
""",
            line=12,
            note="the seed's quiz question 4",
        ),
        Example(
            """
from typing import Annotated
import fastapi
from fastapi import BackgroundTasks as Jobs

router = fastapi.APIRouter()

@router.post("/files")
async def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    jobs.add_task(handle, await doc.read())
""",
            line=10,
            note="aliases, Annotated, router",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, File
from starlette.background import BackgroundTasks
app = FastAPI()

@app.post("/upload")
def upload(background_tasks: BackgroundTasks, upload: UploadFile = File(...)):
    stream = upload.file
    background_tasks.add_task(handle, name=upload.filename, data=stream.read())
""",
            line=9,
            note="sync def, File(...) default, one-step dataflow, keyword argument",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for call in module.add_task_calls:
            if any(reads_upload(module, arg.value, call.function) for arg in call.args):
                yield self.finding(module, call.call)
