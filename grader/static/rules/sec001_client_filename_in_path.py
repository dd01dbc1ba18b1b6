"""SEC001: the client-chosen ``UploadFile.filename`` becomes a filesystem path that is opened."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.pathflow import Origin, PathSink, glued_prefix, locate, path_sinks, sanitised
from grader.static.rule import Example, Rule
from grader.static.uploadflow import Flow


class ClientFilenameInPath(Rule):
    """
    ## What it does
    Flags a filesystem path built from the upload's `filename` and then opened: written,
    read, copied, moved, removed or made a folder (`open`, `aiofiles.open`, `Path.open`,
    `write_bytes`, `shutil.copy`/`move`, `os.rename`/`remove`/`makedirs`...). It follows the
    name through f-strings, `+`, `os.path.join`, `Path(...)` and `/`, local variables,
    nested functions, and into the background task, helper or executor
    (`run_in_threadpool`, `run_in_executor`) it is handed to, and reports each such path
    once, where the client's name is first put into it. `os.path.basename(...)`,
    `Path(...).name`, `secure_filename(...)` or a generated name in its place keep it quiet,
    and so does a check that rejects a bad name or path (`".." in file.filename`,
    `re.fullmatch(...)`, `dest.is_relative_to(root)`, `os.path.commonpath`) or an assignment
    that replaces `file.filename` with a name that does not contain it.

    ## Why is this bad?
    `filename` is whatever the client put in the multipart header. `../../app/main.py`,
    `/etc/cron.d/job` or `a/b.txt` are all valid values: the first two write outside the
    upload folder (path traversal), the last fails with a 500 because the folder does not
    exist, and two clients uploading `report.pdf` overwrite each other.

    A prefix glued to the name (`f"saved_{name}"`, `f"{uuid4().hex}_{name}"`) changes the
    details but keeps the client in control: on Linux and macOS a `/` in the name then makes
    the write fail (`saved_../` is not an existing folder) unless the code creates the
    folders first (`os.makedirs(os.path.dirname(path))`), which lets `../` climb out again;
    on Windows the `..` parts are resolved before any folder is checked, so the file lands
    outside the upload folder. Snippets such as `open(f"saved_{file.filename}", "wb")` are
    fine as a first sketch, not as a server.

    ## Example
    ```python
    @app.post("/upload")
    def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = f"uploads/{file.filename}"
        with open(path, "wb") as out:
            shutil.copyfileobj(file.file, out)
        background_tasks.add_task(process_file, path)
    ```

    ## Use instead
    Generate the stored name yourself and keep the client's name as metadata (at most its
    last component, for the extension):
    ```python
    @app.post("/upload")
    def upload(file: UploadFile, background_tasks: BackgroundTasks):
        suffix = Path(file.filename or "").suffix
        path = UPLOAD_DIR / f"{uuid4().hex}{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        background_tasks.add_task(process_file, path)
    ```
    """

    code = "SEC001"
    name = "client-filename-in-path"
    severity = Severity.WARNING
    message = (
        "the client-chosen upload filename is used in a filesystem path that is opened: '../' "
        "or '/' in it writes outside the upload folder; use Path(filename).name or a generated name"
    )

    VALID = [
        Example(
            """
import os, shutil
from pathlib import Path
from uuid import uuid4
from fastapi import FastAPI, UploadFile, BackgroundTasks
from werkzeug.utils import secure_filename
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile, tasks: BackgroundTasks):
    a = os.path.join("uploads", os.path.basename(file.filename))
    b = Path("uploads") / Path(file.filename).name
    c = f"uploads/{secure_filename(file.filename)}"
    d = Path("uploads") / f"{uuid4().hex}{Path(file.filename).suffix}"
    for target in (a, b, c, d):
        with open(target, "wb") as out:
            shutil.copyfileobj(file.file, out)
    tasks.add_task(process, d, file.filename)
    return {"stored": d.name, "original": file.filename}
