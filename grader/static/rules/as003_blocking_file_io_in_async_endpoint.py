"""AS003: blocking file I/O inside an ``async def`` endpoint (advice)."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.blocking_table import FILE
from grader.static.calls import Blocked, blocking_in
from grader.static.rule import Example, Rule
from grader.static.uploadflow import Flow, in_add_task_args

_KINDS = frozenset({FILE})


class BlockingFileIOInAsyncEndpoint(Rule):
    """
    ## What it does
    Flags file I/O that runs on the event loop inside an `async def` route handler: a file
    opened with `open(...)` or `Path.open(...)` and then read or written (one finding per
    opened file, at the `open`), `Path.write_bytes()`/`read_bytes()`/`write_text()`/
    `read_text()`, `shutil.copyfileobj`/`copy`/`move`, the upload's own `file.file.read()`,
    image and table files (`PIL.Image.open`, `pandas.read_csv`...), and a direct call to a
    plain `def` helper of the submission that does one of these. It never fires where the
    I/O is already off the loop: in a plain `def` endpoint, inside a function or lambda
    sent to `run_in_threadpool`/`anyio.to_thread.run_sync`/`asyncio.to_thread`/
    `run_in_executor`, or with awaited `aiofiles`/`anyio` calls.

    ## Why is this bad?
    FastAPI runs an `async def` endpoint on the event loop itself, and disk I/O blocks the
    thread that does it: while a large upload is copied to disk, no other request is
    served. For small files the pause is short, and many tutorials write exactly this
    (`open()` inside an `async def` endpoint), which is why this is advice and costs no
    points; on a busy server, or with large uploads, it is the difference between a
    responsive server and one that stalls.

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        with open(path, "wb") as out:
            shutil.copyfileobj(file.file, out)      # the event loop waits for the disk
        background_tasks.add_task(process_file, path)
    ```

    ## Use instead
    Declare the endpoint with plain `def` (FastAPI runs it in a worker thread), or keep
    `async def` and move the copy off the loop, or write with `aiofiles`:
    ```python
    @app.post("/upload")
    def upload(file: UploadFile, background_tasks: BackgroundTasks):
        with open(path, "wb") as out:
            shutil.copyfileobj(file.file, out)
        background_tasks.add_task(process_file, path)

    # or, in an async def endpoint:
        with open(path, "wb") as out:
            await run_in_threadpool(shutil.copyfileobj, file.file, out)
    # or:
        async with aiofiles.open(path, "wb") as out:
            while chunk := await file.read(1 << 20):
                await out.write(chunk)
    ```
    """

    code = "AS003"
    name = "blocking-file-io-in-async-endpoint"
    severity = Severity.ADVICE
    message = (
        "blocking file I/O in an async def endpoint: the event loop waits for the disk, so other "
        "requests wait too; make the endpoint a plain def, or use run_in_threadpool or aiofiles"
    )

    VALID = [
        Example(
            """
import shutil
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    with open("uploads/a.bin", "wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, "uploads/a.bin")
""",
            note="plain def endpoint: FastAPI runs it in a worker thread",
        ),
        Example(
            """
import asyncio, shutil
import aiofiles, anyio
from pathlib import Path
from fastapi import FastAPI, UploadFile
from fastapi.concurrency import run_in_threadpool
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    with open("uploads/a.bin", "wb") as out:
        await run_in_threadpool(shutil.copyfileobj, file.file, out)
    def save_copy():
        Path("uploads/b.bin").write_bytes(file.file.read())
    await anyio.to_thread.run_sync(save_copy)
    await asyncio.to_thread(lambda: shutil.copy("uploads/a.bin", "uploads/c.bin"))
    await asyncio.get_running_loop().run_in_executor(None, shutil.copy, "uploads/a.bin", "uploads/d.bin")
    async with aiofiles.open("uploads/e.bin", "wb") as out:
        while chunk := await file.read(1 << 20):
            await out.write(chunk)
    await anyio.Path("uploads/f.txt").write_text("done")
""",
            note="copies sent to a thread (run_in_threadpool, to_thread, run_in_executor), aiofiles, anyio.Path",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process_file, file.file.read())
""",
            note="a read inside add_task(...)'s arguments is BG001's finding",
        ),
    ]
    INVALID = [
        Example(
            """
import shutil
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    with open(f"uploads/{file.filename}", "wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, "x")
""",
            line=8,
            note="open() then shutil.copyfileobj in async def: one finding, at the open",
        ),
        Example(
            """
from pathlib import Path
from typing import Annotated
import fastapi
router = fastapi.APIRouter()

@router.post("/files")
async def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()]):
    data = doc.file.read()
    Path("uploads/a.bin").write_bytes(data)
""",
            line=9,
            note="router, Annotated, the upload's spooled file read on the loop, Path.write_bytes",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile
from app import storage
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    contents = await file.read()
    storage.save("uploads/a.bin", contents)
""",
            files={
                "app/__init__.py": "",
                "app/storage.py": "def save(path, data):\n    with open(path, 'wb') as out:\n        out.write(data)\n",
            },
            line=9,
            note="a plain def helper that writes the file, reached through a module",
        ),
        Example(
            """
import pandas as pd
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    frame = pd.read_csv(file.file)
    return {"rows": len(frame)}
""",
            line=8,
            note="pandas reader in async def",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for info in module.functions:
            if not (info.is_route and info.is_async):
                continue
            stream = Flow(module, info).is_upload_stream_read
            for blocked in blocking_in(module, info, kinds=_KINDS, upload_stream=stream):
                if not blocked.helper and in_add_task_args(module, blocked.node):
                    continue  # BG001 reports reads inside add_task(...)
                yield self.finding(module, blocked.node, self._explain(info.name, blocked))

    @staticmethod
    def _explain(endpoint: str, blocked: Blocked) -> str:
        head = (
            f"blocking file I/O {f'{blocked.helper}()' if blocked.helper else blocked.what} in async def "
            f"endpoint {endpoint}(): the event loop waits for the disk meanwhile (advice: fine for small "
            "files); make the endpoint a plain def"
        )
        if blocked.helper:
            return f"{head} (it does {blocked.what}); or run the helper with await run_in_threadpool(...)"
        return f"{head}; or use {blocked.instead}"
