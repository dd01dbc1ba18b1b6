"""BG001: the upload's bytes reach a background task that expects the file."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import AddTaskCall, ModuleAnalysis
from grader.static.handoffs import bind
from grader.static.rule import Example, Rule
from grader.static.tasks import parameter_use, reads_upload, task_arguments


class UploadReadInTaskArgs(Rule):
    """
    ## What it does
    Flags a background task that receives the upload's bytes where it expects the upload
    itself, or the path it was saved to: `add_task(process_file, file.file.read())` or
    `await file.read()` inside the `add_task(...)` call, or read into a variable first
    (`content = await file.read()`, then `add_task(process_file, content)`), when
    `process_file` treats that parameter as a file (`.filename`, `.file`, `.read()`,
    `shutil.copyfileobj`, an `UploadFile` annotation) or as a path (`.read_bytes()`,
    `.with_suffix()`, `open(...)`, `Path(...)`), also when the task lives in another module. A read written inside `add_task(...)` is
    flagged unless the task is found and uses the bytes as data; a task that really wants
    bytes is not this mistake (UP001 speaks about the memory it costs).

    ## Why is this bad?
    The arguments of `add_task` are evaluated in the endpoint, before the response: the
    task gets `bytes`, not the file. A task written for an `UploadFile` then raises
    `AttributeError: 'bytes' object has no attribute 'filename'` after the response was
    already sent, and one written for a saved path raises too (`Path(data)`: `TypeError`;
    `open(data)`: no file of that name): the client was told "processing started", and
    nothing is ever processed or saved. A task that catches every exception hides it
    completely.

    ## Example
    ```python
    def process_file(file: UploadFile):
        with open(f"processed_{file.filename}", "wb") as out:
            out.write(file.file.read())

    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        background_tasks.add_task(process_file, await file.read())
    ```

    ## Use instead
    Save the upload in the endpoint, then hand the task the saved path. A plain `def`
    endpoint may copy with `shutil.copyfileobj` (FastAPI runs it in a worker thread):
    ```python
    def process_file(path: Path):
        ...

    @app.post("/upload")
    def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = UPLOAD_DIR / f"{uuid4().hex}{Path(file.filename or '').suffix}"
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
        "the upload's bytes are handed to a background task that expects the file: the task "
        "gets bytes, not an UploadFile, and fails after the response; save the upload first "
        "and pass the saved path"
    )

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
        Example(
            """
import hashlib
from fastapi import FastAPI, UploadFile, BackgroundTasks
from app import tasks
app = FastAPI()

def summarise(payload: bytes, out_path: str):
    with open(out_path, "w") as f:
        f.write(str(len(payload.decode().splitlines())))

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    content = await file.read()
    background_tasks.add_task(summarise, content, "uploads/summary.txt")
    background_tasks.add_task(tasks.digest, await file.read())
""",
            files={
                "app/__init__.py": "",
                "app/tasks.py": "import hashlib\n\ndef digest(data):\n    print(hashlib.sha256(data).hexdigest())\n",
            },
            note="tasks that really want bytes (a variable, and inline into a task in another module)",
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
            note="the classic: file.file.read() inside add_task for a task written for the UploadFile",
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
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process_file(file):
    with open(f"processed/{file.filename}", "wb") as out:
        out.write(file.file.read())

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    content = await file.read()
    background_tasks.add_task(process_file, content)
    return {"message": "Processing started"}
""",
            line=12,
            note="read into a variable first: the task uses .filename and .file on bytes",
        ),
        Example(
            """
from fastapi import APIRouter, UploadFile, BackgroundTasks
from app import tasks
import worker as w
router = APIRouter()

@router.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = file.file.read()
    background_tasks.add_task(tasks.process, data)
    background_tasks.add_task(w.store, upload=data)
""",
            files={
                "app/__init__.py": "",
                "app/tasks.py": "import shutil\n\ndef process(src):\n    with open('out.bin', 'wb') as out:\n        shutil.copyfileobj(src, out)\n",
                "worker.py": "from fastapi import UploadFile\n\ndef store(upload: UploadFile):\n    upload.file.seek(0)\n",
            },
            line=10,
            note="tasks in other modules (from app import tasks, import worker as w): copyfileobj, annotation",
        ),
        Example(
            """
import uuid
from pathlib import Path
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process(saved):
    try:
        saved.with_suffix(".size").write_text(str(len(saved.read_bytes())))
    except Exception:
        pass

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    path = Path("uploads") / uuid.uuid4().hex
    path.write_bytes(data)
    background_tasks.add_task(process, data)
""",
            line=18,
            note="the bytes handed to a task written for the saved path (and its failure swallowed)",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for call in module.add_task_calls:
            message = self._mismatch(module, call)
            if message is not None:
                yield self.finding(module, call.call, message)

    def _mismatch(self, module: ModuleAnalysis, call: AddTaskCall) -> str | None:
        info = call.function
        if info is None or call.func is None:
            return None
        resolved = module.resolve_callable(call.func, info)
        if resolved is None:
            pairs: tuple[tuple[str | None, cst.BaseExpression], ...] = tuple(
                (None, value) for value in task_arguments(module, call)
            )
        else:
            pairs = bind(module, call.func, list(call.args), resolved[1])
        for param, value in pairs:
            inline = reads_upload(module, value, info)
            via = None
            if not inline and isinstance(value, cst.Name):
                assigned = info.value_of(value.value)
                if assigned is not None and reads_upload(module, assigned, info):
                    via = value.value
            if not inline and via is None:
                continue
            use = parameter_use(resolved[0], resolved[1], param) if resolved is not None and param else None
            if use is None:
                if inline:  # the task cannot be followed: the read in add_task(...) says enough
                    return (
                        "the upload is read inside add_task(...)'s arguments: the task receives bytes, "
                        "not the file, and a task written for the file fails after the response; save "
                        "the upload first and pass the saved path"
                    )
                continue
            if use == "bytes":
                continue  # the task wants the bytes: not this mistake
            task = resolved[1].name if resolved is not None else "the task"
            got = f"the bytes read into `{via}`" if via else "the bytes read inside add_task(...)"
            sign = f"as an UploadFile ({use})" if use == "an UploadFile annotation" else use
            return (
                f"{task}() gets {got}, but uses its `{param}` parameter {sign}: it fails after the "
                "response and nothing is processed; save the upload in the endpoint and pass the saved path"
            )
        return None
