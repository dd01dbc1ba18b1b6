"""BG002: the UploadFile itself (or its ``.file``) reaches a background task."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import AddTaskCall, ModuleAnalysis
from grader.static.rule import Example, Rule
from grader.static.tasks import closure_uses, is_upload_object, task_arguments, task_closure, upload_names


def passes_upload(module: ModuleAnalysis, call: AddTaskCall) -> bool:
    """The task gets the upload as an argument, through ``partial``, or by closing over it."""
    info = call.function
    if info is None:
        return False
    if any(is_upload_object(module, value, info) for value in task_arguments(module, call)):
        return True
    closure = task_closure(module, call)
    return closure is not None and bool(closure_uses(module, closure, info, upload_names(module, info)))


class UploadPassedToTask(Rule):
    """
    ## What it does
    Flags an `add_task` whose task receives the `UploadFile` itself or its `.file`: as an
    argument (directly or through a local variable), through `functools.partial(save, file)`,
    or by a lambda or nested function that closes over the upload. Passing metadata
    (`file.filename`, `.content_type`, `.size`, `.headers`) is fine and not flagged.

    ## Why is this bad?
    The task runs after the response is sent, and the upload's temporary file belongs to
    the request. Whether it is still open then depends on the FastAPI release:
    - FastAPI <= 0.105 and >= 0.118 keep the upload open until the background tasks end,
      so reading it in the task works;
    - FastAPI 0.106.0 to 0.117.1 close it when the endpoint returns, so the task fails with
      `ValueError: I/O operation on closed file`.

    Even where it works, the upload (a spooled temporary file, possibly large) stays open
    and on disk until the task finishes, and the task's save can fail after the client was
    already told "ok". Many examples pass the `UploadFile` to the task; recent FastAPI
    releases tolerate it, but saving in the endpoint and passing the saved path is the
    pattern that works on every release.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        background_tasks.add_task(save_file, file)
        return {"message": "File upload started"}
    ```

    ## Use instead
    Save in the endpoint (a plain `def` endpoint runs in a worker thread, so the copy does
    not block the event loop), then pass the saved path:
    ```python
    @app.post("/upload")
    def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = UPLOAD_DIR / f"{uuid4().hex}{Path(file.filename or '').suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        background_tasks.add_task(process_file, path)
        return {"message": "File saved, processing started"}
    ```
    """

    code = "BG002"
    name = "upload-passed-to-task"
    severity = Severity.WARNING
    message = (
        "the UploadFile is handed to a background task: it is closed before the task runs on "
        "FastAPI 0.106.0-0.117.1 and held open until the task ends elsewhere; save it in the "
        "endpoint and pass the saved path"
    )

    VALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
import shutil
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = f"uploads/{file.filename}"
    with open(path, "wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process_file, path, file.content_type, file.size)
    return {"ok": True}
""",
            note="save first, pass the path and metadata",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    name = file.filename
    headers = file.headers
    background_tasks.add_task(lambda: notify(file.filename, file.content_type))
    def audit():
        log(file.size, file.headers)
    background_tasks.add_task(audit)
    background_tasks.add_task(record, name, headers)
    return {}
""",
            note="closures and locals that only read metadata",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile
from celery_app import save_upload
from .tasks import task_manager
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    task_manager.add_task(func=save, args=(file,))
    save_upload.delay(file)
    return {}
""",
            note="a project's own task manager and Celery's delay are not BackgroundTasks",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    def job(file):
        return file
    background_tasks.add_task(job, "saved.bin")
    return {}
""",
            note="a nested function whose parameter shadows the upload does not close over it",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    file = save_to_disk(file)
    background_tasks.add_task(process_file, file)
""",
            note="the parameter is rebound to what the save returned (a path)",
        ),
    ]
    INVALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def save_file(file: UploadFile):
    with open(f"saved_{file.filename}", "wb") as f:
        f.write(file.file.read())

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(save_file, file)
    return {"message": "File upload started"}
""",
            line=11,
            note="the upload handed to a task that saves it",
        ),
        Example(
            """
from typing import Annotated
import fastapi
from fastapi import BackgroundTasks as Jobs

router = fastapi.APIRouter()

@router.post("/files")
async def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    jobs.add_task(handle, stream=doc.file)
""",
            line=10,
            note="aliases, Annotated, router, .file as a keyword argument",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, File, BackgroundTasks
app = FastAPI()

@app.post("/upload")
def upload(background_tasks: BackgroundTasks, upload: UploadFile = File(...)):
    stream = upload.file
    background_tasks.add_task(handle, stream)
""",
            line=8,
            note="sync def, File(...) default, one-step dataflow through a local",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    def job():
        with open("out.bin", "wb") as out:
            out.write(file.file.read())
    tasks.add_task(job)
""",
            line=10,
            note="a nested function closing over the upload",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(lambda: save(file))
""",
            line=7,
            note="a lambda closing over the upload",
        ),
        Example(
            """
import functools
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(files: list[UploadFile], tasks: BackgroundTasks):
    for f in files:
        tasks.add_task(functools.partial(save, f))
""",
            line=9,
            note="functools.partial over each upload of a list[UploadFile]",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for call in module.add_task_calls:
            if passes_upload(module, call):
                yield self.finding(module, call.call)