""",
            note="basename, Path().name, secure_filename, generated name; filename as metadata",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def record(original_name: str, path: str):
    print(f"{original_name} stored at {path}")

@app.post("/upload")
def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(record, file.filename, "uploads/1.bin")
    tasks.add_task(notify, f"{file.filename} received")
""",
            note="filename passed to a task that only logs it, and as a message to an unknown task",
        ),
        Example(
            """
import os, shutil
from uuid import uuid4
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile):
    stored = os.path.join("uploads", uuid4().hex)
    with open(stored, "wb") as out:
        shutil.copyfileobj(file.file, out)
    shown = os.path.join("/files", file.filename)
    return {"url": shown, "label": "uploads/" + file.filename}
""",
            note="a path built from the name but never opened (only shown to the client)",
        ),
        Example(
            """
import re
from pathlib import Path
from fastapi import FastAPI, UploadFile, HTTPException
app = FastAPI()
UPLOADS = Path("uploads").resolve()

@app.post("/upload")
def upload(file: UploadFile):
    if not re.fullmatch(r"[\\w.-]+", file.filename or "") or ".." in file.filename:
        raise HTTPException(400, "bad filename")
    with open(f"uploads/{file.filename}", "wb") as out:
        out.write(file.file.read())

@app.post("/upload2")
def upload2(file: UploadFile):
    dest = (UPLOADS / file.filename).resolve()
    if not dest.is_relative_to(UPLOADS):
        raise HTTPException(400, "bad filename")
    with dest.open("wb") as out:
        out.write(file.file.read())

@app.post("/upload3")
def upload3(file: UploadFile):
    dest = (UPLOADS / file.filename).resolve()
    try:
        dest.relative_to(UPLOADS)
    except ValueError:
        raise HTTPException(400, "bad filename")
    dest.write_bytes(file.file.read())
""",
            note="the name validated, or the path's containment checked (if or try), and rejected",
        ),
        Example(
            """
from uuid import uuid4
from fastapi import FastAPI, UploadFile, BackgroundTasks, HTTPException
app = FastAPI()

def save(data: bytes, name: str):
    with open(f"uploads/{name}", "wb") as out:
        out.write(data)

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    if "/" in file.filename or "\\\\" in file.filename:
        raise HTTPException(400, "bad filename")
    tasks.add_task(save, await file.read(), file.filename)

@app.post("/upload2")
async def upload2(file: UploadFile):
    file.filename = f"{uuid4().hex}.csv"
    with open(f"uploads/{file.filename}", "wb") as out:
        out.write(await file.read())
""",
            note="validated before it is passed to the task; replaced by a generated name",
        ),
        Example(
            """
from pathlib import Path

def save(name):
    with open(f"uploads/{name}", "wb") as f:
        f.write(b"")
""",
            note="a plain function parameter is not known to be an upload filename",
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
            line=6,
            note="the upload handed to a task that saves it under a name glued after a prefix",
        ),
        Example(
            """
from typing import Annotated
import fastapi, os
from fastapi import BackgroundTasks as Jobs

router = fastapi.APIRouter()

@router.post("/files")
def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    name = doc.filename
    target = os.path.join("uploads", name)
    jobs.add_task(handle, target)
""",
            line=11,
            note="router, Annotated, sync def, a path built with os.path.join handed to a task not found",
        ),
        Example(
            """
import shutil
from pathlib import Path
from fastapi import FastAPI, UploadFile, File
app = FastAPI()
UPLOADS = Path("uploads")

@app.post("/upload")
def upload(upload: UploadFile = File(...)):
    with (UPLOADS / upload.filename).open("wb") as out:
        shutil.copyfileobj(upload.file, out)
""",
            line=10,
            note="Path / filename, Path.open",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, HTTPException
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile):
    if not file.filename or not file.filename.endswith(".csv"):
        raise HTTPException(400, "send a .csv file")
    if not file.content_type.startswith("text/"):
        raise HTTPException(415, "send text")
    with open("uploads/" + file.filename, "wb") as out:
        out.write(file.file.read())
