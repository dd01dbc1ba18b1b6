"""UP002: the upload is saved under a fixed name, so concurrent uploads overwrite each other."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.rule import Example, Rule
from grader.static.uploadflow import Kind, all_flows
from grader.static.writes import disk_writes, is_fixed_path

_UPLOAD_DATA = {Kind.UPLOAD, Kind.CONTENT}


class UploadSavedUnderFixedName(Rule):
    """
    ## What it does
    Flags a write of the upload's data (its bytes or its stream) to a path that is the same
    on every request: `open("upload.bin", "wb")`, `Path("uploads/latest.csv").write_bytes(...)`,
    `UPLOAD_DIR / "current.dat"` where `UPLOAD_DIR` is a module constant. It looks in the
    upload endpoint, in functions nested in it, and in the background task the data is
    passed to. Appending (`"ab"`) is left alone.

    ## Why is this bad?
    Two clients uploading at the same time write the same file: one upload silently
    replaces the other, and the background task of the first request may process the second
    client's data (or a half-written mix). It also breaks the assignment's promise that the
    task processes *this* request's file after the response.

    ## Example
    ```python
    with open("uploads/upload.bin", "wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, "uploads/upload.bin")
    ```

    ## Use instead
    Give every upload its own name and pass that name to the task (here in a plain `def`
    endpoint, which FastAPI runs in a worker thread):
    ```python
    path = UPLOAD_DIR / f"{uuid4().hex}.bin"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, path)
    ```
    """

    code = "UP002"
    name = "upload-saved-under-fixed-name"
    severity = Severity.WARNING
    message = (
        "the upload is saved under a fixed name: concurrent uploads overwrite each other and a "
        "task may process another client's file; generate a unique name (uuid4) per upload"
    )

    VALID = [
        Example(
            """
import shutil
from pathlib import Path
from uuid import uuid4
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()
UPLOAD_DIR = Path("uploads")

@app.post("/upload")
def upload(file: UploadFile, tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid4().hex}.bin"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    with open("uploads/log.txt", "a") as log:
        log.write("received\\n")
    Path("uploads/last_status.txt").write_text("ok")
    tasks.add_task(process, path)
""",
            note="generated name; fixed-name files that hold no upload data",
        ),
        Example(
            """
import tempfile, os
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    workdir = tempfile.mkdtemp()
    with open(os.path.join(workdir, "upload.bin"), "wb") as out:
        out.write(await file.read())
""",
            note="a fixed name inside a fresh per-request directory",
        ),
    ]
    INVALID = [
        Example(
            """
import shutil
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    with open("upload.bin", "wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, "upload.bin")
""",
            line=8,
            note="open with a literal name, sync def",
        ),
        Example(
            """
from typing import Annotated
from pathlib import Path
import fastapi
from fastapi import BackgroundTasks as Jobs

router = fastapi.APIRouter()
UPLOADS = Path(__file__).parent / "uploads"
LATEST = UPLOADS / "latest.csv"

@router.post("/files")
async def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    data = await doc.read()
    LATEST.write_bytes(data)
""",
            line=14,
            note="router, Annotated, module constants, Path.write_bytes",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from .tasks import store
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    data = await file.read()
    tasks.add_task(store, data)
""",
            files={
                "__init__.py": "",
                "tasks.py": """import os
DEST = os.path.join("uploads", "latest.csv")

def store(payload: bytes):
    with open(DEST, "wb") as f:
        f.write(payload)
""",
            },
            line=5,
            note="the upload's bytes passed to a task in another module that writes a fixed path",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    def save():
        with open(f"uploads/{'current'}.dat", "wb") as f:
            f.write(file.file.read())
    tasks.add_task(save)
""",
            line=8,
            note="nested task closing over the upload",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for flow in all_flows(module):
            for write in disk_writes(flow):
                if write.mode is not None and "a" in write.mode:
                    continue  # appending to a log is not overwriting an upload
                if not (flow.kinds(write.content) & _UPLOAD_DATA):
                    continue
                if is_fixed_path(flow, write.path):
                    yield self.finding(flow.module, write.node)
