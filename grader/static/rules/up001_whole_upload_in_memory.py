"""UP001: the whole upload is read into memory only to be written to disk."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.rule import Example, Rule
from grader.static.uploadflow import Flow, all_flows, task_bindings
from grader.static.writes import disk_writes


def whole_read_of(flow: Flow, content: cst.BaseExpression) -> cst.Call | None:
    """The sizeless upload read that produced ``content`` (directly or via one local name)."""
    if isinstance(content, cst.Await):
        content = content.expression
    if isinstance(content, cst.Name):
        value = flow.info.value_of(content.value)
        if value is None:
            return None
        content = value.expression if isinstance(value, cst.Await) else value
    if isinstance(content, cst.Call) and flow.is_whole_upload_read(content):
        return content
    return None


def only_written(flow: Flow, content: cst.BaseExpression, allowed: set[int]) -> bool:
    """Every use of the variable ``content`` (if it is one) is one of the ``allowed`` nodes
    (the writes, the hand-off to a task that writes): the bytes are not also hashed,
    measured, parsed or returned."""
    if isinstance(content, cst.Await):
        content = content.expression
    if not isinstance(content, cst.Name):
        return True  # read inline, right into the write
    scope = flow.module.scope(flow.info.node.body)
    if scope is None or content.value not in scope:
        return True
    for assignment in scope[content.value]:
        for access in assignment.references:
            if id(access.node) not in allowed:
                return False
    return True


def _write_contents(flow: Flow) -> set[int]:
    return {id(w.content.expression if isinstance(w.content, cst.Await) else w.content) for w in disk_writes(flow)}


class WholeUploadInMemory(Rule):
    """
    ## What it does
    Flags `await file.read()` / `file.file.read()` with no size whose bytes are only
    written to a file (`f.write(contents)`, `Path(...).write_bytes(contents)`), directly,
    through one local variable, or in the background task they are handed to. Bytes that
    are also hashed, measured (`len`), parsed or returned are left alone: then reading them
    whole has a purpose.

    ## Why is this bad?
    A sizeless `read()` loads the entire upload into RAM. Starlette already spooled it to a
    temporary file; copying it to its destination needs no more than one chunk in memory. A
    500 MB upload costs 500 MB of RAM per concurrent request, and the server can run out of
    memory. This is advice, not an error: for small files it works, and it is a very common
    way to write the save.

    ## Example
    ```python
    contents = await file.read()
    with open(path, "wb") as out:
        out.write(contents)
    ```

    ## Use instead
    Copy in chunks. In a plain `def` endpoint (FastAPI runs it in a worker thread),
    `shutil.copyfileobj` does it; in an `async def` endpoint, write chunks with `aiofiles`
    so the disk work does not block the event loop either (see AS003):
    ```python
    # def endpoint
    with open(path, "wb") as out:
        shutil.copyfileobj(file.file, out)

    # async def endpoint
    async with aiofiles.open(path, "wb") as out:
        while chunk := await file.read(1 << 20):
            await out.write(chunk)
    ```
    """

    code = "UP001"
    name = "whole-upload-in-memory"
    severity = Severity.ADVICE
    message = (
        "the whole upload is read into memory only to be written to disk: copy it in chunks, "
        "shutil.copyfileobj(file.file, out) in a plain def endpoint, or await file.read(1 << 20) "
        "written with aiofiles in async def"
    )

    VALID = [
        Example(
            """
import shutil
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile, tasks: BackgroundTasks):
    with open("uploads/x.bin", "wb") as out:
        shutil.copyfileobj(file.file, out)
    tasks.add_task(process, "uploads/x.bin")
""",
            note="streamed with shutil.copyfileobj",
        ),
        Example(
            """
import hashlib, json
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    with open("uploads/x.bin", "wb") as out:
        while chunk := await file.read(1 << 20):
            out.write(chunk)
    data = json.loads(await file.read())
    return {"sha": hashlib.sha256(await file.read()).hexdigest(), "keys": list(data)}
""",
            note="chunked reads; whole reads that are parsed or hashed, not written",
        ),
        Example(
            """
import hashlib
from fastapi import FastAPI, UploadFile, HTTPException, BackgroundTasks
app = FastAPI()
MAX = 1 << 20

def store(path, payload):
    with open(path, "wb") as f:
        f.write(payload)
    print(len(payload))

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    contents = await file.read()
    if len(contents) > MAX:
        raise HTTPException(413, "too large")
    digest = hashlib.sha256(contents).hexdigest()
    with open(f"uploads/{digest}", "wb") as out:
        out.write(contents)
    data = await file.read()
    tasks.add_task(store, "uploads/b.bin", data)
    return {"sha256": digest}
""",
            note="bytes that are also size-checked and hashed; a task that also measures them",
        ),
        Example(
            """
import csv, io
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def summarise(payload: bytes, out_path: str):
    rows = list(csv.reader(io.StringIO(payload.decode())))
    with open(out_path, "w") as f:
        f.write(str(len(rows)))

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(summarise, await file.read(), "uploads/summary.txt")
""",
            note="the task parses the bytes and writes something else",
        ),
    ]
    INVALID = [
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
            line=7,
            note="read whole, then written: the most common save",
        ),
        Example(
            """
from typing import Annotated
from pathlib import Path
import fastapi
from fastapi import BackgroundTasks as Jobs

router = fastapi.APIRouter()

@router.post("/files")
def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    Path("uploads", "a.bin").write_bytes(doc.file.read())
""",
            line=11,
            note="router, Annotated, sync def, Path.write_bytes",
        ),
        Example(
            """
import aiofiles
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    async def save():
        async with aiofiles.open("uploads/a.bin", "wb") as out:
            await out.write(await file.read())
    await save()
""",
            line=10,
            note="nested function closing over the upload, aiofiles",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from .tasks import store
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    data = await file.read()
    tasks.add_task(store, "uploads/a.bin", payload=data)
""",
            files={
                "__init__.py": "",
                "tasks.py": """def store(path, payload):
    with open(path, "wb") as f:
        f.write(payload)
""",
            },
            line=8,
            note="the bytes handed to a task in another module that writes them",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for flow in all_flows(module):
            writes = _write_contents(flow)
            for write in disk_writes(flow):
                read = whole_read_of(flow, write.content)
                if read is not None and only_written(flow, write.content, writes):
                    yield self.finding(flow.module, read)
        # ``data = await file.read(); add_task(save, data)`` where ``save`` only writes ``data``:
        # reported at the read, in the endpoint, where the fix goes.
        for binding in task_bindings(module):
            task = Flow(binding.task_module, binding.task)
            task_writes = _write_contents(task)
            written = {
                w.content.value: w.content for w in disk_writes(task) if isinstance(w.content, cst.Name)
            }
            handed = {id(arg.value) for _, arg in binding.arguments}
            for param, arg in binding.arguments:
                read = whole_read_of(binding.caller, arg.value)
                if read is None or param not in written:
                    continue
                if only_written(task, written[param], task_writes) and only_written(
                    binding.caller, arg.value, handed | _write_contents(binding.caller)
                ):
                    yield self.finding(module, read)