""",
            line=11,
            note="emptiness, extension and content-type checks are not path validations",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from worker import store
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    data = await file.read()
    tasks.add_task(store, data, file.filename.lower())
""",
            files={
                "worker.py": """def store(data, name):
    path = "uploads/" + name
    with open(path, "wb") as f:
        f.write(data)
""",
            },
            line=2,
            note="the filename followed into a task in another module that builds the path with +",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    def save():
        with open("uploads/" + file.filename, "wb") as f:
            f.write(file.file.read())
    tasks.add_task(save)
""",
            line=8,
            note="nested task closing over the upload",
        ),
        Example(
            """
from fastapi import APIRouter, UploadFile, BackgroundTasks
from . import storage
router = APIRouter()

@router.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    dest = f"uploads/{file.filename}"
    tasks.add_task(storage.save, await file.read(), dest)
""",
            files={
                "__init__.py": "",
                "storage.py": """def save(data, path):
    with open(path, "wb") as out:
        out.write(data)
""",
            },
            line=8,
            note="a path built in the endpoint, opened by a task reached through a module (from . import)",
        ),
        Example(
            """
import asyncio, os
from fastapi import FastAPI, UploadFile
import app.storage as storage
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    path = os.path.join("uploads", file.filename)
    data = await file.read()
    await asyncio.get_running_loop().run_in_executor(None, storage.write, path, data)
""",
            files={
                "app/__init__.py": "",
                "app/storage.py": """def write(target, payload):
    with open(target, "wb") as out:
        out.write(payload)
""",
            },
            line=9,
            note="os.path.join handed to run_in_executor, helper in a module imported as an alias",
        ),
        Example(
            """
import time, shutil
from fastapi import FastAPI, UploadFile
from starlette.concurrency import run_in_threadpool
app = FastAPI()

def copy_to(path, src):
    with open(path, "wb") as out:
        shutil.copyfileobj(src, out)

@app.post("/upload")
async def upload(file: UploadFile):
    file.filename = f"{file.filename}_{time.ctime()}"
    await run_in_threadpool(copy_to, "uploads/" + file.filename, file.file)
""",
            line=14,
            note="filename = f'{filename}_...' does not sanitise; run_in_threadpool followed",
        ),
        Example(
            """
from uuid import uuid4
from pathlib import Path
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile):
    dest = Path("uploads") / f"{uuid4().hex}_{file.filename}"
    dest.write_bytes(file.file.read())
""",
            line=9,
            note="a generated prefix glued to the client's name: still the client's path",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        reported: set[tuple[int, str]] = set()
        for info in module.functions:
            if not info.upload_params and info.parent is None:
                continue  # no upload here and no enclosing function to take one from
            for sink in path_sinks(Flow(module, info)):
                origin, key_node, node = locate(sink)
                # the same path written twice in one function (f"saved_{name}" to save, then
                # again for the task) is one flow
                key = (
                    (id(origin.flow.info.node), origin.flow.module.code(key_node))
                    if origin is not None and origin.built
                    else (id(key_node), "")
                )
                if key in reported or sanitised(sink.chain if origin is None else (*sink.chain, origin.flow)):
                    continue
                reported.add(key)
                where = origin.flow if origin is not None and origin.built else sink.flow
                yield self.finding(where.module, node, self._message(sink, where, origin))

    @staticmethod
    def _message(sink: PathSink, where: Flow, origin: Origin | None) -> str:
        place = f"{where.info.name}()"
        if not sink.opened:
            place += " and handed to a background task"
        elif sink.flow.info is not where.info:
            place += f" and opened in {sink.flow.info.name}()"
        if origin is not None and origin.built and glued_prefix(origin):
            return (
                f"the client-chosen upload filename is glued after a prefix into a path in {place}: on Linux "
                "and macOS a '/' in it makes the write fail (the prefixed part is not a folder), and '../' "
                "climbs out if the code creates the folders first (os.makedirs); on Windows '..' escapes the "
                "upload folder outright; store the file under a generated name, or keep only Path(filename).name"
            )
        return (
            f"the client-chosen upload filename is used in a filesystem path in {place}: '../' or '/' in "
            "it writes outside the upload folder; store the file under a generated name, or keep only "
            "Path(filename).name"
        )
